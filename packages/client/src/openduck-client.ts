import { create } from "@bufbuild/protobuf";
import {
  type Client,
  Code,
  ConnectError,
  createClient,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import {
  abortableFetch,
  ExecuteQueryRequestSchema,
  type ExecuteQueryResponse,
  ExecutionService,
  type Progress,
  type QueryStatistics,
} from "@openduck/protocol";
import { type RecordBatch, RecordBatchReader, Table } from "apache-arrow";

export interface OpenDuckClientOptions {
  /** The gateway's base URL, e.g. "http://127.0.0.1:7878". */
  endpoint: string;
  token: string;
  /** Wire protocol; both work over HTTP/1.1 and in browsers. Default "connect". */
  protocol?: "connect" | "grpc-web";
  /** A fetch implementation; the global one by default. */
  fetch?: typeof globalThis.fetch;
}

export interface QueryOptions {
  /** Read an older snapshot (id or name) instead of the head. */
  snapshot?: string;
  /** Stops the query, here and on the server. */
  signal?: AbortSignal;
  /** Largest result the server may answer in one round trip; 0 streams always. */
  inlineLimitBytes?: number;
  /** Session settings the SQL runs with: TimeZone and Calendar, e.g. `{ TimeZone: "Europe/Berlin" }`. */
  settings?: Record<string, string>;
  onProgress?: (progress: Progress) => void;
  /** Called once the result is complete. */
  onStatistics?: (statistics: QueryStatistics) => void;
}

/**
 * A client of an OpenDuck service that needs only `fetch`, so it runs in
 * Node and in browsers. Results arrive as apache-arrow record batches.
 * Failures are ConnectErrors; `rawMessage` is what DuckDB said.
 */
export class OpenDuckClient {
  readonly #client: Client<typeof ExecutionService>;
  readonly #fetch: typeof globalThis.fetch;

  constructor(options: OpenDuckClientOptions) {
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const authorize: Interceptor = (next) => (request) => {
      request.header.set("authorization", `Bearer ${options.token}`);
      return next(request);
    };
    const transportOptions = {
      baseUrl: options.endpoint,
      interceptors: [authorize],
      fetch: abortableFetch(this.#fetch),
    };
    const transport: Transport =
      options.protocol === "grpc-web"
        ? createGrpcWebTransport(transportOptions)
        : createConnectTransport({ ...transportOptions, useBinaryFormat: true });
    this.#client = createClient(ExecutionService, transport);
  }

  /**
   * Runs SQL and returns the server's first answer: statement type, rows
   * affected, the snapshot it read or wrote, and the rows when they fit
   * inline (otherwise a handle that `query` streams).
   */
  execute(database: string, sql: string, options: QueryOptions = {}): Promise<ExecuteQueryResponse> {
    return this.#client.executeQuery(
      create(ExecuteQueryRequestSchema, {
        database,
        sql,
        snapshot: options.snapshot ?? "",
        options: {
          ...(options.inlineLimitBytes === undefined
            ? {}
            : { inlineLimitBytes: BigInt(options.inlineLimitBytes) }),
          settings: options.settings ?? {},
        },
      }),
      options.signal ? { signal: options.signal } : {},
    );
  }

  /**
   * Runs SQL and yields its result batch by batch. Leaving the loop early
   * cancels the query on the server.
   */
  async *query(database: string, sql: string, options: QueryOptions = {}): AsyncGenerator<RecordBatch> {
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    let batches: AsyncIterator<RecordBatch> | undefined;
    try {
      const first = await this.execute(database, sql, { ...options, signal });
      batches = (await RecordBatchReader.from(this.#ipcMessages(first, signal, options)))[
        Symbol.asyncIterator
      ]();
      for (;;) {
        const next = await batches.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // Abort before closing the reader: closing waits on the response stream, which only the abort ends.
      stop.abort();
      await batches?.return?.().catch(() => undefined);
    }
  }

  /** Runs SQL and collects the whole result into one table. */
  async table(database: string, sql: string, options: QueryOptions = {}): Promise<Table> {
    const first = await this.execute(database, sql, options);
    const reader = await RecordBatchReader.from(this.#ipcMessages(first, options.signal, options));
    const batches: RecordBatch[] = [];
    for await (const batch of reader) batches.push(batch);
    return batches.length > 0 ? new Table(batches) : new Table(reader.schema);
  }

  async *#ipcMessages(
    first: ExecuteQueryResponse,
    signal: AbortSignal | undefined,
    options: QueryOptions,
  ): AsyncGenerator<Uint8Array> {
    if (first.complete) {
      yield aligned(first.arrowSchema);
      if (first.arrowBatches.byteLength > 0) yield aligned(first.arrowBatches);
      if (first.statistics) options.onStatistics?.(first.statistics);
      return;
    }
    // A serverless service sends large results as parts to fetch from the object store, not through itself.
    const stream = this.#client.streamResults(
      { handle: first.handle, acceptResultUrls: true },
      signal ? { signal } : {},
    );
    for await (const { payload } of stream) {
      switch (payload.case) {
        case "arrowSchema":
          yield aligned(payload.value);
          break;
        case "batch":
          yield aligned(payload.value.ipc);
          break;
        case "resultPart":
          yield await fetchResultPart(this.#fetch, payload.value.url, signal);
          break;
        case "progress":
          options.onProgress?.(payload.value);
          break;
        case "statistics":
          options.onStatistics?.(payload.value);
          break;
      }
    }
  }
}

/** The rows of a result part (encapsulated IPC messages), from its presigned URL: no credentials of ours go along. */
async function fetchResultPart(
  fetch: typeof globalThis.fetch,
  url: string,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  // The query string is the URL's signature, a credential for a while: errors name the object only.
  const object = url.split("?")[0];
  let response: Response;
  try {
    response = await fetch(url, signal ? { signal } : {});
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ConnectError(
      `could not fetch a result part from ${object}: ${(error as Error).message}`,
      Code.Unavailable,
    );
  }
  if (!response.ok) {
    throw new ConnectError(
      `could not fetch a result part from ${object}: HTTP ${response.status}`,
      Code.Unavailable,
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * apache-arrow reads buffers in place as typed arrays, which needs Arrow's 8-byte alignment; bytes decoded from
 * a protobuf message start wherever the field happened to lie in it.
 */
function aligned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
}
