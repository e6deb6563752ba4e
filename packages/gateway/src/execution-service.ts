import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { Worker } from "@openduck/engine";
import {
  type ExecuteQueryRequest,
  type ExecuteQueryResponse,
  ExecuteQueryResponseSchema,
  ExecuteRequestSchema,
  type ExecutionService,
  type Header,
  type StreamResultsRequest,
  type StreamResultsResponse,
  StreamResultsResponseSchema,
} from "@openduck/protocol";
import { bearerToken } from "./bearer-auth.js";
import type { QueryHandles } from "./query-handle.js";

export interface ExecutionServiceOptions {
  worker: Worker;
  handles: QueryHandles;
  /** Inline limit when the client sets none. */
  defaultInlineLimitBytes: number;
}

function callerToken(context: HandlerContext): string {
  return bearerToken(context.requestHeader.get("authorization")) ?? "";
}

function requireText(value: string, field: string): void {
  if (value.trim() === "") {
    throw new ConnectError(`${field} is required`, Code.InvalidArgument);
  }
}

/**
 * The public ExecutionService over a worker. ExecuteQuery answers small
 * results inline; a larger read stops early and hands back a signed handle,
 * and StreamResults runs the query again at the pinned snapshot, streaming
 * it with the worker's backpressure.
 */
export function executionService(options: ExecutionServiceOptions): ServiceImpl<typeof ExecutionService> {
  const { worker, handles } = options;

  async function executeQuery(
    request: ExecuteQueryRequest,
    context: HandlerContext,
  ): Promise<ExecuteQueryResponse> {
    requireText(request.database, "database");
    requireText(request.sql, "sql");
    const limit = Number(request.options?.inlineLimitBytes ?? BigInt(options.defaultInlineLimitBytes));
    const stop = new AbortController();
    const signal = AbortSignal.any([context.signal, stop.signal]);
    const execution = worker.execute(
      create(ExecuteRequestSchema, {
        database: request.database,
        sql: request.sql,
        snapshot: request.snapshot,
        settings: request.options?.settings ?? {},
      }),
      signal,
    );
    let header: Header | undefined;
    const batches: Uint8Array[] = [];
    let bytes = 0;
    let rows = 0n;
    const response = create(ExecuteQueryResponseSchema, {});
    try {
      for await (const message of execution) {
        const { payload } = message;
        if (payload.case === "header") {
          header = payload.value;
          if (limit === 0 && !header.write) break;
        } else if (payload.case === "batch") {
          bytes += payload.value.ipc.byteLength;
          if (bytes > limit && !header?.write) break;
          batches.push(payload.value.ipc);
          rows += payload.value.rowCount;
        } else if (payload.case === "end") {
          response.complete = true;
          response.rowsAffected = payload.value.rowsAffected;
          response.statistics = payload.value.statistics;
        }
      }
    } finally {
      stop.abort();
    }
    if (header === undefined) {
      throw new ConnectError("the worker ended the query without a result header", Code.Internal);
    }
    response.snapshotId = header.snapshotId;
    response.statementType = header.statementType;
    response.resultKind = header.resultKind;
    response.columns = header.columns;
    response.arrowSchema = header.arrowSchema;
    if (response.complete) {
      response.arrowBatches = concat(batches, bytes);
      response.rowCount = rows;
    } else {
      response.handle = handles.issue(
        {
          database: request.database,
          sql: request.sql,
          snapshotId: header.snapshotId,
          settings: request.options?.settings ?? {},
        },
        callerToken(context),
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
    const execution = worker.execute(
      create(ExecuteRequestSchema, {
        database: claims.database,
        sql: claims.sql,
        snapshot: claims.snapshotId,
        settings: claims.settings,
      }),
      context.signal,
    );
    for await (const { payload } of execution) {
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
        case "end":
          if (payload.value.statistics !== undefined) {
            yield create(StreamResultsResponseSchema, {
              payload: { case: "statistics", value: payload.value.statistics },
            });
          }
          break;
      }
    }
  }

  return { executeQuery, streamResults };
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
