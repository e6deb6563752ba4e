import { functionBundle, version } from "./bundle";
import { token } from "./secrets";
import { worker } from "./worker";

/**
 * The gateway (ARCHITECTURE.md §3, §7): the Hono app speaking Connect, behind a function URL that streams
 * its responses (StreamResults). It checks the bearer token and invokes workers; it holds no data itself.
 */
export const gateway = new sst.aws.Function("Gateway", {
  // functions/dist/gateway as `npm run build:functions` built it (see bundle.ts): gateway.mjs alone. The
  // gateway only invokes workers, so no DuckDB goes into it (the bundle script keeps @duckdb/node-api out
  // and test/infra.test.ts checks the package).
  ...functionBundle("gateway"),
  runtime: "nodejs22.x",
  architecture: "x86_64",
  // Plenty for parsing, auth and relaying Arrow streams; more memory would only buy unused CPU.
  memory: "1024 MB",
  // A streamed result may take as long as the worker producing it (Lambda's maximum).
  timeout: "15 minutes",
  streaming: true,
  url: {
    // Public: clients authenticate with bearer tokens, which the app checks (not IAM-signed requests).
    authorization: "none",
    // The app answers CORS itself, for browsers only (hono/cors); a function-URL CORS config would override it.
    cors: false,
  },
  // Reported on /health.
  environment: { OPENDUCK_VERSION: version },
  // The token to check and the worker to invoke (linking a function grants lambda:InvokeFunction on it,
  // which also covers InvokeWithResponseStream). No bucket, no Neon: the gateway reaches data only
  // through the worker.
  link: [worker, token],
});
