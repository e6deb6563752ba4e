import { join } from "node:path";
import { DuckDBWorker } from "@openduck/engine";
import { type DatabaseStore, FileDatabaseStore } from "@openduck/storage";
import { parsePositiveInteger } from "./settings.js";

export const workerOptions = {
  data: { type: "string" },
  database: { type: "string", short: "d", multiple: true },
  "memory-limit": { type: "string" },
  threads: { type: "string" },
} as const;

export interface WorkerFlags {
  data?: string;
  database?: string[];
  "memory-limit"?: string;
  threads?: string;
}

/** A DuckDB worker over the data directory, with the databases named by -d created. */
export async function startLocalWorker(
  dataDirectory: string,
  flags: WorkerFlags,
): Promise<{ worker: DuckDBWorker; store: DatabaseStore }> {
  const threads = parsePositiveInteger(flags.threads, "--threads");
  const store = new FileDatabaseStore(dataDirectory);
  const worker = new DuckDBWorker({
    store,
    scratchDirectory: join(dataDirectory, "scratch"),
    limits: {
      ...(flags["memory-limit"] ? { memoryLimit: flags["memory-limit"] } : {}),
      ...(threads ? { threads } : {}),
    },
  });
  for (const name of flags.database ?? []) await worker.ensureDatabase(name);
  return { worker, store };
}
