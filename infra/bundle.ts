import { existsSync } from "node:fs";
import { join } from "node:path";
import openduck from "../packages/openduck/package.json" with { type: "json" };

/**
 * What a function deploys: the folder `npm run build:functions` (functions/bundle.mjs) wrote for it, uploaded
 * as it is through SST's `bundle` option. The artifact the tests run (test/lambda-functions.test.ts loads these
 * very bundles) is the artifact Lambda runs; `sst deploy` bundles nothing and installs nothing. With `bundle`,
 * SST skips esbuild, writes `resource.enc` (the function's links, encrypted) into this folder and zips the
 * folder; the handler is `<name>.handler`, at the root of the folder.
 *
 * The folder is resolved against the app's root ($cli.paths.root, where sst.config.ts is): SST's CLI writes
 * `resource.enc` into the path as given, relative to its own working directory, while the program (which
 * zips the folder) runs in the app's root, so a relative path would split the two when `sst deploy` runs
 * from a subdirectory.
 */
export function functionBundle(name: "gateway" | "worker"): { bundle: string; handler: string } {
  const bundle = join($cli.paths.root, "functions", "dist", name);
  if (!existsSync(join(bundle, `${name}.mjs`))) {
    // A plain Error: sst.config.ts is built before `sst install` has put SST's own error classes in place.
    throw new Error(
      `functions/dist/${name}/${name}.mjs not found: run \`npm run build:functions\` (after \`npm run build:extension\`) before deploying`,
    );
  }
  return { bundle, handler: `${name}.handler` };
}

/**
 * What the gateway reports on /health (OPENDUCK_VERSION): the version of the `openduck` package, which is
 * what `openduck serve` reports in local mode.
 */
export const version: string = openduck.version;
