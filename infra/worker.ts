import { functionBundle, version } from "./bundle";
import { neonUrl } from "./secrets";
import { bucket } from "./storage";

/**
 * The worker (ARCHITECTURE.md §5, §7): DuckDB over a materialized snapshot, one WorkerService call per
 * invocation. Only the gateway invokes it, with InvokeWithResponseStream (the handler is wrapped in
 * `awslambda.streamifyResponse`); it has no function URL.
 */
export const worker = new sst.aws.Function("Worker", {
  // functions/dist/worker as `npm run build:functions` built it (see bundle.ts): worker.mjs (ESM: it awaits
  // its start-up — DuckDB, the extension, the metadata check — at top level), @duckdb/node-api with its
  // linux-x64 native binding in node_modules, and openduck.duckdb_extension beside worker.mjs. The extension
  // needs no libduckdb.so of its own: the one node-bindings loaded (same SONAME) satisfies it. Nothing is
  // installed at deploy time, so what runs on Lambda is what the tests ran.
  ...functionBundle("worker"),
  runtime: "nodejs22.x",
  // DuckDB's linux-x64 node binaries and our extension (built for linux_amd64) are x86-64 only.
  architecture: "x86_64",
  // Lambda's maximum: memory buys vCPUs (6 at 10 GB) and DuckDB's buffer pool; /tmp holds the layer cache
  // and the materialized database file, so it gets the most ephemeral storage Lambda allows.
  memory: "10240 MB",
  storage: "10240 MB",
  // Lambda's maximum: a long query or a large write runs to completion instead of being cut off.
  timeout: "15 minutes",
  // The response is a stream. Lambda itself needs no flag for InvokeWithResponseStream, but SST uses this
  // for `sst dev`, whose live bridge must then stream too.
  streaming: true,
  environment: { OPENDUCK_VERSION: version },
  // What the worker touches, and nothing more: the layers bucket (s3 on it alone) and the Neon secret.
  link: [bucket, neonUrl],
});
