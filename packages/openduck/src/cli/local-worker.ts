import { join } from "node:path";
import { DuckDBWorker } from "@openduck/engine";
import type { Administration } from "@openduck/gateway";
import type { LayeredDatabaseStore } from "@openduck/storage";
import { type Claim, claimDataDirectory } from "./data-directory-owner.js";
import { parsePositiveInteger, UsageError } from "./settings.js";
import {
  isEmbedded,
  openStore,
  type StorageConfig,
  type StorageFlags,
  storageOptions,
} from "./storage-config.js";

export const workerOptions = {
  ...storageOptions,
  database: { type: "string", short: "d", multiple: true },
  "memory-limit": { type: "string" },
  threads: { type: "string" },
} as const;

export interface WorkerFlags extends StorageFlags {
  database?: string[];
  "memory-limit"?: string;
  threads?: string;
}

export interface LocalWorker {
  worker: DuckDBWorker;
  store: LayeredDatabaseStore;
  administration: Administration;
  /** Tells the other commands where this process serves AdminService (embedded metadata only). */
  advertise(url: string, secret: string): void;
  close(): Promise<void>;
}

/**
 * A DuckDB worker over the configured storage, with the databases named by
 * -d created. With embedded metadata the process claims the data directory.
 */
export async function startLocalWorker(config: StorageConfig, flags: WorkerFlags): Promise<LocalWorker> {
  const threads = parsePositiveInteger(flags.threads, "--threads");
  let claim: Claim = { advertise: () => {}, release: () => {} };
  if (isEmbedded(config)) {
    const claimed = claimDataDirectory(config.dataDirectory);
    if (!("release" in claimed)) {
      throw new UsageError(
        `the data directory ${config.dataDirectory} is in use by process ${claimed.pid}${claimed.url ? ` (serving ${claimed.url})` : ""}: its embedded metadata allows one process; stop it, or use another --data`,
      );
    }
    claim = claimed;
  }
  try {
    const store = await openStore(config);
    const worker = new DuckDBWorker({
      store,
      scratchDirectory: join(config.dataDirectory, "work", "duckdb"),
      limits: {
        ...(flags["memory-limit"] ? { memoryLimit: flags["memory-limit"] } : {}),
        ...(threads ? { threads } : {}),
      },
    });
    for (const name of flags.database ?? []) await worker.ensureDatabase(name);
    return {
      worker,
      store,
      administration: { store, createDatabase: (name, from) => worker.createDatabase(name, from) },
      advertise: claim.advertise,
      close: async () => {
        await worker.close();
        await store.close();
        claim.release();
      },
    };
  } catch (error) {
    claim.release();
    throw error;
  }
}
