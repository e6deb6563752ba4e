import { Writable } from "node:stream";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Worker } from "@openduck/engine";
import {
  ExecuteRequestSchema,
  type ExecuteResponse,
  ExecuteResponseSchema,
  PresignStagedRequestSchema,
  StageRequestSchema,
  StageResponseSchema,
} from "@openduck/protocol";
import { expect, it } from "vitest";
import { inProcessInvoker } from "../../../test/support/lambda-emulator.js";
import { LambdaWorker } from "./lambda-worker.js";
import { createWorkerHandler } from "./worker-handler.js";

/** A worker answering from a list, or failing after it; just enough to see the handler's framing. */
function listWorker(messages: ExecuteResponse[], failure?: ConnectError): Worker {
  return {
    async *execute() {
      yield* messages;
      if (failure) throw failure;
    },
    stage: async () => create(StageResponseSchema, { bytes: 7n }),
    presignStaged: async () => {
      throw new ConnectError("no presigning here", Code.Unimplemented);
    },
  };
}

/** The handler behind a LambdaWorker, called directly; records when the answer ended and when settling ended. */
function through(worker: Worker, events: string[]): LambdaWorker {
  const handler = createWorkerHandler(worker, async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    events.push("settled");
  });
  return new LambdaWorker(inProcessInvoker(handler, () => events.push("answered")));
}

const batch = (rows: bigint) =>
  create(ExecuteResponseSchema, {
    payload: { case: "batch", value: { ipc: new Uint8Array(3), rowCount: rows } },
  });

it("streams the worker's messages, then settles background work after the answer ended", async () => {
  const events: string[] = [];
  const worker = through(listWorker([batch(1n), batch(2n)]), events);
  const rows = [];
  for await (const message of worker.execute(
    create(ExecuteRequestSchema, { sql: "x" }),
    new AbortController().signal,
  )) {
    if (message.payload.case === "batch") rows.push(message.payload.value.rowCount);
  }
  expect(rows).toEqual([1n, 2n]);
  expect(events).toEqual(["answered", "settled"]);
  expect((await worker.stage(create(StageRequestSchema, { database: "db" }))).bytes).toBe(7n);
});

it("passes a failure on with its code, after the messages before it", async () => {
  const events: string[] = [];
  const worker = through(
    listWorker([batch(1n)], new ConnectError("Binder Error: no such column", Code.InvalidArgument)),
    events,
  );
  const seen: bigint[] = [];
  const failure = await (async () => {
    for await (const message of worker.execute(
      create(ExecuteRequestSchema, {}),
      new AbortController().signal,
    )) {
      if (message.payload.case === "batch") seen.push(message.payload.value.rowCount);
    }
  })().catch((error: unknown) => error as ConnectError);
  expect(seen).toEqual([1n]);
  expect(failure).toBeInstanceOf(ConnectError);
  expect(failure?.code).toBe(Code.InvalidArgument);
  expect(failure?.rawMessage).toBe("Binder Error: no such column");
  await expect(worker.presignStaged(create(PresignStagedRequestSchema, { count: 1 }))).rejects.toMatchObject({
    code: Code.Unimplemented,
  });
});

it("refuses an event that is not an OpenDuck invocation", async () => {
  const worker = listWorker([]);
  const handler = createWorkerHandler(worker, async () => {});
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await handler({ hello: "world" }, stream);
  const text = Buffer.concat(chunks).subarray(5).toString("utf8");
  expect(JSON.parse(text).error).toMatchObject({ code: "invalid_argument" });
});
