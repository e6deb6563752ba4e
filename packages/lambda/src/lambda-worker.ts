import { type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { endStreamFlag } from "@connectrpc/connect/protocol-connect";
import type { Worker } from "@openduck/engine";
import {
  type ExecuteRequest,
  type ExecuteResponse,
  ExecuteResponseSchema,
  type PresignStagedRequest,
  type PresignStagedResponse,
  PresignStagedResponseSchema,
  type StageRequest,
  type StageResponse,
  StageResponseSchema,
} from "@openduck/protocol";
import { envelopes } from "./envelopes.js";
import { encodeInvocation, errorOfEnd, type Invocation } from "./invocation.js";

/** Calls a worker function and yields the bytes of its streamed answer. */
export interface FunctionInvoker {
  invoke(payload: string, signal: AbortSignal): AsyncIterable<Uint8Array>;
}

/**
 * The workers of a serverless deployment: each call is one invocation of the
 * worker function, whose answer streams back as Connect envelopes. Nothing is
 * kept between calls: Lambda picks (or starts) an instance for each.
 */
export class LambdaWorker implements Worker {
  readonly #invoker: FunctionInvoker;

  constructor(invoker: FunctionInvoker) {
    this.#invoker = invoker;
  }

  async *execute(request: ExecuteRequest, signal: AbortSignal): AsyncGenerator<ExecuteResponse> {
    for await (const data of this.#call({ method: "execute", request }, signal)) {
      yield fromBinary(ExecuteResponseSchema, data);
    }
  }

  stage(request: StageRequest): Promise<StageResponse> {
    return this.#unary({ method: "stage", request }, StageResponseSchema);
  }

  presignStaged(request: PresignStagedRequest): Promise<PresignStagedResponse> {
    return this.#unary({ method: "presign", request }, PresignStagedResponseSchema);
  }

  /** A call answered with one message. */
  async #unary<Schema extends DescMessage>(
    invocation: Invocation,
    schema: Schema,
  ): Promise<MessageShape<Schema>> {
    let response: MessageShape<Schema> | undefined;
    for await (const data of this.#call(invocation, new AbortController().signal)) {
      response = fromBinary(schema, data);
    }
    if (response === undefined) {
      throw new ConnectError(
        `the worker function answered a ${invocation.method} call with nothing`,
        Code.Internal,
      );
    }
    return response;
  }

  async *#call(invocation: Invocation, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const payload = encodeInvocation(invocation);
    for await (const { flags, data } of envelopes(this.#invoker.invoke(payload, signal))) {
      if ((flags & endStreamFlag) === endStreamFlag) {
        const error = errorOfEnd(data);
        if (error !== undefined) throw new ConnectError(error.rawMessage, error.code);
        return;
      }
      yield data;
    }
    throw new ConnectError("the worker function stopped before the end of its answer", Code.Unavailable);
  }
}
