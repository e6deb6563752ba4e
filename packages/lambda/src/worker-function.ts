import { join } from "node:path";
import { DuckDBWorker } from "@openduck/engine";
import { LayeredDatabaseStore, NeonSqlClient, S3ObjectStore } from "@openduck/storage";
import { createWorkerHandler, type StreamingHandler } from "./worker-handler.js";

export interface WorkerFunctionSettings {
  /** The metadata database: Neon's pooled connection string. */
  postgresUrl: string;
  /** host:port of a WebSocket proxy in front of a plain PostgreSQL server (tests); unset for Neon. */
  postgresWebSocketProxy?: string | undefined;
  /** The bucket of layers, staged rows and result objects. */
  bucket: string;
  /** An S3-compatible server instead of AWS S3 (tests). */
  s3Endpoint?: string | undefined;
  /** Writable local storage: the function's ephemeral /tmp. */
  scratchDirectory: string;
  /** The OpenDuck extension shipped in the function's bundle. */
  extensionPath: string;
  /** The function's memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE); DuckDB may use three quarters of it. 0: DuckDB's default. */
  functionMemoryMb?: number;
  threads?: number;
}

/**
 * Everything a worker function does once per instance, while Lambda starts
 * it rather than on a query's path: the metadata schema checked (migrations
 * run only when behind), DuckDB and the extension loaded into a spare
 * instance. Layers are cached under the scratch directory for the instance's
 * lifetime; nothing else outlives an invocation.
 */
export async function startWorkerFunction(settings: WorkerFunctionSettings): Promise<StreamingHandler> {
  const began = performance.now();
  const sql = new NeonSqlClient({
    connectionString: settings.postgresUrl,
    ...(settings.postgresWebSocketProxy ? { webSocketProxy: settings.postgresWebSocketProxy } : {}),
  });
  const objects = new S3ObjectStore({
    bucket: settings.bucket,
    prefix: "",
    ...(settings.s3Endpoint ? { endpoint: settings.s3Endpoint, forcePathStyle: true } : {}),
  });
  const store = await LayeredDatabaseStore.open({
    sql,
    objects,
    workDirectory: join(settings.scratchDirectory, "work"),
  }).catch(async (error: unknown) => {
    await sql.close();
    throw error;
  });
  const metadataReady = performance.now();
  const worker = new DuckDBWorker({
    store,
    scratchDirectory: join(settings.scratchDirectory, "duckdb"),
    extensionPath: settings.extensionPath,
    limits: {
      ...(settings.functionMemoryMb
        ? { memoryLimit: `${Math.floor(settings.functionMemoryMb * 0.75)}MB` }
        : {}),
      ...(settings.threads ? { threads: settings.threads } : {}),
    },
  });
  await worker.warmUp();
  const startup = { metadata: metadataReady - began, duckdb: performance.now() - metadataReady };
  // One line per instance in the function's log: what a cold start cost.
  console.log(
    `openduck worker started in ${Math.round(startup.metadata + startup.duckdb)} ms (metadata ${Math.round(startup.metadata)} ms, DuckDB and the extension ${Math.round(startup.duckdb)} ms)`,
  );
  return createWorkerHandler(worker, () => store.settled());
}
