import { Code } from "@connectrpc/connect";
import { type ExecuteQueryResponse, ResultKind } from "@openduck/protocol";
import { tableFromIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { arrowRows, failure } from "./support/connect-results.js";
import { type GatewayInstance, startGatewayInstance } from "./support/gateway-instances.js";
import { BackendServers, type TestStorage, testStorage } from "./support/storage-backends.js";

const token = "transactions-test-token";
const otherToken = "another-caller";
const servers = new BackendServers();
afterAll(() => servers.stop());

/** The inline rows of a complete response, as plain objects. */
function rows(response: ExecuteQueryResponse): Record<string, unknown>[] {
  return arrowRows(response.arrowSchema, response.arrowBatches);
}

// Embedded (one process, PGlite and files) and cloud (PostgreSQL and S3) deployments.
describe.each([
  ["pglite", "filesystem"],
  ["postgres", "s3"],
] as const)("multi-statement transactions on %s metadata and %s objects", (metadata, objects) => {
  let storage: TestStorage;
  let a: GatewayInstance;
  let b: GatewayInstance;
  const query = (instance: GatewayInstance, sql: string, transaction?: Uint8Array) =>
    instance.client(token).executeQuery({ database: "bank", sql, ...(transaction ? { transaction } : {}) });
  const begin = (instance: GatewayInstance, sql: string, snapshot = "") =>
    instance.client(token).executeQuery({ database: "bank", sql, beginTransaction: true, snapshot });
  const balances = async () =>
    rows(await query(a, "SELECT id, balance FROM accounts ORDER BY id")).map((row) => [row.id, row.balance]);
  const head = async () => (await a.store.resolveSnapshot("bank")).id;

  beforeAll(async () => {
    storage = await testStorage(servers, metadata, objects);
    a = await startGatewayInstance(storage, "a", { tokens: [token, otherToken] });
    b = await startGatewayInstance(storage, "b", { tokens: [token, otherToken] });
    await a.worker.createDatabase("bank");
    await query(a, "CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER)");
    await query(a, "INSERT INTO accounts VALUES (1, 100), (2, 100)");
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await storage?.cleanup();
  });

  it("reads its own writes across statements, and COMMIT publishes them as one snapshot", async () => {
    const before = await head();
    const first = await begin(a, "UPDATE accounts SET balance = balance - 30 WHERE id = 1");
    expect(first.rowsAffected).toBe(1n);
    expect(first.transaction.byteLength).toBeGreaterThan(0);
    const second = await query(
      a,
      "UPDATE accounts SET balance = balance + 30 WHERE id = 2",
      first.transaction,
    );
    const inside = await query(a, "SELECT id, balance FROM accounts ORDER BY id", second.transaction);
    expect(rows(inside)).toEqual([
      { id: 1, balance: 70 },
      { id: 2, balance: 130 },
    ]);
    // Outside, nothing happened yet.
    expect(await balances()).toEqual([
      [1, 100],
      [2, 100],
    ]);
    expect(await head()).toBe(before);

    const committed = await query(a, "COMMIT", inside.transaction);
    expect(committed.transaction.byteLength).toBe(0);
    expect(committed).toMatchObject({ statementType: "TRANSACTION", resultKind: ResultKind.NOTHING });
    expect(committed.snapshotId).toBe(await head());
    expect(await balances()).toEqual([
      [1, 70],
      [2, 130],
    ]);
    const snapshots = await a.store.listSnapshots("bank");
    expect(snapshots.map((snapshot) => snapshot.id)).toEqual([
      ...snapshots.filter((snapshot) => Number(snapshot.id) <= Number(before)).map((snapshot) => snapshot.id),
      committed.snapshotId,
    ]);
  });

  it("leaves nothing after ROLLBACK, nor after a transaction that never ends", async () => {
    const before = await head();
    const rolledBack = await begin(a, "DELETE FROM accounts");
    const rollback = await query(a, "rollback;", rolledBack.transaction);
    expect(rollback.transaction.byteLength).toBe(0);
    expect(rollback.statementType).toBe("TRANSACTION");
    await begin(b, "INSERT INTO accounts VALUES (3, 1000)");
    expect(await head()).toBe(before);
    expect(await balances()).toEqual([
      [1, 70],
      [2, 130],
    ]);
  });

  it("lets the first of two concurrent transactions commit, and aborts the second with none of its rows", async () => {
    const first = await begin(a, "INSERT INTO accounts VALUES (10, 1)");
    const second = await begin(b, "INSERT INTO accounts VALUES (20, 2)");
    const more = await query(b, "INSERT INTO accounts VALUES (21, 2)", second.transaction);
    await query(a, "COMMIT", first.transaction);
    const aborted = await failure(query(b, "COMMIT", more.transaction));
    expect(aborted.code).toBe(Code.Aborted);
    expect(aborted.rawMessage).toMatch(
      /^another write committed to database "bank" \(snapshot \d+\) since this transaction began at snapshot \d+; nothing of the transaction was written$/,
    );
    expect((await balances()).map(([id]) => id)).toEqual([1, 2, 10]);
    // An autocommit write meanwhile aborts a transaction just the same.
    const third = await begin(a, "DELETE FROM accounts WHERE id = 10");
    await query(b, "UPDATE accounts SET balance = 0 WHERE id = 10");
    expect((await failure(query(a, "COMMIT", third.transaction))).code).toBe(Code.Aborted);
    expect(await balances()).toContainEqual([10, 0]);
  });

  it("runs one transaction across two instances that share storage", async () => {
    const first = await begin(a, "INSERT INTO accounts VALUES (30, 30)");
    const second = await query(
      b,
      "UPDATE accounts SET balance = balance + 1 WHERE id = 30",
      first.transaction,
    );
    const read = await query(b, "SELECT balance FROM accounts WHERE id = 30", second.transaction);
    expect(rows(read)).toEqual([{ balance: 31 }]);
    const committed = await query(b, "COMMIT", read.transaction);
    expect(committed.snapshotId).toBe(await head());
    expect(await balances()).toContainEqual([30, 31]);
  });

  it("streams a large read inside a transaction from its private snapshot, on any instance", async () => {
    const first = await begin(a, "CREATE TABLE big AS SELECT range AS i FROM range(200000)");
    const large = await a.client(token).executeQuery({
      database: "bank",
      sql: "SELECT sum(i)::BIGINT AS total, count(*) AS n FROM big",
      transaction: first.transaction,
      options: { inlineLimitBytes: 0n },
    });
    expect(large.complete).toBe(false);
    expect(large.transaction.byteLength).toBeGreaterThan(0);
    // Another instance has no paused read to continue: it runs the query again on the transaction's snapshot.
    const parts: Uint8Array[] = [];
    for await (const { payload } of b.client(token).streamResults({ handle: large.handle })) {
      if (payload.case === "arrowSchema") parts.push(payload.value);
      if (payload.case === "batch") parts.push(payload.value.ipc);
    }
    expect(tableFromIPC(Buffer.concat(parts)).get(0)?.toJSON()).toEqual({ total: 19999900000n, n: 200000n });
    await query(a, "ROLLBACK", large.transaction);
    expect((await failure(query(a, "SELECT 1 FROM big"))).rawMessage).toMatch(
      /Table with name big does not exist/,
    );
  });

  it("begins at a pinned snapshot, and commits only if it is still the head", async () => {
    const pinned = await head();
    await a.store.nameSnapshot("bank", "before_bonus");
    const read = await begin(a, "SELECT count(*) AS n FROM accounts", "before_bonus");
    expect(read.snapshotId).toBe(pinned);
    const write = await query(a, "UPDATE accounts SET balance = balance + 5", read.transaction);
    expect((await query(a, "COMMIT", write.transaction)).snapshotId).toBe(await head());

    const stale = await begin(b, "UPDATE accounts SET balance = 0", pinned);
    expect((await failure(query(b, "COMMIT", stale.transaction))).code).toBe(Code.Aborted);
    // A transaction that only read commits fine.
    const reader = await begin(b, "SELECT 1", pinned);
    expect((await query(b, "END", reader.transaction)).snapshotId).toBe(await head());
  });

  it("refuses tokens that were tampered with, belong to someone else, or come with a conflicting request", async () => {
    const open = await begin(a, "SELECT 1");
    const tampered = Uint8Array.from(open.transaction);
    tampered.set([(tampered.at(-5) ?? 0) ^ 1], tampered.length - 5);
    const refusals = [
      [
        query(a, "SELECT 1", tampered),
        Code.InvalidArgument,
        /^transaction token was not issued by this service$/,
      ],
      [query(a, "SELECT 1", Uint8Array.of(1, 2, 3)), Code.InvalidArgument, /^malformed transaction token/],
      [
        a
          .client(otherToken)
          .executeQuery({ database: "bank", sql: "SELECT 1", transaction: open.transaction }),
        Code.PermissionDenied,
        /^transaction token belongs to another token$/,
      ],
      [
        a.client(token).executeQuery({ database: "other", sql: "SELECT 1", transaction: open.transaction }),
        Code.InvalidArgument,
        /^the transaction token belongs to a transaction on database "bank", not "other"$/,
      ],
      [
        a
          .client(token)
          .executeQuery({ database: "bank", sql: "SELECT 1", transaction: open.transaction, snapshot: "1" }),
        Code.InvalidArgument,
        /`snapshot` must be empty inside a transaction/,
      ],
      [
        a.client(token).executeQuery({
          database: "bank",
          sql: "SELECT 1",
          transaction: open.transaction,
          beginTransaction: true,
        }),
        Code.InvalidArgument,
        /that transaction is open already/,
      ],
    ] as const;
    for (const [call, code, message] of refusals) {
      const error = await failure(call);
      expect(error.code).toBe(code);
      expect(error.rawMessage).toMatch(message);
    }
    // A gateway with another secret does not know the transaction either.
    const stranger = await startGatewayInstance(storage, "stranger", {
      tokens: [token],
      secret: "other-secret",
    });
    try {
      expect((await failure(query(stranger, "SELECT 1", open.transaction))).code).toBe(Code.InvalidArgument);
    } finally {
      await stranger.close();
    }
  });

  it("answers transaction control it cannot honour clearly, and still runs BEGIN; …; COMMIT in one request", async () => {
    for (const sql of ["COMMIT", "ROLLBACK", "BEGIN", "BEGIN TRANSACTION;"]) {
      const error = await failure(query(a, sql));
      expect(error.code).toBe(Code.InvalidArgument);
    }
    const open = await begin(a, "SELECT 1");
    const nested = await failure(query(a, "BEGIN", open.transaction));
    expect(nested.code).toBe(Code.InvalidArgument);
    expect(nested.rawMessage).toMatch(/^BEGIN inside a transaction/);
    const single = await query(a, "BEGIN; INSERT INTO accounts VALUES (40, 40); COMMIT");
    expect(single.snapshotId).toBe(await head());
    expect(await balances()).toContainEqual([40, 40]);
  });
});
