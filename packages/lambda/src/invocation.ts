import { type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { endStreamFlag, endStreamFromJson, endStreamToJson } from "@connectrpc/connect/protocol-connect";
import { ExecuteRequestSchema, PresignStagedRequestSchema, StageRequestSchema } from "@openduck/protocol";

/**
 * Largest invocation payload Lambda accepts (synchronous and streaming
 * invocations alike): 6 MB.
 */
export const MAX_INVOCATION_BYTES = 6 * 1024 * 1024;

/** What the gateway asks of a worker function: one WorkerService call. */
export type Invocation =
  | { method: "execute"; request: MessageShape<typeof ExecuteRequestSchema> }
  | { method: "stage"; request: MessageShape<typeof StageRequestSchema> }
  | { method: "presign"; request: MessageShape<typeof PresignStagedRequestSchema> };

const schemas: Record<Invocation["method"], DescMessage> = {
  execute: ExecuteRequestSchema,
  stage: StageRequestSchema,
  presign: PresignStagedRequestSchema,
};

/**
 * The JSON payload of an invocation: `{"openduck": method, "request": base64
 * protobuf}`. Lambda payloads are JSON, so the binary request travels as
 * base64 (4/3 of its size).
 */
export function encodeInvocation(invocation: Invocation): string {
  const bytes = toBinary(schemas[invocation.method], invocation.request);
  const payload = JSON.stringify({
    openduck: invocation.method,
    request: Buffer.from(bytes).toString("base64"),
  });
  if (payload.length > MAX_INVOCATION_BYTES) {
    throw new ConnectError(
      `the ${invocation.method} request is ${bytes.byteLength} bytes, more than a worker function invocation can carry (${MAX_INVOCATION_BYTES} bytes as base64 JSON)`,
      Code.ResourceExhausted,
    );
  }
  return payload;
}

/** The invocation an event carries; anything else is refused with invalid_argument. */
export function decodeInvocation(event: unknown): Invocation {
  const { openduck: method, request } = (event ?? {}) as { openduck?: unknown; request?: unknown };
  if ((method !== "execute" && method !== "stage" && method !== "presign") || typeof request !== "string") {
    throw new ConnectError(
      'not an OpenDuck worker invocation: expected {"openduck": "execute" | "stage" | "presign", "request": base64}',
      Code.InvalidArgument,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = Buffer.from(request, "base64");
    switch (method) {
      case "execute":
        return { method, request: fromBinary(ExecuteRequestSchema, bytes) };
      case "stage":
        return { method, request: fromBinary(StageRequestSchema, bytes) };
      case "presign":
        return { method, request: fromBinary(PresignStagedRequestSchema, bytes) };
    }
  } catch (error) {
    throw new ConnectError(
      `malformed ${method} request in the invocation: ${(error as Error).message}`,
      Code.InvalidArgument,
    );
  }
}

/**
 * A worker's answer is a sequence of Connect envelopes: one per response
 * message, then an end envelope that names the error, if any.
 */
export function messageFrame(bytes: Uint8Array): Uint8Array {
  return encodeEnvelope(0, bytes);
}

export function endFrame(error: ConnectError | undefined): Uint8Array {
  const json = endStreamToJson(new Headers(), error, undefined);
  return encodeEnvelope(endStreamFlag, new TextEncoder().encode(JSON.stringify(json)));
}

/** The error an end envelope names, if any. */
export function errorOfEnd(data: Uint8Array): ConnectError | undefined {
  return endStreamFromJson(data).error;
}
