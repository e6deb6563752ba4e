// Builds what `sst deploy` uploads for each function (infra/ points the functions' `bundle` at these folders), so
// the artifact the tests run is the artifact that is deployed:
//   functions/dist/gateway/gateway.mjs   the gateway, one file
//   functions/dist/worker/worker.mjs     the worker, with @duckdb/node-api and its linux-x64 native binary in
//                                        node_modules (Lambda's x86_64 platform) and the OpenDuck extension
// Everything the functions load is inside; nothing is fetched when they run.
// Usage: npm run build:functions [-- OUT_DIR]   (OUT_DIR instead of functions/dist, e.g. for a test of its own)
import { cp, mkdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = resolve(process.argv[2] ?? join(root, "functions", "dist"));
const extension = join(root, "extension", "build", "release", "openduck.duckdb_extension");
// DuckDB's Node.js packages, as npm installed them here (exact versions from package-lock.json).
const duckdbPackages = ["@duckdb/node-api", "@duckdb/node-bindings", "@duckdb/node-bindings-linux-x64"];

async function bundle(name, external) {
  const directory = join(out, name);
  await rm(directory, { recursive: true, force: true });
  await build({
    entryPoints: [join(root, "functions", `${name}.ts`)],
    outfile: join(directory, `${name}.mjs`),
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    // The packages' TypeScript sources, as the tests run them (no separate build needed).
    conditions: ["source"],
    external,
    // CommonJS dependencies call require() for Node's built-in modules, which ESM output lacks.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    logLevel: "warning",
    legalComments: "none",
  });
  return directory;
}

// ws tries optional native add-ons and does without them.
const optional = ["bufferutil", "utf-8-validate"];
await bundle("gateway", [...optional, "@duckdb/node-api"]);
const worker = await bundle("worker", [...optional, "@duckdb/node-api"]);
for (const name of duckdbPackages) {
  await cp(join(root, "node_modules", name), join(worker, "node_modules", name), {
    recursive: true,
    dereference: true,
  });
}
await stat(extension).catch(() => {
  throw new Error(`${extension} is missing: run npm run build:extension first`);
});
await mkdir(worker, { recursive: true });
// Under @duckdb/node-api the extension's libduckdb.so dependency is the copy node-bindings loaded.
await cp(extension, join(worker, "openduck.duckdb_extension"));
console.log(`functions bundled into ${out}`);
