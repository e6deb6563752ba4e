import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { Worker } from "@openduck/engine";
import {
  type ExecuteQueryRequest,
  type ExecuteQueryResponse,
  ExecuteQueryResponseSchema,
  ExecuteRequestSchema,
  type ExecuteResponse,
  type ExecutionService,
  type Header,
  type StreamResultsRequest,
  type StreamResultsResponse,
  StreamResultsResponseSchema,
} from "@openduck/protocol";
import { bearerToken } from "./bearer-auth.js";
import type { QueryHandles } from "./query-handle.js";
import { prepareStagedParts, stageRows } from "./stage-rows.js";
import type { SuspendedResults } from "./suspended-results.js";
import type { Transaction, TransactionTokens } from "./transaction-token.js";

export interface ExecutionServiceOptions {
  worker: Worker;
  handles: QueryHandles;
  transactions: TransactionTokens;
  /** Inline limit when the client sets none. */
  defaultInlineLimitBytes: number;
  /** Reads kept running between ExecuteQuery and StreamResults. */
  suspended: SuspendedResults;
  /**
   * A StreamResults that runs its query again sends large results as result
   * parts (URLs) to clients that accept them, so the rows bypass the gateway.
   */
  resultParts: boolean;
}

function callerToken(context: HandlerContext): string {
  return bearerToken(context.requestHeader.get("authorization")) ?? "";
}

function requireText(value: string, field: string): void {
  if (value.trim() === "") {
    throw new ConnectError(`${field} is required`, Code.InvalidArgument);
  }
}

/** Aborts `stop` when the call's signal aborts, until the returned function is called. */
function forwardAbort(signal: AbortSignal, stop: AbortController): () => void {
  const forward = () => stop.abort(signal.reason);
  if (signal.aborted) forward();
  signal.addEventListener("abort", forward, { once: true });
  return () => signal.removeEventListener("abort", forward);
}

/** The transaction a request continues, verified; undefined outside one. */
function continuedTransaction(
  request: ExecuteQueryRequest,
  transactions: TransactionTokens,
  caller: string,
): Transaction | undefined {
  if (request.transaction.byteLength === 0) return undefined;
  const transaction = transactions.verify(request.transaction, request.database, caller);
  if (request.snapshot !== "") {
    throw new ConnectError(
      "`snapshot` must be empty inside a transaction: the transaction reads its own snapshot",
      Code.InvalidArgument,
    );
  }
  if (request.beginTransaction) {
    throw new ConnectError(
      "`begin_transaction` with `transaction`: that transaction is open already; send one or the other",
      Code.InvalidArgument,
    );
  }
  return transaction;
}

/**
 * The public ExecutionService over a worker. ExecuteQuery answers small
 * results inline; a larger read stops early and hands back a signed handle.
 * The read stays paused on this instance for a while, and StreamResults
 * continues it; on another instance, or later, StreamResults runs the query
 * again at the pinned snapshot. Either way it streams with the worker's
 * backpressure; a large result may leave as result parts (URLs) instead.
 * A transaction's statements carry a signed token from one response to the
 * next request; StageRows (or PUTs to PrepareStagedParts' URLs) store rows
 * for a later write.
 */
export function executionService(options: ExecutionServiceOptions): ServiceImpl<typeof ExecutionService> {
  const { worker, handles, transactions, suspended } = options;

  async function executeQuery(
    request: ExecuteQueryRequest,
    context: HandlerContext,
  ): Promise<ExecuteQueryResponse> {
    requireText(request.database, "database");
    requireText(request.sql, "sql");
    const caller = callerToken(context);
    const transaction = continuedTransaction(request, transactions, caller);
    // A transaction's lifetime counts from before its first statement, which may already write a private snapshot.
    const expiresAt = transaction?.expiresAt ?? Date.now() + transactions.ttlMs;
    const limit = Number(request.options?.inlineLimitBytes ?? BigInt(options.defaultInlineLimitBytes));
    const settings = request.options?.settings ?? {};
    const staged = request.staged.map(({ uploadId, parts }) => ({ uploadId, parts }));
    // Not the call's signal itself: a read that outgrows the limit outlives this call.
    const stop = new AbortController();
    const unforward = forwardAbort(context.signal, stop);
    const rest = worker
      .execute(
        create(ExecuteRequestSchema, {
          database: request.database,
          sql: request.sql,
          snapshot: request.snapshot,
          settings,
          beginTransaction: request.beginTransaction,
          transactionBase: transaction?.base ?? "",
          transactionTip: transaction?.tip ?? "",
          staged,
        }),
        stop.signal,
      )
      [Symbol.asyncIterator]();
    let header: Header | undefined;
    const received: ExecuteResponse[] = [];
    const batches: Uint8Array[] = [];
    let bytes = 0;
    let rows = 0n;
    let paused = false;
    const response = create(ExecuteQueryResponseSchema, {});
    try {
      for (;;) {
        const next = await rest.next();
        if (next.done) break;
        const message = next.value;
        received.push(message);
        const { payload } = message;
        if (payload.case === "header") {
          header = payload.value;
          if (limit === 0 && !header.write) {
            paused = true;
            break;
          }
        } else if (payload.case === "batch") {
          bytes += payload.value.ipc.byteLength;
          if (bytes > limit && !header?.write) {
            paused = true;
            break;
          }
          batches.push(payload.value.ipc);
          rows += payload.value.rowCount;
        } else if (payload.case === "end") {
          response.complete = true;
          response.rowsAffected = payload.value.rowsAffected;
          response.statistics = payload.value.statistics;
        }
      }
    } catch (error) {
      stop.abort();
      throw error;
    } finally {
      unforward();
    }
    if (header === undefined) {
      stop.abort();
      throw new ConnectError("the worker ended the query without a result header", Code.Internal);
    }
    response.snapshotId = header.snapshotId;
    response.statementType = header.statementType;
    response.resultKind = header.resultKind;
    response.columns = header.columns;
    response.arrowSchema = header.arrowSchema;
    // The worker names the transaction's tip while it goes on; after COMMIT or ROLLBACK it names none.
    const inTransaction =
      header.transactionTip === "" ? undefined : { base: header.transactionBase, tip: header.transactionTip };
    if (inTransaction !== undefined) {
      response.transaction = transactions.issue(
        { database: request.database, ...inTransaction, expiresAt },
        caller,
      );
    }
    if (response.complete) {
      response.arrowBatches = concat(batches, bytes);
      response.rowCount = rows;
    } else {
      // Where the read is not kept, StreamResults runs it again from its handle.
      const run = paused ? suspended.keep({ received, rest, stop }) : "";
      response.handle = handles.issue(
        {
          database: request.database,
          sql: request.sql,
          snapshotId: header.snapshotId,
          settings,
          run,
          ...(inTransaction === undefined ? {} : { transaction: inTransaction }),
          staged,
        },
        caller,
      );
      response.handleTtlMs = BigInt(handles.ttlMs);
    }
    return response;
  }

  async function* streamResults(
    request: StreamResultsRequest,
    context: HandlerContext,
  ): AsyncGenerator<StreamResultsResponse> {
    const claims = handles.verify(request.handle, callerToken(context));
    const kept = claims.run === "" ? undefined : suspended.take(claims.run);
    const stop = kept?.stop ?? new AbortController();
    const unforward = forwardAbort(context.signal, stop);
    const rest =
      kept?.rest ??
      worker
        .execute(
          create(ExecuteRequestSchema, {
            database: claims.database,
            sql: claims.sql,
            // A transaction's private tip is no snapshot a client may pin: the read runs in the transaction again.
            snapshot: claims.transaction === undefined ? claims.snapshotId : "",
            transactionBase: claims.transaction?.base ?? "",
            transactionTip: claims.transaction?.tip ?? "",
            settings: claims.settings,
            staged: claims.staged ?? [],
            resultParts: options.resultParts && request.acceptResultUrls,
          }),
          stop.signal,
        )
        [Symbol.asyncIterator]();
    try {
      for (const message of kept?.received ?? []) yield* toStreamResponses(message);
      for (;;) {
        const next = await rest.next();
        if (next.done) break;
        yield* toStreamResponses(next.value);
      }
    } finally {
      unforward();
      stop.abort();
      await rest.return?.();
    }
  }

  return {
    executeQuery,
    streamResults,
    stageRows: stageRows(worker),
    prepareStagedParts: prepareStagedParts(worker),
  };
}

/** A worker message as StreamResults messages. */
function* toStreamResponses({ payload }: ExecuteResponse): Generator<StreamResultsResponse> {
  switch (payload.case) {
    case "header":
      yield create(StreamResultsResponseSchema, {
        payload: { case: "arrowSchema", value: payload.value.arrowSchema },
      });
      break;
    case "batch":
      yield create(StreamResultsResponseSchema, { payload: { case: "batch", value: payload.value } });
      break;
    case "progress":
      yield create(StreamResultsResponseSchema, { payload: { case: "progress", value: payload.value } });
      break;
    case "resultPart":
      yield create(StreamResultsResponseSchema, { payload: { case: "resultPart", value: payload.value } });
      break;
    case "end":
      if (payload.value.statistics !== undefined) {
        yield create(StreamResultsResponseSchema, {
          payload: { case: "statistics", value: payload.value.statistics },
        });
      }
      break;
  }
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
