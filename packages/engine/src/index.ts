export { DuckDBWorker, type DuckDBWorkerOptions } from "./duckdb-worker.js";
export { toConnectError } from "./errors.js";
export { defaultExtensionPath } from "./extension-path.js";
export type { SandboxLimits } from "./sandbox.js";
export type { Worker } from "./worker.js";
