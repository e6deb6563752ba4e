import { create } from "@bufbuild/protobuf";
import type { Worker } from "@openduck/engine";
import { ExecuteRequestSchema } from "@openduck/protocol";
import { tableFromIPC } from "apache-arrow";

export interface WorkerResult {
  snapshotId: string;
  rowsAffected: bigint;
  rows: Record<string, unknown>[];
}

/** Runs SQL on a worker in this process and decodes its Arrow result into plain rows. */
export async function runOnWorker(
  worker: Worker,
  database: string,
  sql: string,
  snapshot = "",
): Promise<WorkerResult> {
  const parts: Uint8Array[] = [];
  let snapshotId = "";
  let rowsAffected = 0n;
  const request = create(ExecuteRequestSchema, { database, sql, snapshot });
  for await (const { payload } of worker.execute(request, new AbortController().signal)) {
    if (payload.case === "header") {
      snapshotId = payload.value.snapshotId;
      parts.push(payload.value.arrowSchema);
    } else if (payload.case === "batch") {
      parts.push(payload.value.ipc);
    } else if (payload.case === "end") {
      rowsAffected = payload.value.rowsAffected;
    }
  }
  const table = tableFromIPC(Buffer.concat(parts));
  return {
    snapshotId,
    rowsAffected,
    rows: table.toArray().map((row) => row.toJSON() as Record<string, unknown>),
  };
}
