import { join } from "node:path";
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
import { BackendServers, type TestStorage, testStorage } from "./support/storage-backends.js";

const token = "staging-test-token";
const servers = new BackendServers();
afterAll(() => servers.stop());

let storage: TestStorage;
let local: GatewayInstance;
/** A gateway whose worker runs behind WorkerService, as `openduck gateway` + `openduck worker` do. */
let split: { url: string; close(): Promise<void> };

beforeAll(async () => {
  storage = await testStorage(servers, "pglite", "filesystem");
  local = await startGatewayInstance(storage, "local", { tokens: [token] });
  await local.worker.createDatabase("sales");
  await local.worker.createDatabase("other");
  await query("CREATE TABLE orders (id INTEGER, customer VARCHAR, amount DOUBLE)");

  split = await startSplitGateway(local, { tokens: [token] });
});

afterAll(async () => {
  await split?.close();
  await local?.close();
  await storage?.cleanup();
});

function clientOf(url: string) {
  return executionClient(url, token);
}

function query(
  sql: string,
  options: { staged?: { uploadId: string; parts: number }[]; transaction?: Uint8Array } = {},
) {
  return local.client(token).executeQuery({ database: "sales", sql, ...options });
}

async function rowsOf(sql: string): Promise<Record<string, unknown>[]> {
  const response = await query(sql);
  return arrowRows(response.arrowSchema, response.arrowBatches);
}

function newUploadId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
}

/** Three parts of an upload of orders: 1000 rows each, each one Arrow IPC stream. */
const ordersParts = [0, 1, 2].map((part) => {
  const ids = Int32Array.from({ length: 1000 }, (_, row) => part * 1000 + row);
  return tableToIPC(
    tableFromArrays({
      id: ids,
      customer: Array.from(ids, (id) => `customer ${id % 7}`),
      amount: Float64Array.from(ids, (id) => id / 4),
    }),
    "stream",
  );
});

function ordersPart(part: number): Uint8Array {
  return ordersParts[part] as Uint8Array;
}

/** Stages three parts of orders at `url`; the upload's id. */
async function stageOrders(url = local.url): Promise<string> {
  const uploadId = newUploadId();
  for (const part of [0, 1, 2]) {
    const staged = await clientOf(url).stageRows({
      database: "sales",
      uploadId,
      part,
      arrowIpc: ordersPart(part),
    });
    expect(staged.bytes).toBe(BigInt(ordersPart(part).byteLength));
  }
  return uploadId;
}

describe("staged rows", () => {
  it("are written into a table by INSERT … SELECT FROM openduck_staged, then dropped", async () => {
    const uploadId = await stageOrders();
    // A read may look at them first; that keeps them.
    const peek = await query(`SELECT count(*) AS n, max(id) AS last FROM openduck_staged('${uploadId}')`, {
      staged: [{ uploadId, parts: 3 }],
    });
    expect(peek.complete).toBe(true);
    const inserted = await query(`INSERT INTO orders SELECT * FROM openduck_staged('${uploadId}')`, {
      staged: [{ uploadId, parts: 3 }],
    });
    expect(inserted.rowsAffected).toBe(3000n);
    expect(
      await rowsOf("SELECT count(*) AS n, sum(amount) AS total, min(customer) AS first FROM orders"),
    ).toEqual([{ n: 3000n, total: (2999 * 3000) / 2 / 4, first: "customer 0" }]);
    const again = await failure(
      query(`INSERT INTO orders SELECT * FROM openduck_staged('${uploadId}')`, {
        staged: [{ uploadId, parts: 3 }],
      }),
    );
    expect(again.code).toBe(Code.FailedPrecondition);
    expect(again.rawMessage).toMatch(
      new RegExp(`^part 0 of upload ${uploadId} to database "sales" is not staged`),
    );
  });

  it("are written inside a transaction and become visible at COMMIT", async () => {
    const uploadId = await stageOrders(split.url);
    const before = await rowsOf("SELECT count(*) AS n FROM orders");
    const write = await local.client(token).executeQuery({
      database: "sales",
      sql: `INSERT INTO orders SELECT id + 10000, customer, amount FROM openduck_staged('${uploadId}')`,
      staged: [{ uploadId, parts: 3 }],
      beginTransaction: true,
    });
    expect(write.rowsAffected).toBe(3000n);
    expect(await rowsOf("SELECT count(*) AS n FROM orders")).toEqual(before);
    // The transaction's snapshot holds the rows now: the upload is gone.
    await expect(
      local.store.fetchStaged("sales", uploadId, 3, join(storage.dataDirectory, "after-transaction")),
    ).rejects.toMatchObject({ code: "failed_precondition" });
    await query("COMMIT", { transaction: write.transaction });
    expect(await rowsOf("SELECT count(*) AS n FROM orders WHERE id >= 10000")).toEqual([{ n: 3000n }]);
  });

  it("go through a gateway to a worker in another process", async () => {
    const uploadId = await stageOrders(split.url);
    const inserted = await clientOf(split.url).executeQuery({
      database: "sales",
      sql: `INSERT INTO orders SELECT id + 20000, customer, amount FROM openduck_staged('${uploadId}')`,
      staged: [{ uploadId, parts: 3 }],
    });
    expect(inserted.rowsAffected).toBe(3000n);
  });

  it("are refused clearly when a part is missing, or is not what StageRows takes", async () => {
    const uploadId = newUploadId();
    await clientOf(local.url).stageRows({ database: "sales", uploadId, part: 0, arrowIpc: ordersPart(0) });
    const missing = await failure(
      query(`INSERT INTO orders SELECT * FROM openduck_staged('${uploadId}')`, {
        staged: [{ uploadId, parts: 2 }],
      }),
    );
    expect(missing.code).toBe(Code.FailedPrecondition);
    expect(missing.rawMessage).toMatch(/^part 1 of upload [0-9a-f]{32} to database "sales" is not staged/);
    // Uploads belong to one database.
    const elsewhere = await failure(
      local.client(token).executeQuery({
        database: "other",
        sql: `SELECT count(*) FROM openduck_staged('${uploadId}')`,
        staged: [{ uploadId, parts: 1 }],
      }),
    );
    expect(elsewhere.code).toBe(Code.FailedPrecondition);

    const stage = (request: { database?: string; uploadId?: string; part?: number; arrowIpc?: Uint8Array }) =>
      failure(
        clientOf(local.url).stageRows({
          database: "sales",
          uploadId,
          part: 0,
          arrowIpc: ordersPart(0),
          ...request,
        }),
      );
    const refusals = [
      [await stage({ uploadId: "ABC" }), Code.InvalidArgument, /^invalid upload id "ABC"/],
      [await stage({ database: "no such" }), Code.InvalidArgument, /^invalid database name/],
      [await stage({ database: "nowhere" }), Code.NotFound, /database "nowhere" does not exist/],
      [
        await stage({ part: 100000 }),
        Code.InvalidArgument,
        /^part 100000 is out of range: an upload has parts 0 to 99999/,
      ],
      [await stage({ arrowIpc: new Uint8Array() }), Code.InvalidArgument, /^arrow_ipc is empty/],
      [
        await stage({ arrowIpc: new Uint8Array(5 * 1024 * 1024 + 1) }),
        Code.ResourceExhausted,
        /^a part holds at most 5242880 bytes of Arrow IPC, this one 5242881/,
      ],
      // Past the request size limit nothing of the request is even decoded.
      [
        await stage({ arrowIpc: new Uint8Array(6 * 1024 * 1024) }),
        Code.ResourceExhausted,
        /larger than configured readMaxBytes/,
      ],
    ] as const;
    for (const [error, code, message] of refusals) {
      expect(error.code).toBe(code);
      expect(error.rawMessage).toMatch(message);
    }
    // The largest part there may be goes through.
    const largest = await clientOf(local.url).stageRows({
      database: "sales",
      uploadId,
      part: 1,
      arrowIpc: new Uint8Array(5 * 1024 * 1024),
    });
    expect(largest.bytes).toBe(5n * 1024n * 1024n);
    await local.store.dropStaged("sales", uploadId);
    await expect(
      local.store.fetchStaged("sales", uploadId, 1, join(storage.dataDirectory, "dropped")),
    ).rejects.toMatchObject({ code: "failed_precondition" });
  });
});
