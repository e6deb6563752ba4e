import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { DuckDBWorker, type Worker } from "@openduck/engine";
import { createGatewayApp } from "@openduck/gateway";
import type {
  ExecuteRequest,
  ExecuteResponse,
  PresignStagedRequest,
  PresignStagedResponse,
  StageRequest,
  StageResponse,
} from "@openduck/protocol";
import { OpenDuckClient } from "openduck";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackendServers, testStorage } from "./support/storage-backends.js";

/** Wraps the real worker to observe how often DuckDB executed and when an execution really ended. */
class ObservedWorker implements Worker {
  started = 0;
  ended: { at: number; error: unknown }[] = [];
  readonly #inner: Worker;

  constructor(inner: Worker) {
    this.#inner = inner;
  }

  async *execute(request: ExecuteRequest, signal: AbortSignal): AsyncGenerator<ExecuteResponse> {
    let error: unknown;
    this.started++;
    try {
      yield* this.#inner.execute(request, signal);
    } catch (caught) {
      error = caught;
      throw caught;
    } finally {
      this.ended.push({ at: performance.now(), error });
    }
  }

  stage(request: StageRequest): Promise<StageResponse> {
    return this.#inner.stage(request);
  }

  presignStaged(request: PresignStagedRequest): Promise<PresignStagedResponse> {
    return this.#inner.presignStaged(request);
  }
}

const token = "cancel-test-token";
let worker: DuckDBWorker;
let observed: ObservedWorker;
let endpoint: string;
let close: () => Promise<void>;

beforeAll(async () => {
  const storage = await testStorage(new BackendServers(), "pglite", "filesystem");
  const store = await storage.open();
  worker = new DuckDBWorker({ store, scratchDirectory: join(storage.dataDirectory, "duckdb") });
  await worker.createDatabase("mydb");
  observed = new ObservedWorker(worker);
  const app = createGatewayApp({
    worker: observed,
    acceptsToken: (presented) => presented === token,
    secret: "secret",
    version: "test",
    keepResultsMs: 1500,
  });
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = async () => {
    await new Promise((resolve) => server.close(resolve));
    await worker.close();
    await store.close();
    await storage.cleanup();
  };
});

afterAll(() => close());

async function endedAfter(since: number): Promise<number> {
  const deadline = performance.now() + 5000;
  while (performance.now() < deadline) {
    const last = observed.ended.at(-1);
    if (last && last.at >= since) return last.at - since;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the worker's query did not end within 5 s");
}

describe.each(["connect", "grpc-web"] as const)("abandoning a query over %s", (protocol) => {
  const client = () => new OpenDuckClient({ endpoint, token, protocol });

  it("interrupts a streaming scan within a second of leaving the loop", async () => {
    let batches = 0;
    let left = 0;
    for await (const _ of client().query("mydb", "SELECT * FROM range(100000000000)")) {
      if (++batches === 2) {
        left = performance.now();
        break;
      }
    }
    expect(await endedAfter(left)).toBeLessThan(1000);
  });

  it("interrupts a long blocking aggregate within a second of the abort", async () => {
    const controller = new AbortController();
    const query = client().table("mydb", "SELECT count(*) FROM range(100000000000) WHERE range % 7 = 100", {
      signal: controller.signal,
      inlineLimitBytes: 0,
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    const aborted = performance.now();
    controller.abort();
    await expect(query).rejects.toThrow();
    expect(await endedAfter(aborted)).toBeLessThan(1000);
  });
});

describe("a result larger than the inline limit", () => {
  const client = () => new OpenDuckClient({ endpoint, token });

  it("runs once: StreamResults continues the read ExecuteQuery started", async () => {
    const before = observed.started;
    const table = await client().table("mydb", "SELECT range AS i FROM range(3000000) ORDER BY range DESC");
    expect(table.numRows).toBe(3000000);
    expect(table.getChild("i")?.get(0)).toBe(2999999n);
    expect(observed.started - before).toBe(1);
  });

  it("stops the paused read when nobody streams its handle", async () => {
    const response = await client().execute(
      "mydb",
      "SELECT range AS i FROM range(3000000) ORDER BY range DESC",
    );
    expect(response.complete).toBe(false);
    expect(response.handle.byteLength).toBeGreaterThan(0);
    const paused = performance.now();
    expect(await endedAfter(paused)).toBeGreaterThan(1000);
  });
});
