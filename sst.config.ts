/// <reference path="./.sst/platform/config.d.ts" />

// The deployable app (ARCHITECTURE.md §7): the gateway function behind a streaming function URL,
// worker functions it invokes, layers in S3 and metadata in Neon. The components live in infra/.
// SST evaluates this file twice: `app()` alone, then `run()` with its globals (`sst`, `aws`, `$app`, …).
// Top-level imports are not allowed here, so run() imports the infra modules dynamically.
export default $config({
  app(input) {
    const production = input?.stage === "production" || input?.stage === "prod";
    return {
      name: "openduck",
      home: "aws",
      // Production keeps its bucket (and the layers in it) when the stage is removed; other stages clean up.
      removal: production ? "retain" : "remove",
      // The @pulumi/aws that SST 4.17.1's components are written and tested against (its platform's own
      // pin). Newer 7.x releases install, but SST's sources stop type-checking against them (7.48.0 widens
      // `description` to `string | undefined`; `npm run typecheck:infra` catches it): bump with SST.
      providers: { aws: { version: "7.20.0" } },
    };
  },
  async run() {
    const { bucket } = await import("./infra/storage");
    const { gateway } = await import("./infra/gateway");
    return {
      url: gateway.url,
      bucket: bucket.name,
    };
  },
});
