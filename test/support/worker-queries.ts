import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { Worker } from "@openduck/engine";
import { ExecuteRequestSchema, type Header } from "@openduck/protocol";
import { arrowRows } from "./connect-results.js";

export interface WorkerResult {
  snapshotId: string;
  rowsAffected: bigint;
  rows: Record<string, unknown>[];
  header: Header;
}

/** Runs SQL on a worker in this process and decodes its Arrow result into plain rows. */
export async function runOnWorker(
  worker: Worker,
  database: string,
  sql: string,
  snapshot = "",
): Promise<WorkerResult> {
  return executeOnWorker(worker, { database, sql, snapshot });
}

/** Runs a whole ExecuteRequest (transaction fields, staged rows) on a worker in this process. */
export async function executeOnWorker(
  worker: Worker,
  request: MessageInitShape<typeof ExecuteRequestSchema>,
): Promise<WorkerResult> {
  const parts: Uint8Array[] = [];
  let header: Header | undefined;
  let rowsAffected = 0n;
  for await (const { payload } of worker.execute(
    create(ExecuteRequestSchema, request),
    new AbortController().signal,
  )) {
    if (payload.case === "header") {
      header = payload.value;
      parts.push(payload.value.arrowSchema);
    } else if (payload.case === "batch") {
      parts.push(payload.value.ipc);
    } else if (payload.case === "end") {
      rowsAffected = payload.value.rowsAffected;
    }
  }
  if (header === undefined) throw new Error("the worker sent no header");
  return {
    snapshotId: header.snapshotId,
    rowsAffected,
    rows: arrowRows(...parts),
    header,
  };
}
