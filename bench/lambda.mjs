// Cold starts and warm SELECT 1 of the Lambda functions, each against the same operation on `openduck serve` in
// the same run (see bench/lambda.ts). Usage: npm run bench:lambda [-- --quick]. Writes bench/results/lambda.md.
// The benchmark is TypeScript that shares the test suite's Lambda emulator: bundled here with esbuild first, into
// bench/.build/, as deep in the repository as test/support/, so paths the helpers take from their own module hold.
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const bench = fileURLToPath(new URL(".", import.meta.url));
const out = join(bench, ".build");
await build({
  entryPoints: [join(bench, "lambda.ts"), join(bench, "lambda-cold-start.ts")],
  outdir: out,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  // Installed packages (and the built @openduck/* workspaces) load from node_modules as usual.
  packages: "external",
  logLevel: "warning",
});
await import(pathToFileURL(join(out, "lambda.mjs")).href);
