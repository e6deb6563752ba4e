import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import type { FunctionInvoker } from "@openduck/lambda";
import { EventStreamCodec } from "@smithy/core/event-streams";

/**
 * Lambda's limits that matter to OpenDuck: an invocation payload or a function
 * URL request body of at most 6 MB; a streamed response is meant to stay small
 * too (beyond its first 6 MB Lambda throttles it to 2 MB/s), so large results
 * leave through presigned objects.
 */
export const LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024;

/** A handler wrapped by `awslambda.streamifyResponse`, as the Node.js runtime calls it. */
export type StreamingLambdaHandler = (
  event: unknown,
  responseStream: Writable,
  context: unknown,
) => Promise<unknown>;

/** What went through an emulated endpoint, to assert it against Lambda's limits. */
export class TrafficRecord {
  requests = 0;
  largestRequest = 0;
  largestResponse = 0;
  /** Bytes of every request body and response body so far. */
  requestBytes = 0;
  responseBytes = 0;

  request(body: Uint8Array): void {
    this.requests++;
    this.requestBytes += body.byteLength;
    this.largestRequest = Math.max(this.largestRequest, body.byteLength);
  }

  /** `bytes` more of a response whose body is `sent` bytes long so far, them included. */
  response(bytes: number, sent: number): void {
    this.responseBytes += bytes;
    this.largestResponse = Math.max(this.largestResponse, sent);
  }
}

const httpIntegrationType = "application/vnd.awslambda.http-integration-response";

/**
 * The `awslambda` global of Lambda's Node.js runtime, which `hono/aws-lambda`
 * and our worker handler use at import time: `streamifyResponse` marks a
 * handler as streaming; `HttpResponseStream.from` writes the HTTP prelude
 * (status, headers as JSON, then eight NUL bytes) before the body, as the
 * runtime does for function URLs.
 */
export function installAwsLambdaGlobal(): void {
  const runtime = {
    streamifyResponse: (handler: StreamingLambdaHandler) => handler,
    HttpResponseStream: {
      from(stream: ResponseStream, prelude: Record<string, unknown>): ResponseStream {
        stream.setContentType(httpIntegrationType);
        stream.write(JSON.stringify(prelude));
        stream.write(new Uint8Array(8));
        return stream;
      },
    },
  };
  (globalThis as unknown as { awslambda: typeof runtime }).awslambda = runtime;
}

/** The response stream the runtime hands a streaming handler: a Writable with a content type. */
class ResponseStream extends Writable {
  contentType = "application/octet-stream";
  readonly #sink: (chunk: Uint8Array) => Promise<void>;

  constructor(sink: (chunk: Uint8Array) => Promise<void>) {
    super();
    this.#sink = sink;
  }

  setContentType(type: string): void {
    this.contentType = type;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.#sink(chunk).then(() => done(), done);
  }
}

function lambdaContext(functionName: string) {
  const deadline = Date.now() + 15 * 60 * 1000;
  return {
    awsRequestId: randomUUID(),
    functionName,
    functionVersion: "$LATEST",
    memoryLimitInMB: "1024",
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Writes to `response`, waiting while its buffer is full. */
function sinkTo(response: ServerResponse): (chunk: Uint8Array) => Promise<void> {
  return async (chunk) => {
    if (!response.write(chunk)) await new Promise((resolve) => response.once("drain", resolve));
  };
}

/**
 * Invokes `handler` in this process, without HTTP: the gateway's side of an
 * invocation, answered with everything the handler wrote once it returned.
 * `onAnswered` runs when the handler ends its response stream.
 */
export function inProcessInvoker(handler: StreamingLambdaHandler, onAnswered?: () => void): FunctionInvoker {
  return {
    async *invoke(payload) {
      const chunks: Uint8Array[] = [];
      const stream = new Writable({
        write(chunk, _encoding, done) {
          chunks.push(chunk);
          done();
        },
      });
      if (onAnswered) stream.once("finish", onAnswered);
      await handler(JSON.parse(payload), stream, lambdaContext("in-process"));
      yield* chunks;
    },
  };
}

export interface EmulatedEndpoint {
  url: string;
  traffic: TrafficRecord;
  close(): Promise<void>;
}

async function listen(server: Server, traffic: TrafficRecord): Promise<EmulatedEndpoint> {
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    traffic,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A Lambda function URL in RESPONSE_STREAM mode in front of `handler`: each
 * HTTP request becomes a payload-2.0 function URL event, the handler's
 * prelude becomes the status and headers, and the rest of what it writes
 * streams out as the body. Request bodies over 6 MB are refused with 413, as
 * Lambda does.
 */
export async function startFunctionUrl(handler: StreamingLambdaHandler): Promise<EmulatedEndpoint> {
  const traffic = new TrafficRecord();
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    traffic.request(body);
    if (body.byteLength > LAMBDA_PAYLOAD_LIMIT) {
      response
        .writeHead(413, { "content-type": "application/json" })
        .end(JSON.stringify({ Message: `Request must be smaller than ${LAMBDA_PAYLOAD_LIMIT} bytes` }));
      return;
    }
    let sent = 0;
    let prelude: Buffer | undefined = Buffer.alloc(0);
    const toClient = sinkTo(response);
    const stream = new ResponseStream(async (chunk) => {
      if (prelude === undefined || stream.contentType !== httpIntegrationType) {
        sent += chunk.byteLength;
        traffic.response(chunk.byteLength, sent);
        if (!response.headersSent) response.writeHead(200, { "content-type": stream.contentType });
        await toClient(chunk);
        return;
      }
      prelude = Buffer.concat([prelude, chunk]);
      const end = prelude.indexOf(Buffer.alloc(8));
      if (end < 0) return;
      const { statusCode, headers, cookies } = JSON.parse(prelude.subarray(0, end).toString("utf8")) as {
        statusCode: number;
        headers: Record<string, string>;
        cookies: string[];
      };
      const rest = prelude.subarray(end + 8);
      prelude = undefined;
      response.writeHead(statusCode, {
        ...headers,
        ...(cookies.length > 0 ? { "set-cookie": cookies } : {}),
      });
      if (rest.byteLength > 0) {
        sent += rest.byteLength;
        traffic.response(rest.byteLength, sent);
        await toClient(rest);
      }
    });
    const url = new URL(request.url ?? "/", "http://function.url");
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(",") : value;
    }
    const now = new Date();
    const event = {
      version: "2.0",
      routeKey: "$default",
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
      requestContext: {
        accountId: "anonymous",
        apiId: "openduck-test",
        domainName: request.headers.host ?? "127.0.0.1",
        domainPrefix: "openduck-test",
        http: {
          method: request.method ?? "GET",
          path: url.pathname,
          protocol: "HTTP/1.1",
          sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
          userAgent: request.headers["user-agent"] ?? "",
        },
        requestId: randomUUID(),
        routeKey: "$default",
        stage: "$default",
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
      },
      ...(body.byteLength > 0
        ? { body: body.toString("base64"), isBase64Encoded: true }
        : { isBase64Encoded: false }),
    };
    try {
      await handler(event, stream, lambdaContext("Gateway"));
      await new Promise<void>((resolve) =>
        stream.writableFinished ? resolve() : stream.once("finish", resolve),
      );
      response.end();
    } catch (error) {
      if (!response.headersSent) response.writeHead(502, { "content-type": "application/json" });
      response.end(JSON.stringify({ Message: `the function failed: ${(error as Error).message}` }));
    }
  });
  return listen(server, traffic);
}

/**
 * Lambda's Invoke API for streamed responses (`InvokeWithResponseStream`, as
 * `@aws-sdk/client-lambda` calls it) in front of in-process handlers: the
 * payload is the event; what the handler writes returns as PayloadChunk
 * events, then InvokeComplete (naming the error if the handler threw).
 * Payloads over 6 MB are refused as Lambda refuses them.
 */
export async function startLambdaInvokeApi(
  functions: Record<string, StreamingLambdaHandler>,
): Promise<EmulatedEndpoint> {
  const traffic = new TrafficRecord();
  const codec = new EventStreamCodec(
    (bytes) => Buffer.from(bytes).toString("utf8"),
    (text) => Buffer.from(text, "utf8"),
  );
  const event = (type: string, contentType: string, body: Uint8Array) =>
    codec.encode({
      headers: {
        ":event-type": { type: "string", value: type },
        ":message-type": { type: "string", value: "event" },
        ":content-type": { type: "string", value: contentType },
      },
      body,
    });
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    traffic.request(body);
    const match = /^\/2021-11-15\/functions\/([^/]+)\/response-streaming-invocations(?:\?.*)?$/.exec(
      request.url ?? "",
    );
    const name = match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
    const handler = name === undefined ? undefined : functions[name];
    const refuse = (status: number, type: string, message: string) =>
      response
        .writeHead(status, { "content-type": "application/json", "x-amzn-errortype": type })
        .end(JSON.stringify({ Type: "User", message }));
    if (request.method !== "POST" || handler === undefined) {
      refuse(404, "ResourceNotFoundException", `Function not found: ${name ?? request.url}`);
      return;
    }
    if (body.byteLength > LAMBDA_PAYLOAD_LIMIT) {
      refuse(413, "RequestTooLargeException", `Request must be smaller than ${LAMBDA_PAYLOAD_LIMIT} bytes`);
      return;
    }
    response.writeHead(200, {
      "content-type": "application/vnd.amazon.eventstream",
      "x-amz-executed-version": "$LATEST",
    });
    let sent = 0;
    const toGateway = sinkTo(response);
    const stream = new ResponseStream(async (chunk) => {
      sent += chunk.byteLength;
      traffic.response(chunk.byteLength, sent);
      await toGateway(event("PayloadChunk", "application/octet-stream", chunk));
    });
    // The gateway hung up (its client went away): the function's stream closes, as Lambda's does.
    response.once("close", () => {
      if (!response.writableFinished) stream.destroy();
    });
    let complete: Record<string, string> = {};
    try {
      await handler(JSON.parse(body.toString("utf8")), stream, lambdaContext(name ?? ""));
      if (!stream.writableFinished && !stream.destroyed) {
        await new Promise((resolve) => stream.once("finish", resolve));
      }
    } catch (error) {
      complete = { ErrorCode: "Unhandled", ErrorDetails: (error as Error).message };
    }
    if (!response.destroyed) {
      response.end(event("InvokeComplete", "application/json", Buffer.from(JSON.stringify(complete))));
    }
  });
  return listen(server, traffic);
}
