import { once } from "node:events";
import type { Writable } from "node:stream";
import { toBinary } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import { toConnectError, type Worker } from "@openduck/engine";
import { ExecuteResponseSchema, PresignStagedResponseSchema, StageResponseSchema } from "@openduck/protocol";
import { decodeInvocation, endFrame, messageFrame } from "./invocation.js";

/** A streaming Lambda handler, as `awslambda.streamifyResponse` expects it. */
export type StreamingHandler = (event: unknown, responseStream: Writable) => Promise<void>;

/**
 * The worker function's handler: one invocation is one WorkerService call
 * (see invocation.ts), answered as Connect envelopes on the response stream,
 * with the worker's backpressure. When the gateway goes away, the query stops.
 * `settle` runs after the answer, before the invocation ends (e.g. a
 * compaction a commit started).
 */
export function createWorkerHandler(worker: Worker, settle: () => Promise<void>): StreamingHandler {
  return async (event, responseStream) => {
    const stop = new AbortController();
    const gone = () => stop.abort(new Error("the gateway stopped reading the answer"));
    responseStream.once("close", gone);
    responseStream.once("error", gone);
    const write = async (frame: Uint8Array) => {
      if (!responseStream.write(frame)) await once(responseStream, "drain", { signal: stop.signal });
    };
    let failure: ConnectError | undefined;
    try {
      const invocation = decodeInvocation(event);
      if (invocation.method === "stage") {
        const response = await worker.stage(invocation.request);
        await write(messageFrame(toBinary(StageResponseSchema, response)));
      } else if (invocation.method === "presign") {
        const response = await worker.presignStaged(invocation.request);
        await write(messageFrame(toBinary(PresignStagedResponseSchema, response)));
      } else {
        for await (const message of worker.execute(invocation.request, stop.signal)) {
          await write(messageFrame(toBinary(ExecuteResponseSchema, message)));
        }
      }
    } catch (error) {
      failure = toConnectError(error);
    } finally {
      responseStream.off("close", gone);
      responseStream.off("error", gone);
    }
    if (!stop.signal.aborted) responseStream.end(endFrame(failure));
    // The answer is out; what the call started in the background finishes before Lambda freezes the instance.
    await settle();
  };
}
