import { Code, ConnectError } from "@connectrpc/connect";
import {
  type DuckDBBlobValue,
  type DuckDBConnection,
  type DuckDBInstance,
  type DuckDBPreparedStatement,
  LIST,
  listValue,
  MAP,
  mapValue,
  VARCHAR,
} from "@duckdb/node-api";
import { toConnectError } from "./errors.js";
import { useDatabase } from "./sandbox.js";
import type { SessionSettings } from "./session-settings.js";

/** One row of the extension's `openduck_arrow_ipc` table function. */
export type IpcRow =
  | { kind: "schema"; info: SchemaInfo; ipc: Uint8Array }
  | { kind: "progress"; info: ProgressInfo }
  | { kind: "batch"; rowCount: number; ipc: Uint8Array }
  | { kind: "end"; info: EndInfo };

/** An error of the query after its schema went out (the function's last row then). */
interface ErrorInfo {
  type: string;
  message: string;
}

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

/**
 * A connection of an open database that runs SQL through the extension's
 * `openduck_arrow_ipc`, which executes it on a connection of its own to the
 * same database and turns the result into Arrow IPC messages in C++. The
 * call is prepared once, so a query costs one execution and one fetch per
 * chunk of messages; pulling lazily keeps memory bounded, because DuckDB
 * produces the next batch only when the consumer asks for it.
 */
export class IpcConnection {
  readonly #connection: DuckDBConnection;
  readonly #statement: DuckDBPreparedStatement;

  private constructor(connection: DuckDBConnection, statement: DuckDBPreparedStatement) {
    this.#connection = connection;
    this.#statement = statement;
  }

  /** A connection whose unqualified names resolve in `database`. */
  static async open(instance: DuckDBInstance, database: string): Promise<IpcConnection> {
    const connection = await instance.connect();
    try {
      await connection.run(useDatabase(database));
      const statement = await connection.prepare(
        "SELECT kind, row_count, info, ipc FROM openduck_arrow_ipc($1, batch_rows := $2, batch_bytes := $3, " +
          "time_zone := $4, calendar := $5, staged := $6)",
      );
      return new IpcConnection(connection, statement);
    } catch (error) {
      connection.closeSync();
      throw error;
    }
  }

  /**
   * Runs SQL with the given session settings and staged uploads (upload id →
   * the local paths of its parts, read by openduck_staged); the stream ends
   * with the "end" row, when the connection is idle again.
   */
  async *run(
    sql: string,
    size: BatchSize,
    settings: SessionSettings = {},
    staged: ReadonlyMap<string, string[]> = new Map(),
  ): AsyncGenerator<IpcRow> {
    this.#statement.bindVarchar(1, sql);
    this.#statement.bindBigInt(2, BigInt(size.rows));
    this.#statement.bindBigInt(3, BigInt(size.bytes));
    for (const [index, value] of [settings.timeZone, settings.calendar].entries()) {
      if (value === undefined) this.#statement.bindNull(index + 4);
      else this.#statement.bindVarchar(index + 4, value);
    }
    if (staged.size === 0) this.#statement.bindNull(6);
    else {
      const entries = [...staged].map(([uploadId, paths]) => ({ key: uploadId, value: listValue(paths) }));
      this.#statement.bindMap(6, mapValue(entries), MAP(VARCHAR, LIST(VARCHAR)));
    }
    const result = await this.#statement.stream();
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
        const kind = kinds.getItem(row) as IpcRow["kind"] | "error";
        const info = infos.getItem(row) as string | null;
        const blob = blobs.getItem(row) as DuckDBBlobValue | null;
        switch (kind) {
          case "schema":
            yield {
              kind,
              info: JSON.parse(info ?? "{}") as SchemaInfo,
              ipc: blob?.bytes ?? new Uint8Array(),
            };
            break;
          case "progress":
            yield { kind, info: JSON.parse(info ?? "{}") as ProgressInfo };
            break;
          case "batch":
            yield { kind, rowCount: Number(counts.getItem(row)), ipc: blob?.bytes ?? new Uint8Array() };
            break;
          case "error":
            // DuckDB's message, as it would have thrown it ("<Kind> Error: …"): the code follows from the kind.
            throw toConnectError(new Error((JSON.parse(info ?? "{}") as ErrorInfo).message));
          case "end":
            // Finish the call before handing out the end: the function's inner connection (and a write's
            // transaction) lives until the outer query completes, and the caller may checkpoint right after.
            await result.fetchChunk();
            yield { kind, info: JSON.parse(info ?? "{}") as EndInfo };
            return;
          default:
            throw new Error(`openduck_arrow_ipc returned an unknown row kind ${JSON.stringify(kind)}`);
        }
      }
    }
  }

  interrupt(): void {
    this.#connection.interrupt();
  }

  close(): void {
    this.#statement.destroySync();
    this.#connection.closeSync();
  }
}
