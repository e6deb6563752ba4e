import { randomBytes } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { arrowRows, failure } from "./support/connect-results.js";
import {
  executionClient,
  type GatewayInstance,
  startGatewayInstance,
  startSplitGateway,
} from "./support/gateway-instances.js";
import { type ServerlessGateway, startServerlessGateway } from "./support/serverless-gateway.js";
import { BackendServers, type TestStorage, testStorage } from "./support/storage-backends.js";

// Uploads that bypass the gateway: PrepareStagedParts hands out presigned URLs, the client PUTs its parts of
// staged rows to them with plain HTTP, and a write reads them as if they had come through StageRows. Over S3
// (moto) through every kind of gateway; a gateway over a local directory answers UNIMPLEMENTED.

const token = "presigned-staging-test-token";
const servers = new BackendServers();
afterAll(() => servers.stop());

let s3Storage: TestStorage;
let filesystemStorage: TestStorage;
let onS3: GatewayInstance;
let onFilesystem: GatewayInstance;
let split: { url: string; close(): Promise<void> };
let serverless: ServerlessGateway;

beforeAll(async () => {
  [s3Storage, filesystemStorage] = await Promise.all([
    testStorage(servers, "pglite", "s3"),
    testStorage(servers, "pglite", "filesystem"),
  ]);
  onS3 = await startGatewayInstance(s3Storage, "s3", { tokens: [token] });
  onFilesystem = await startGatewayInstance(filesystemStorage, "filesystem", { tokens: [token] });
  await onS3.worker.createDatabase("sales");
  await onFilesystem.worker.createDatabase("sales");
  split = await startSplitGateway(onS3, { tokens: [token] });
  serverless = await startServerlessGateway(onS3.worker, token);
}, 120_000);

afterAll(async () => {
  await serverless?.close();
  await split?.close();
  await onS3?.close();
  await onFilesystem?.close();
  await s3Storage?.cleanup();
  await filesystemStorage?.cleanup();
});

function newUploadId(): string {
  return randomBytes(16).toString("hex");
}

/** Part `part` of an upload of orders: `rows` rows, one Arrow IPC stream. */
function ordersPart(part: number, rows: number): Uint8Array<ArrayBuffer> {
  const ids = Int32Array.from({ length: rows }, (_, row) => part * rows + row);
  return tableToIPC(
    tableFromArrays({ id: ids, amount: Float64Array.from(ids, (id) => id / 4) }),
    "stream",
  ) as Uint8Array<ArrayBuffer>;
}

/** Asks `url` for URLs of parts 0 … parts.length-1 and PUTs the parts to them; the upload's id. */
async function upload(url: string, parts: Uint8Array<ArrayBuffer>[]): Promise<string> {
  const uploadId = newUploadId();
  const prepared = await executionClient(url, token).prepareStagedParts({
    database: "sales",
    uploadId,
    firstPart: 0,
    count: parts.length,
  });
  expect(prepared.urls).toHaveLength(parts.length);
  expect(prepared.expiresInMs).toBe(3600_000n);
  for (const [part, body] of parts.entries()) {
    // No Authorization header: the URL is the permission.
    const put = await fetch(prepared.urls[part] as string, { method: "PUT", body });
    expect(put.status).toBe(200);
  }
  return uploadId;
}

async function rowsOf(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const response = await executionClient(url, token).executeQuery({ database: "sales", sql });
  return arrowRows(response.arrowSchema, response.arrowBatches);
}

describe("presigned staged parts", () => {
  it.each([
    ["a gateway with its worker", () => onS3.url],
    ["a gateway and a worker process", () => split.url],
    ["a serverless gateway and worker function", () => serverless.url],
  ])("are PUT by the client and read by a write, through %s", async (label, url) => {
    const table = `orders_${label.split(" ").at(-1)}`;
    const uploadId = await upload(
      url(),
      [0, 1, 2].map((part) => ordersPart(part, 1000)),
    );
    const created = await executionClient(url(), token).executeQuery({
      database: "sales",
      sql: `CREATE TABLE ${table} AS SELECT * FROM openduck_staged('${uploadId}')`,
      staged: [{ uploadId, parts: 3 }],
    });
    expect(created.rowsAffected).toBe(3000n);
    expect(
      await rowsOf(url(), `SELECT count(*) AS n, sum(id)::BIGINT AS ids, max(amount) AS top FROM ${table}`),
    ).toEqual([{ n: 3000n, ids: (2999n * 3000n) / 2n, top: 2999 / 4 }]);
  });

  it("may be larger than StageRows takes, and mixed with parts StageRows sent", async () => {
    const client = onS3.client(token);
    const large = ordersPart(1, 1_000_000);
    expect(large.byteLength).toBeGreaterThan(5 * 1024 * 1024);
    const uploadId = newUploadId();
    await client.stageRows({ database: "sales", uploadId, part: 0, arrowIpc: ordersPart(0, 100_000) });
    const prepared = await client.prepareStagedParts({ database: "sales", uploadId, firstPart: 1, count: 1 });
    expect((await fetch(prepared.urls[0] as string, { method: "PUT", body: large })).status).toBe(200);
    const inserted = await client.executeQuery({
      database: "sales",
      sql: `CREATE TABLE mixed AS SELECT * FROM openduck_staged('${uploadId}')`,
      staged: [{ uploadId, parts: 2 }],
    });
    expect(inserted.rowsAffected).toBe(1_100_000n);
    expect(await rowsOf(onS3.url, "SELECT count(DISTINCT id) AS n, max(id) AS last FROM mixed")).toEqual([
      { n: 1_100_000n, last: 1_999_999 },
    ]);
  });

  it("are UNIMPLEMENTED where the objects are out of clients' reach, which then use StageRows", async () => {
    const refused = await failure(
      onFilesystem.client(token).prepareStagedParts({
        database: "sales",
        uploadId: newUploadId(),
        firstPart: 0,
        count: 1,
      }),
    );
    expect(refused.code).toBe(Code.Unimplemented);
    expect(refused.rawMessage).toMatch(/send the parts with StageRows instead$/);
  });

  it("are refused for bad requests, naming what is wrong", async () => {
    const prepare = (request: { database?: string; uploadId?: string; firstPart?: number; count?: number }) =>
      failure(
        onS3.client(token).prepareStagedParts({
          database: "sales",
          uploadId: newUploadId(),
          firstPart: 0,
          count: 1,
          ...request,
        }),
      );
    const refusals = [
      [await prepare({ uploadId: "ABC" }), Code.InvalidArgument, /^invalid upload id "ABC"/],
      [await prepare({ count: 0 }), Code.InvalidArgument, /^count 0 is out of range: ask for 1 to 64/],
      [await prepare({ count: 65 }), Code.InvalidArgument, /^count 65 is out of range: ask for 1 to 64/],
      [
        await prepare({ firstPart: 100_000 }),
        Code.InvalidArgument,
        /^part 100000 is out of range: an upload has parts 0 to 99999/,
      ],
      [
        await prepare({ firstPart: 99_990, count: 20 }),
        Code.InvalidArgument,
        /^parts 99990 to 100009 are out of range/,
      ],
      [await prepare({ database: "no such" }), Code.InvalidArgument, /^invalid database name/],
      [await prepare({ database: "nowhere" }), Code.NotFound, /database "nowhere" does not exist/],
    ] as const;
    for (const [error, code, message] of refusals) {
      expect(error.code).toBe(code);
      expect(error.rawMessage).toMatch(message);
    }
  });
});
