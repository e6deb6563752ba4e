/// <reference types="aws-lambda" />
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { startWorkerFunction } from "@openduck/lambda";
import { Resource } from "sst";

// While Lambda starts the instance: metadata checked, DuckDB and the extension loaded (see startWorkerFunction).
const handleInvocation = await startWorkerFunction({
  postgresUrl: Resource.NeonUrl.value,
  postgresWebSocketProxy: process.env.OPENDUCK_POSTGRES_WS_PROXY,
  bucket: Resource.Layers.name,
  s3Endpoint: process.env.OPENDUCK_S3_ENDPOINT,
  scratchDirectory: process.env.OPENDUCK_SCRATCH_DIR ?? "/tmp/openduck",
  // functions/bundle.mjs puts the extension beside the bundled handler.
  extensionPath: fileURLToPath(new URL("./openduck.duckdb_extension", import.meta.url)),
  functionMemoryMb: Number(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? 0),
  threads: availableParallelism(),
});

/** The worker function: invoked by the gateway with InvokeWithResponseStream, one WorkerService call each. */
export const handler = awslambda.streamifyResponse(handleInvocation);
