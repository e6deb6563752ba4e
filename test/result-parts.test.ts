import { createHash } from "node:crypto";
import { type Client, Code, type ConnectError } from "@connectrpc/connect";
import type { ExecutionService, QueryStatistics, ResultPart } from "@openduck/protocol";
import { tableFromIPC } from "apache-arrow";
import { OpenDuckClient } from "openduck";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executionClient, type GatewayInstance, startGatewayInstance } from "./support/gateway-instances.js";
import { LAMBDA_PAYLOAD_LIMIT } from "./support/lambda-emulator.js";
import { type ServerlessGateway, startServerlessGateway } from "./support/serverless-gateway.js";
import { BackendServers, type TestStorage, testStorage } from "./support/storage-backends.js";

// Large results as result parts: a gateway with `resultParts` lets the worker write a re-run read's rows to the
// object store in parts of about 8 MiB, and streams their presigned URLs to clients that accept them, which fetch
// the rows with plain HTTP. Stores are real (moto S3, a local directory), gateways and workers too.

const token = "result-parts-test-token";
const servers = new BackendServers();
afterAll(() => servers.stop());

/** RESULT_PART_BYTES of the worker, and the largest batch it sends (its default batch size). */
const partBytes = 8 * 1024 * 1024;
const batchBytes = 1024 * 1024;
/** About 31 MB of Arrow: four parts. */
const largeRows = 700_000;
const large = `SELECT range AS id, md5(range::VARCHAR) AS digest FROM range(${largeRows})`;

let s3Storage: TestStorage;
let filesystemStorage: TestStorage;
/** Over S3, keeping no read between ExecuteQuery and StreamResults (as a serverless gateway). */
let onS3: GatewayInstance;
/** The same, over a local directory clients cannot reach. */
let onFilesystem: GatewayInstance;
let serverless: ServerlessGateway;

beforeAll(async () => {
  [s3Storage, filesystemStorage] = await Promise.all([
    testStorage(servers, "pglite", "s3"),
    testStorage(servers, "pglite", "filesystem"),
  ]);
  const app = { resultParts: true, keepResultsMs: 0 };
  onS3 = await startGatewayInstance(s3Storage, "s3", { tokens: [token], app });
  onFilesystem = await startGatewayInstance(filesystemStorage, "filesystem", { tokens: [token], app });
  await onS3.worker.createDatabase("mydb");
  await onFilesystem.worker.createDatabase("mydb");
  serverless = await startServerlessGateway(onS3.worker, token);
}, 120_000);

afterAll(async () => {
  await serverless?.close();
  await onS3?.close();
  await onFilesystem?.close();
  await s3Storage?.cleanup();
  await filesystemStorage?.cleanup();
});

/** A handle for `sql`: ExecuteQuery returns no row inline. */
async function handleOf(client: Client<typeof ExecutionService>, sql: string): Promise<Uint8Array> {
  const response = await client.executeQuery({
    database: "mydb",
    sql,
    options: { inlineLimitBytes: 1024n },
  });
  expect(response.complete).toBe(false);
  expect(response.handle.byteLength).toBeGreaterThan(0);
  return response.handle;
}

interface Streamed {
  schema: Uint8Array;
  batches: Uint8Array[];
  parts: ResultPart[];
  /** Every row's Arrow IPC in result order: batches as they came, parts as fetched from their URLs. */
  ipc: Uint8Array[];
  statistics: QueryStatistics | undefined;
}

async function stream(
  client: Client<typeof ExecutionService>,
  handle: Uint8Array,
  acceptResultUrls: boolean,
): Promise<Streamed> {
  const streamed: Streamed = {
    schema: new Uint8Array(),
    batches: [],
    parts: [],
    ipc: [],
    statistics: undefined,
  };
  for await (const { payload } of client.streamResults({ handle, acceptResultUrls })) {
    switch (payload.case) {
      case "arrowSchema":
        streamed.schema = payload.value;
        break;
      case "batch":
        streamed.batches.push(payload.value.ipc);
        streamed.ipc.push(payload.value.ipc);
        break;
      case "resultPart": {
        streamed.parts.push(payload.value);
        const response = await fetch(payload.value.url);
        expect(response.status).toBe(200);
        streamed.ipc.push(new Uint8Array(await response.arrayBuffer()));
        break;
      }
      case "statistics":
        streamed.statistics = payload.value;
        break;
    }
  }
  return streamed;
}

interface Digest {
  rows: number;
  firstId: bigint | undefined;
  lastId: bigint | undefined;
  /** SHA-256 of every id and digest, in row order. */
  sha256: string;
}

function digestOf(schema: Uint8Array, ipc: Uint8Array[]): Digest {
  const table = tableFromIPC(Buffer.concat([schema, ...ipc]));
  const ids = table.getChild("id")?.toArray() as BigInt64Array;
  const digests = table.getChild("digest")?.toArray() as string[];
  const hash = createHash("sha256").update(new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength));
  for (const digest of digests) hash.update(digest);
  return { rows: table.numRows, firstId: ids[0], lastId: ids.at(-1), sha256: hash.digest("hex") };
}

async function resultObjects(storage: TestStorage): Promise<number> {
  let count = 0;
  for await (const _ of storage.objects().list("results/")) count++;
  return count;
}

/** The large result as batches, through the gateway over S3: what every other way of reading it must equal. */
let reference: Promise<{ streamed: Streamed; digest: Digest }> | undefined;
function largeAsBatches() {
  reference ??= (async () => {
    const client = onS3.client(token);
    const streamed = await stream(client, await handleOf(client, large), false);
    return { streamed, digest: digestOf(streamed.schema, streamed.ipc) };
  })();
  return reference;
}

/** Checks a stream of the large result that came as result parts against the batches of the same query. */
async function expectLargeAsParts(streamed: Streamed): Promise<void> {
  const expected = await largeAsBatches();
  expect(streamed.batches).toEqual([]);
  expect(streamed.parts.length).toBeGreaterThanOrEqual(3);
  for (const [index, part] of streamed.parts.entries()) {
    const bytes = streamed.ipc[index] as Uint8Array;
    expect(bytes.byteLength).toBe(Number(part.byteLength));
    // Full parts but the last; none larger than a part and one batch.
    if (index < streamed.parts.length - 1) expect(bytes.byteLength).toBeGreaterThanOrEqual(partBytes);
    expect(bytes.byteLength).toBeLessThan(partBytes + batchBytes + 64 * 1024);
    expect(tableFromIPC(Buffer.concat([streamed.schema, bytes])).numRows).toBe(Number(part.rowCount));
    expect(part.expiresInMs).toBe(3600_000n);
  }
  expect(streamed.schema).toEqual(expected.streamed.schema);
  expect(digestOf(streamed.schema, streamed.ipc)).toEqual(expected.digest);
  // The statistics are those of the result, however it travelled.
  expect(streamed.statistics?.rows).toBe(BigInt(largeRows));
  expect(streamed.statistics?.batches).toBe(expected.streamed.statistics?.batches);
  expect(streamed.statistics?.bytes).toBe(expected.streamed.statistics?.bytes);
}

describe("result parts", () => {
  it("are not sent to a client that does not accept URLs", async () => {
    const { streamed, digest } = await largeAsBatches();
    expect(streamed.parts).toEqual([]);
    // Batches of about a MiB (which bounds a part's size below).
    expect(streamed.batches.length).toBeGreaterThanOrEqual(28);
    expect(Math.max(...streamed.batches.map((batch) => batch.byteLength))).toBeLessThan(
      batchBytes + 64 * 1024,
    );
    expect(digest).toMatchObject({ rows: largeRows, firstId: 0n, lastId: BigInt(largeRows - 1) });
    expect(streamed.statistics?.rows).toBe(BigInt(largeRows));
  });

  it("carry a large result's rows, in order, to a client that accepts URLs", async () => {
    const before = await resultObjects(s3Storage);
    const client = onS3.client(token);
    const streamed = await stream(client, await handleOf(client, large), true);
    await expectLargeAsParts(streamed);
    expect(await resultObjects(s3Storage)).toBe(before + streamed.parts.length);
  });

  it("leave a result smaller than a part inline", async () => {
    const before = await resultObjects(s3Storage);
    const client = onS3.client(token);
    const streamed = await stream(client, await handleOf(client, `${large} LIMIT 100000`), true);
    expect(streamed.parts).toEqual([]);
    expect(digestOf(streamed.schema, streamed.batches)).toMatchObject({ rows: 100_000, lastId: 99_999n });
    expect(await resultObjects(s3Storage)).toBe(before);
  });

  it("are not written by a gateway without the option, nor for a read it kept running", async () => {
    const kept = await startGatewayInstance(s3Storage, "kept", {
      tokens: [token],
      app: { resultParts: true },
    });
    const plain = await startGatewayInstance(s3Storage, "plain", { tokens: [token] });
    try {
      for (const gateway of [kept, plain]) {
        const client = gateway.client(token);
        const streamed = await stream(client, await handleOf(client, large), true);
        expect(streamed.parts).toEqual([]);
        expect(digestOf(streamed.schema, streamed.batches)).toEqual((await largeAsBatches()).digest);
      }
    } finally {
      await kept.close();
      await plain.close();
    }
  });

  it("fall back to batches when the store cannot hand out URLs", async () => {
    const client = onFilesystem.client(token);
    const rows = 300_000;
    const streamed = await stream(client, await handleOf(client, `${large} LIMIT ${rows}`), true);
    expect(streamed.parts).toEqual([]);
    expect(digestOf(streamed.schema, streamed.batches)).toMatchObject({ rows, lastId: BigInt(rows - 1) });
    expect(await resultObjects(filesystemStorage)).toBe(0);
  });

  it("keep a serverless gateway's and its worker function's answers small", async () => {
    const client = executionClient(serverless.url, token);
    const streamed = await stream(client, await handleOf(client, large), true);
    await expectLargeAsParts(streamed);
    // ExecuteQuery's invocation stopped after its first batches; StreamResults' carried URLs, not rows.
    expect(serverless.invokeApi.traffic.largestResponse).toBeLessThan(LAMBDA_PAYLOAD_LIMIT);
  });

  it("are fetched by OpenDuckClient, whose table holds every row in order", async () => {
    const before = serverless.invokeApi.traffic.responseBytes;
    const table = await new OpenDuckClient({ endpoint: serverless.url, token }).table("mydb", large);
    expect(table.numRows).toBe(largeRows);
    const ids = table.getChild("id");
    expect([ids?.get(0), ids?.get(largeRows - 1)]).toEqual([0n, BigInt(largeRows - 1)]);
    expect(table.getChild("digest")?.get(12345)).toBe(createHash("md5").update("12345").digest("hex"));
    // The rows came from the object store: the worker function answered with little more than URLs.
    expect(serverless.invokeApi.traffic.responseBytes - before).toBeLessThan(4 * 1024 * 1024);
  });

  it("that expired fail the query in OpenDuckClient, without showing their signature", async () => {
    // The object store refuses the part (as S3 does once a URL expired); every other request goes through.
    const refusing: typeof fetch = (input, init) =>
      String(input instanceof Request ? input.url : input).includes("X-Amz-Signature=")
        ? Promise.resolve(new Response("<Error><Code>AccessDenied</Code></Error>", { status: 403 }))
        : fetch(input, init);
    const client = new OpenDuckClient({ endpoint: serverless.url, token, fetch: refusing });
    const error = await client.table("mydb", large).then(
      () => undefined,
      (failure: unknown) => failure as ConnectError,
    );
    expect(error?.code).toBe(Code.Unavailable);
    expect(error?.rawMessage).toMatch(
      /^could not fetch a result part from http:\/\/127\.0\.0\.1:\d+\/.*results\/\S+: HTTP 403$/,
    );
    expect(error?.rawMessage).not.toContain("X-Amz");
  });
});
