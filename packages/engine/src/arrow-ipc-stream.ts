import { Code, ConnectError } from "@connectrpc/connect";
import type { DuckDBBlobValue, DuckDBConnection } from "@duckdb/node-api";

/** One row of the extension's `openduck_arrow_ipc` table function. */
export type IpcRow =
  | { kind: "schema"; info: SchemaInfo; ipc: Uint8Array }
  | { kind: "progress"; info: ProgressInfo }
  | { kind: "batch"; rowCount: number; ipc: Uint8Array }
  | { kind: "end"; info: EndInfo };

export interface SchemaInfo {
  statement_type: string;
  result: "rows" | "changed_rows" | "nothing";
  columns: { name: string; type: string }[];
}

export interface ProgressInfo {
  percentage: number;
  rows_processed: number;
  total_rows: number;
}

export interface EndInfo {
  rows: number;
  rows_affected?: number;
}

export interface BatchSize {
  rows: number;
  bytes: number;
}

function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Runs SQL through the extension, which executes it on its own connection to
 * the same database and turns the result into Arrow IPC messages in C++.
 * Pulling lazily keeps memory bounded: DuckDB produces the next batch only
 * when the consumer asks for it.
 */
export async function* streamArrowIpc(
  connection: DuckDBConnection,
  sql: string,
  size: BatchSize,
): AsyncGenerator<IpcRow> {
  const result = await connection.stream(
    `SELECT kind, row_count, info, ipc FROM openduck_arrow_ipc(${quoteLiteral(sql)}, batch_rows := ${size.rows}, batch_bytes := ${size.bytes})`,
  );
  for (;;) {
    const chunk = await result.fetchChunk();
    // The function always ends with an "end" row: a stream that stops short of it was interrupted (node-api
    // reports an interrupt during fetchChunk as the end of the result).
    if (chunk === null || chunk.rowCount === 0) {
      throw new ConnectError("the query was interrupted", Code.Canceled);
    }
    const kinds = chunk.getColumnVector(0);
    const counts = chunk.getColumnVector(1);
    const infos = chunk.getColumnVector(2);
    const blobs = chunk.getColumnVector(3);
    for (let row = 0; row < chunk.rowCount; row++) {
      const kind = kinds.getItem(row) as IpcRow["kind"];
      const info = infos.getItem(row) as string | null;
      const blob = blobs.getItem(row) as DuckDBBlobValue | null;
      switch (kind) {
        case "schema":
          yield { kind, info: JSON.parse(info ?? "{}") as SchemaInfo, ipc: blob?.bytes ?? new Uint8Array() };
          break;
        case "progress":
          yield { kind, info: JSON.parse(info ?? "{}") as ProgressInfo };
          break;
        case "batch":
          yield { kind, rowCount: Number(counts.getItem(row)), ipc: blob?.bytes ?? new Uint8Array() };
          break;
        case "end":
          yield { kind, info: JSON.parse(info ?? "{}") as EndInfo };
          return;
        default:
          throw new Error(`openduck_arrow_ipc returned an unknown row kind ${JSON.stringify(kind)}`);
      }
    }
  }
}
