import { randomUUID } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { DuckDBInstance } from "@duckdb/node-api";
import {
  type ExecuteRequest,
  type ExecuteResponse,
  ExecuteResponseSchema,
  type PresignStagedRequest,
  type PresignStagedResponse,
  PresignStagedResponseSchema,
  ResultKind,
  type StageRequest,
  type StageResponse,
  StageResponseSchema,
} from "@openduck/protocol";
import type { DatabaseStore, SnapshotInfo, WriteSession } from "@openduck/storage";
import { StorageError, validateDatabaseName } from "@openduck/storage";
import { copyDatabaseFile } from "./database-file.js";
import { toConnectError } from "./errors.js";
import { defaultExtensionPath } from "./extension-path.js";
import { type BatchSize, IpcConnection, type IpcRow, type SchemaInfo } from "./ipc-connection.js";
import { KeyedMutex } from "./keyed-mutex.js";
import { OpenDatabases } from "./open-databases.js";
import { inResultParts } from "./result-parts.js";
import { finishWrite, Sandboxes, type SandboxLimits } from "./sandbox.js";
import { type SessionSettings, sessionSettings } from "./session-settings.js";
import { StagedInputs } from "./staged-inputs.js";
import { looksLikeWrite } from "./statement-routing.js";
import { transactionEnd } from "./transaction-control.js";
import type { Worker } from "./worker.js";

export interface DuckDBWorkerOptions {
  store: DatabaseStore;
  /** A private directory for spill files and write scratch space. */
  scratchDirectory: string;
  /** The extension build linked for @duckdb/node-api. */
  extensionPath?: string;
  limits?: Partial<Omit<SandboxLimits, "tempDirectory">>;
  /** Read-only snapshots kept open between queries. */
  openDatabases?: number;
  /** A query running longer than this is interrupted. */
  queryTimeoutMs?: number;
  /**
   * A write's result is held until its commit, so it is capped; a larger
   * RETURNING result fails the write before anything is committed.
   */
  maxWriteResultBytes?: number;
}

const defaultBatch: BatchSize = { rows: 65536, bytes: 1024 * 1024 };
const resultKinds: Record<SchemaInfo["result"], ResultKind> = {
  rows: ResultKind.ROWS,
  changed_rows: ResultKind.CHANGED_ROWS,
  nothing: ResultKind.NOTHING,
};
const readOnlyViolation =
  /Cannot execute statement of type "[^"]+" on database "[^"]*" which is attached in read-only mode/;

/**
 * Streams `read` unless the SQL writes; true when it does: it looks like a
 * write, or DuckDB refused it on the read-only snapshot (before any row), so
 * it goes to the write path.
 */
async function* readUnlessWrite(
  sql: string,
  read: AsyncIterable<ExecuteResponse>,
): AsyncGenerator<ExecuteResponse, boolean> {
  if (looksLikeWrite(sql)) return true;
  try {
    yield* read;
    return false;
  } catch (error) {
    if (!readOnlyViolation.test(error instanceof Error ? error.message : "")) throw error;
    return true;
  }
}

/**
 * The in-memory database that answers COMMIT and ROLLBACK as DuckDB would.
 * Database names are identifiers, so this key never names a snapshot.
 */
const transactionControlKey = "transaction control";

/** One request, as every step of its execution needs it. */
interface Statement {
  request: ExecuteRequest;
  settings: SessionSettings;
  size: BatchSize;
  signal: AbortSignal;
  started: number;
  staged: StagedInputs;
}

function response(payload: MessageInitShape<typeof ExecuteResponseSchema>["payload"]): ExecuteResponse {
  return create(ExecuteResponseSchema, { payload });
}

/** Converts a row of the extension's output to the worker protocol. */
function toResponse(
  row: Exclude<IpcRow, { kind: "end" }>,
  snapshotId: string,
  write: boolean,
): ExecuteResponse {
  switch (row.kind) {
    case "schema":
      return response({
        case: "header",
        value: {
          snapshotId,
          statementType: row.info.statement_type,
          resultKind: resultKinds[row.info.result] ?? ResultKind.UNSPECIFIED,
          columns: row.info.columns,
          arrowSchema: row.ipc,
          write,
        },
      });
    case "batch":
      return response({ case: "batch", value: { ipc: row.ipc, rowCount: BigInt(row.rowCount) } });
    case "progress":
      return response({
        case: "progress",
        value: {
          percentage: row.info.percentage,
          rowsProcessed: BigInt(Math.max(0, row.info.rows_processed)),
          totalRows: BigInt(Math.max(0, row.info.total_rows)),
        },
      });
  }
}

/**
 * Executes SQL with DuckDB over the store's snapshots. A statement first
 * runs on the read-only snapshot; if DuckDB says it writes, it runs again on
 * a private copy of the head that is committed as the next snapshot. Reads
 * stream; a write's result is held back until its commit succeeded, so a
 * client never sees rows of a write that did not happen. Inside a
 * transaction the same happens on the transaction's tip, and writes become
 * private snapshots until COMMIT publishes the last one.
 */
export class DuckDBWorker implements Worker {
  readonly #store: DatabaseStore;
  readonly #scratch: string;
  readonly #sandboxes: Sandboxes;
  readonly #open: OpenDatabases;
  readonly #writes = new KeyedMutex();
  readonly #queryTimeoutMs: number;
  readonly #maxWriteResultBytes: number;

  constructor(options: DuckDBWorkerOptions) {
    this.#store = options.store;
    this.#scratch = options.scratchDirectory;
    this.#sandboxes = new Sandboxes(options.extensionPath ?? defaultExtensionPath(), {
      memoryLimit: options.limits?.memoryLimit ?? "1GB",
      threads: options.limits?.threads ?? 2,
      maxTempDirectorySize: options.limits?.maxTempDirectorySize ?? "10GB",
      tempDirectory: join(this.#scratch, "spill"),
    });
    this.#open = new OpenDatabases(options.openDatabases ?? 4);
    this.#queryTimeoutMs = options.queryTimeoutMs ?? 10 * 60 * 1000;
    this.#maxWriteResultBytes = options.maxWriteResultBytes ?? 64 * 1024 * 1024;
  }

  /**
   * Creates a database whose first snapshot is a fresh DuckDB file, or a copy
   * of the DuckDB file `from` (a path on this machine; a WAL it has is merged
   * into the copy, the file itself is not touched).
   */
  async createDatabase(name: string, from?: string): Promise<SnapshotInfo> {
    validateDatabaseName(name);
    const dir = join(this.#scratch, "new", randomUUID());
    await mkdir(dir, { recursive: true });
    try {
      const file = join(dir, `${name}.duckdb`);
      if (from !== undefined) await copyDatabaseFile(from, file);
      const instance = await DuckDBInstance.create(file);
      const connection = await instance.connect();
      await connection.run("CHECKPOINT");
      connection.closeSync();
      instance.closeSync();
      return await this.#store.createDatabase(name, file);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Creates the database unless it exists. */
  async ensureDatabase(name: string): Promise<void> {
    try {
      await this.createDatabase(name);
    } catch (error) {
      if (!(error instanceof StorageError && error.code === "already_exists")) throw error;
    }
  }

  async *execute(request: ExecuteRequest, signal: AbortSignal): AsyncGenerator<ExecuteResponse> {
    const started = performance.now();
    if (request.sql.includes("\0")) {
      throw new ConnectError("SQL text must not contain NUL characters", Code.InvalidArgument);
    }
    const size: BatchSize = {
      rows: request.batchRows || defaultBatch.rows,
      bytes: request.batchBytes || defaultBatch.bytes,
    };
    const settings = sessionSettings(request.settings);
    const inTransaction = request.beginTransaction || request.transactionTip !== "";
    const ending = transactionEnd(request.sql, inTransaction);
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(this.#queryTimeoutMs)]);
    let staged: StagedInputs | undefined;
    try {
      staged = await StagedInputs.fetch(this.#store, request.database, request.staged, this.#scratch);
      const statement: Statement = { request, settings, size, signal: deadline, started, staged };
      const messages = !inTransaction
        ? this.#autocommit(statement)
        : ending !== undefined
          ? await this.#endTransaction(statement, ending)
          : this.#inTransaction(statement);
      yield* request.resultParts ? inResultParts(messages, this.#store) : messages;
    } catch (error) {
      if (deadline.aborted && !signal.aborted) {
        throw new ConnectError(
          `query exceeded the ${this.#queryTimeoutMs} ms time limit`,
          Code.DeadlineExceeded,
        );
      }
      throw toConnectError(error);
    } finally {
      await staged?.remove();
    }
  }

  async stage(request: StageRequest): Promise<StageResponse> {
    try {
      await this.#store.stageRows(request.database, request.uploadId, request.part, request.arrowIpc);
    } catch (error) {
      throw toConnectError(error);
    }
    return create(StageResponseSchema, { bytes: BigInt(request.arrowIpc.byteLength) });
  }

  async presignStaged(request: PresignStagedRequest): Promise<PresignStagedResponse> {
    try {
      const { urls, expiresInMs } = await this.#store.presignStagedParts(
        request.database,
        request.uploadId,
        request.firstPart,
        request.count,
      );
      return create(PresignStagedResponseSchema, { urls, expiresInMs: BigInt(expiresInMs) });
    } catch (error) {
      throw toConnectError(error);
    }
  }

  /** Loads DuckDB and the extension ahead of the first query (a serverless worker does it while it starts). */
  warmUp(): Promise<void> {
    return this.#sandboxes.prepare();
  }

  async close(): Promise<void> {
    await this.#open.closeAll();
    await this.#sandboxes.close();
  }

  /** A statement of its own: a read of the head or a pinned snapshot, or a write committed as the next head. */
  async *#autocommit(statement: Statement): AsyncGenerator<ExecuteResponse> {
    const { request } = statement;
    const read = async function* (this: DuckDBWorker) {
      const snapshot = await this.#store.resolveSnapshot(request.database, request.snapshot || undefined);
      yield* this.#read(statement, snapshot);
    };
    if (!(yield* readUnlessWrite(request.sql, read.call(this)))) return;
    if (request.snapshot !== "") {
      throw new ConnectError(
        `snapshot "${request.snapshot}" of database "${request.database}" is read-only: time travel reads an old snapshot, writes go to the head (omit the snapshot)`,
        Code.FailedPrecondition,
      );
    }
    yield* await this.#writes.run(request.database, () =>
      this.#write(statement, () => this.#store.beginWrite(request.database)),
    );
  }

  /**
   * A statement of a transaction: it reads the transaction's tip, and a
   * write adds a private snapshot on it, which becomes the next tip. The
   * statement that begins a transaction settles its base first.
   */
  async *#inTransaction(statement: Statement): AsyncGenerator<ExecuteResponse> {
    const { request } = statement;
    let base = request.transactionBase;
    let tip: SnapshotInfo;
    if (request.beginTransaction) {
      tip = await this.#store.resolveSnapshot(request.database, request.snapshot || undefined);
      base = tip.id;
    } else {
      tip = await this.#store.transactionSnapshot(request.database, request.transactionTip);
    }
    const inTransaction = (message: ExecuteResponse) => {
      if (message.payload.case === "header") {
        message.payload.value.transactionBase = base;
        message.payload.value.transactionTip = message.payload.value.snapshotId;
      }
      return message;
    };
    const read = async function* (this: DuckDBWorker) {
      for await (const message of this.#read(statement, tip)) yield inTransaction(message);
    };
    if (!(yield* readUnlessWrite(request.sql, read.call(this)))) return;
    // Private writes never conflict: statements of one transaction only have to take turns.
    const held = await this.#writes.run(`${request.database}@${tip.id}`, () =>
      this.#write(statement, () => this.#store.beginPrivateWrite(request.database, tip.id)),
    );
    for (const message of held) yield inTransaction(message);
  }

  /**
   * COMMIT publishes the transaction's tip as the next head; ROLLBACK has
   * nothing to undo (private snapshots are collected later). Either answers
   * as DuckDB answers the statement, from a database of its own.
   */
  async #endTransaction(statement: Statement, kind: "commit" | "rollback"): Promise<ExecuteResponse[]> {
    const { request } = statement;
    const base = request.beginTransaction
      ? (await this.#store.resolveSnapshot(request.database, request.snapshot || undefined)).id
      : request.transactionBase;
    const tip = request.beginTransaction ? base : request.transactionTip;
    const { connection, release } = await this.#open.acquire(transactionControlKey, async () => {
      const instance = await this.#openDatabase(":memory:", transactionControlKey, false);
      return { instance, database: transactionControlKey, release: () => {} };
    });
    const answer: ExecuteResponse[] = [];
    try {
      // Marked as a write: the transaction ended, so a query handle must never run the statement again.
      for await (const message of this.#run(connection, statement, `BEGIN; ${request.sql}`, "", true)) {
        answer.push(message);
      }
    } finally {
      release(answer.at(-1)?.payload.case === "end");
    }
    // Publishing comes last: once it succeeded, nothing can fail the answer any more.
    const snapshotId = kind === "commit" ? (await this.#store.publish(request.database, base, tip)).id : base;
    const header = answer[0]?.payload;
    if (header?.case === "header") {
      header.value.snapshotId = snapshotId;
      header.value.transactionBase = base;
    }
    return answer;
  }

  async *#read(statement: Statement, snapshot: SnapshotInfo): AsyncGenerator<ExecuteResponse> {
    const { connection, release } = await this.#open.acquire(
      `${snapshot.database}@${snapshot.id}`,
      async () => {
        const opened = await this.#store.openSnapshot(snapshot);
        try {
          const instance = await this.#openDatabase(opened.attachPath, snapshot.database, true);
          return { instance, database: snapshot.database, release: opened.release };
        } catch (error) {
          opened.release();
          throw error;
        }
      },
    );
    let finished = false;
    try {
      for await (const message of this.#run(
        connection,
        statement,
        statement.request.sql,
        snapshot.id,
        false,
      )) {
        finished = message.payload.case === "end";
        yield message;
      }
    } finally {
      release(finished);
    }
  }

  /**
   * Runs a write in the session `begin` starts and commits it; the result
   * is held until the commit succeeded. Uploads the write read are dropped
   * then: they are in the snapshot now.
   */
  async #write(statement: Statement, begin: () => Promise<WriteSession>): Promise<ExecuteResponse[]> {
    const { request } = statement;
    const session = await begin();
    try {
      const held: ExecuteResponse[] = [];
      const instance = await this.#openDatabase(session.attachPath, request.database, false);
      try {
        const connection = await IpcConnection.open(instance, request.database);
        try {
          let bytes = 0;
          for await (const message of this.#run(connection, statement, request.sql, "", true)) {
            if (message.payload.case === "batch") {
              bytes += message.payload.value.ipc.byteLength;
              if (bytes > this.#maxWriteResultBytes) {
                throw new ConnectError(
                  `the write's result is larger than ${this.#maxWriteResultBytes} bytes; nothing was written. Return fewer rows (e.g. a smaller RETURNING list)`,
                  Code.ResourceExhausted,
                );
              }
            }
            if (message.payload.case !== "progress") held.push(message);
          }
        } finally {
          connection.close();
        }
        await finishWrite(instance, request.database);
      } finally {
        instance.closeSync();
      }
      const committed = await session.commit();
      await statement.staged.drop();
      const header = held[0];
      if (header?.payload.case === "header") header.payload.value.snapshotId = committed.id;
      return held;
    } finally {
      await session.abort();
    }
  }

  async *#run(
    connection: IpcConnection,
    statement: Statement,
    sql: string,
    snapshotId: string,
    write: boolean,
  ): AsyncGenerator<ExecuteResponse> {
    const { signal, started } = statement;
    signal.throwIfAborted();
    const interrupt = () => connection.interrupt();
    signal.addEventListener("abort", interrupt);
    let rows = 0;
    let bytes = 0;
    let batches = 0;
    try {
      for await (const row of connection.run(
        sql,
        statement.size,
        statement.settings,
        statement.staged.paths,
      )) {
        if (row.kind === "end") {
          yield response({
            case: "end",
            value: {
              rowsAffected: BigInt(row.info.rows_affected ?? 0),
              statistics: {
                rows: BigInt(rows),
                bytes: BigInt(bytes),
                batches: BigInt(batches),
                elapsedMs: performance.now() - started,
              },
            },
          });
          continue;
        }
        if (row.kind === "batch") {
          rows += row.rowCount;
          bytes += row.ipc.byteLength;
          batches++;
        }
        yield toResponse(row, snapshotId, write);
      }
    } finally {
      signal.removeEventListener("abort", interrupt);
    }
  }

  #openDatabase(attachPath: string, database: string, readOnly: boolean): Promise<DuckDBInstance> {
    return this.#sandboxes.open(attachPath, { database, readOnly });
  }
}
