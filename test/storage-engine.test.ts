import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Code, type ConnectError } from "@connectrpc/connect";
import { DuckDBWorker } from "@openduck/engine";
import type { LayeredDatabaseStore, SnapshotInfo } from "@openduck/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CountingObjectStore } from "./support/counting-object-store.js";
import { BackendServers, storageMatrix, type TestStorage, testStorage } from "./support/storage-backends.js";
import { runOnWorker } from "./support/worker-queries.js";

const servers = new BackendServers();
const leaseTtlMs = 1000;
/** Pruned snapshots stay readable for half of it: long enough for a loaded CI machine to read one. */
const gracePeriodMs = 4000;
afterAll(() => servers.stop());

async function failure(work: Promise<unknown>): Promise<ConnectError> {
  try {
    await work;
  } catch (error) {
    return error as ConnectError;
  }
  throw new Error("expected a failure");
}

describe.each(storageMatrix)("differential storage on %s metadata and %s objects", (metadata, objects) => {
  let storage: TestStorage;
  let counting: CountingObjectStore;
  let store: LayeredDatabaseStore;
  let worker: DuckDBWorker;
  const run = (database: string, sql: string, snapshot = "") => runOnWorker(worker, database, sql, snapshot);

  beforeAll(async () => {
    storage = await testStorage(servers, metadata, objects);
    counting = new CountingObjectStore(storage.objects());
    store = await storage.open({ objects: counting, retentionMs: 0, gracePeriodMs, leaseTtlMs });
    worker = new DuckDBWorker({ store, scratchDirectory: join(storage.dataDirectory, "duckdb") });
  });

  afterAll(async () => {
    await worker?.close();
    await store?.close();
    await storage?.cleanup();
  });

  it("makes every write a snapshot, reads any retained one, and refuses writes to old ones", async () => {
    await worker.createDatabase("history");
    const created = await run("history", "CREATE TABLE t (id INTEGER PRIMARY KEY, v VARCHAR)");
    const first = await run("history", "INSERT INTO t SELECT range, 'v' || range FROM range(1000)");
    expect(first.rowsAffected).toBe(1000n);
    const second = await run("history", "UPDATE t SET v = 'changed' WHERE id < 10");
    expect(Number(second.snapshotId)).toBeGreaterThan(Number(first.snapshotId));
    await store.nameSnapshot("history", "before_delete");
    await run("history", "DELETE FROM t WHERE id >= 500");

    expect((await run("history", "SELECT count(*) AS n FROM t")).rows).toEqual([{ n: 500n }]);
    expect((await run("history", "SELECT count(*) AS n FROM t", first.snapshotId)).rows).toEqual([
      { n: 1000n },
    ]);
    expect(
      (await run("history", "SELECT count(*) AS n FROM t WHERE v = 'changed'", "before_delete")).rows,
    ).toEqual([{ n: 10n }]);
    const before = await failure(
      run(
        "history",
        "SELECT * FROM t",
        created.snapshotId.replace(/\d+$/, (n) => `${Number(n) - 1}`),
      ),
    );
    expect(before.rawMessage).toMatch(/Table with name t does not exist/);

    const refused = await failure(run("history", "INSERT INTO t VALUES (5000, 'x')", first.snapshotId));
    expect(refused.code).toBe(Code.FailedPrecondition);
    expect((await run("history", "SELECT count(*) AS n FROM t")).rows).toEqual([{ n: 500n }]);

    const snapshots = await store.listSnapshots("history");
    expect(snapshots.map((s) => s.id)).toContain(first.snapshotId);
    expect(snapshots.find((s) => s.names.includes("before_delete"))?.id).toBe(second.snapshotId);
  });

  it("clones without writing a layer, and the clone then diverges on its own", async () => {
    await worker.createDatabase("original");
    await run("original", "CREATE TABLE t AS SELECT range AS id FROM range(50000)");
    const puts = counting.puts;
    const clone = await store.cloneDatabase("original", "copy");
    expect(counting.puts).toBe(puts);
    expect((await run("copy", "SELECT count(*) AS n FROM t")).rows).toEqual([{ n: 50000n }]);
    await run("copy", "DELETE FROM t WHERE id % 2 = 0");
    await run("original", "INSERT INTO t VALUES (-1)");
    expect((await run("copy", "SELECT count(*) AS n FROM t")).rows).toEqual([{ n: 25000n }]);
    expect((await run("original", "SELECT count(*) AS n FROM t")).rows).toEqual([{ n: 50001n }]);
    expect((await run("copy", "SELECT count(*) AS n FROM t", clone.id)).rows).toEqual([{ n: 50000n }]);
  });

  it("uploads only what a small commit changed, and a new worker fetches only layers it lacks", async () => {
    await worker.createDatabase("big");
    await run("big", "CREATE TABLE t AS SELECT range AS id, md5(range::VARCHAR) AS s FROM range(300000)");
    const before = counting.bytesPut;
    await run("big", "INSERT INTO t VALUES (-1, 'one row')");
    const uploaded = counting.bytesPut - before;
    expect(uploaded).toBeGreaterThan(0);
    expect(uploaded).toBeLessThan(2 * 1024 * 1024);
    const [head] = await store.listSnapshots("big").then((all) => all.slice(-1));
    expect(head?.length).toBeGreaterThan(uploaded * 4);

    // The writer's worker keeps the layer it wrote: reading its own commit fetches nothing.
    const downloads = counting.downloads;
    await run("big", "SELECT count(*) FROM t");
    expect(counting.downloads).toBe(downloads);
    // Another worker, warm on this snapshot, fetches only the layer of the next commit.
    const readerObjects = new CountingObjectStore(storage.objects());
    const readerStore = await storage.open({ objects: readerObjects, work: "work-reader" });
    const reader = new DuckDBWorker({
      store: readerStore,
      scratchDirectory: join(storage.dataDirectory, "duckdb-reader"),
    });
    try {
      expect((await runOnWorker(reader, "big", "SELECT count(*) AS n FROM t")).rows).toEqual([
        { n: 300001n },
      ]);
      const warm = readerObjects.downloads;
      await run("big", "INSERT INTO t VALUES (-2, 'another')");
      expect((await runOnWorker(reader, "big", "SELECT count(*) AS n FROM t")).rows).toEqual([
        { n: 300002n },
      ]);
      expect(readerObjects.downloads - warm).toBe(objects === "s3" ? 1 : 0);
    } finally {
      await reader.close();
      await readerStore.close();
    }
  });

  it("keeps readers isolated from a writer: 8 readers, 200 transfers", async () => {
    await worker.createDatabase("bank");
    await run(
      "bank",
      "CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER); INSERT INTO accounts SELECT range, 100 FROM range(10)",
    );
    let writing = true;
    const writer = (async () => {
      try {
        for (let transfer = 0; transfer < 200; transfer++) {
          const from = transfer % 10;
          const to = (transfer * 7 + 3) % 10;
          const amount = (transfer % 13) + 1;
          await run(
            "bank",
            `UPDATE accounts SET balance = balance - ${amount} WHERE id = ${from}; UPDATE accounts SET balance = balance + ${amount} WHERE id = ${to}`,
          );
        }
      } finally {
        writing = false;
      }
    })();
    const readers = Array.from({ length: 8 }, async () => {
      const seen: number[] = [];
      while (writing) {
        const result = await run(
          "bank",
          "SELECT sum(balance)::BIGINT AS total, count(*) AS accounts FROM accounts",
        );
        expect(result.rows).toEqual([{ total: 1000n, accounts: 10n }]);
        seen.push(Number(result.snapshotId));
      }
      return seen;
    });
    await writer;
    for (const seen of await Promise.all(readers)) {
      expect(seen.length).toBeGreaterThan(0);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    }
    expect((await run("bank", "SELECT sum(balance)::BIGINT AS total FROM accounts")).rows).toEqual([
      { total: 1000n },
    ]);
    expect((await store.listSnapshots("bank")).length).toBeGreaterThanOrEqual(202);
  }, 180_000);

  it("collects unreachable layers after the grace period, never reachable ones, and pinned readers keep reading", async () => {
    await worker.createDatabase("collected");
    await run("collected", "CREATE TABLE t AS SELECT range AS id FROM range(100000)");
    const old = await run("collected", "UPDATE t SET id = id + 1");
    // A reader pins the old snapshot and keeps it open while garbage collection runs.
    expect((await run("collected", "SELECT min(id) AS low FROM t", old.snapshotId)).rows).toEqual([
      { low: 1n },
    ]);
    await run("collected", "UPDATE t SET id = id + 1");
    await run("collected", "DELETE FROM t WHERE id > 50000");

    const dry = await store.collectGarbage({ dryRun: true });
    expect(dry.dryRun).toBe(true);
    const first = await store.collectGarbage();
    expect(first.snapshotsDeleted).toBeGreaterThan(0);
    expect(first.layersDeleted).toBe(0);
    // Inside the grace period a reader pinned to the old snapshot still reads it.
    expect((await run("collected", "SELECT min(id) AS low FROM t", old.snapshotId)).rows).toEqual([
      { low: 1n },
    ]);

    await new Promise((resolve) => setTimeout(resolve, gracePeriodMs + 100));
    const second = await store.collectGarbage();
    expect(second.layersDeleted).toBeGreaterThan(0);
    expect(second.bytesDeleted).toBeGreaterThan(0);
    // What is retained reads exactly as before, from a worker with an empty cache.
    const fresh = new DuckDBWorker({ store, scratchDirectory: join(storage.dataDirectory, "duckdb-fresh") });
    try {
      for (const database of ["collected", "history", "original", "copy", "big", "bank"]) {
        const result = await runOnWorker(fresh, database, "SELECT count(*) AS n FROM duckdb_tables()");
        expect(result.rows[0]?.n).toBeGreaterThan(0n);
      }
      expect(
        (await runOnWorker(fresh, "collected", "SELECT count(*) AS n, min(id) AS low FROM t")).rows,
      ).toEqual([{ n: 49999n, low: 2n }]);
      expect(
        (await runOnWorker(fresh, "history", "SELECT count(*) AS n FROM t", "before_delete")).rows,
      ).toEqual([{ n: 1000n }]);
      const gone = await failure(runOnWorker(fresh, "collected", "SELECT 1", old.snapshotId));
      expect(gone.code).toBe(Code.NotFound);
      expect(gone.rawMessage).toMatch(/no longer retained/);
    } finally {
      await fresh.close();
    }
  }, 60_000);

  it("reports a corrupted layer as data_loss naming the database and the layer, never a wrong answer", async () => {
    await worker.createDatabase("fragile");
    const before = await layerKeys(storage);
    await run("fragile", "CREATE TABLE t AS SELECT range AS id FROM range(1000)");
    const written = [...(await layerKeys(storage))].filter((key) => !before.has(key));
    expect(written.length).toBeGreaterThan(0);
    const flip = async () => {
      const objectStore = storage.objects();
      for (const key of written) {
        const bytes = Buffer.from(await objectStore.get(key));
        bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
        const local = objectStore.localPath(key);
        if (local !== undefined) await writeFile(local, bytes);
        else {
          await objectStore.delete(key);
          await objectStore.putIfAbsent(key, bytes);
        }
      }
    };
    await flip();
    // A worker that has not seen these layers (the writer keeps a verified copy of what it wrote).
    const coldStore = await storage.open({ work: "work-fragile" });
    const cold = new DuckDBWorker({
      store: coldStore,
      scratchDirectory: join(storage.dataDirectory, "duckdb-fragile"),
    });
    try {
      const error = await failure(runOnWorker(cold, "fragile", "SELECT count(*) FROM t"));
      expect(error.code).toBe(Code.DataLoss);
      expect(error.rawMessage).toMatch(/layer layers\/[0-9a-f]{64} of database "fragile" is corrupt/);
    } finally {
      await flip();
      await cold.close();
      await coldStore.close();
    }
    expect((await run("fragile", "SELECT count(*) AS n FROM t")).rows).toEqual([{ n: 1000n }]);
  });

  it("compacts a long layer chain into a few layers without changing what any snapshot reads", async () => {
    await worker.createDatabase("chained");
    await run("chained", "CREATE TABLE t AS SELECT range AS id FROM range(100000)");
    // Each commit appends row groups in new blocks: the head ends up reading a layer from every commit.
    for (let i = 1; i <= 20; i++) {
      await run("chained", `INSERT INTO t SELECT range FROM range(${i * 100000}, ${(i + 1) * 100000})`);
    }
    const query = "SELECT count(*) AS n, sum(id)::BIGINT AS total FROM t";
    const before = await run("chained", query);
    const head = await store.resolveSnapshot("chained");
    expect(await layersRead(store, head)).toBeGreaterThan(10);
    const compacted = await store.compact("chained");
    expect(Number(compacted.id)).toBeGreaterThan(Number(head.id));
    // 2.1 M BIGINT rows fit in well under 256 pages: one layer.
    expect(await layersRead(store, compacted)).toBe(1);
    expect((await run("chained", query)).rows).toEqual(before.rows);
    expect((await run("chained", query, head.id)).rows).toEqual(before.rows);
    await run("chained", "INSERT INTO t VALUES (-100)");
    expect((await run("chained", "SELECT count(*) AS n FROM t")).rows).toEqual([{ n: 2100001n }]);
  });

  it("reports bad input clearly and changes nothing", async () => {
    const before = await store.listDatabases();
    expect((await failure(run("nowhere", "SELECT 1"))).code).toBe(Code.NotFound);
    expect((await failure(run("history", "SELECT 1", "999999999"))).rawMessage).toMatch(
      /database "history" has no snapshot "999999999"/,
    );
    expect((await failure(run("history", "SELECT 1", "no_such_name"))).code).toBe(Code.NotFound);
    await expect(worker.createDatabase("history")).rejects.toMatchObject({ code: "already_exists" });
    await expect(store.cloneDatabase("history", "original")).rejects.toMatchObject({
      code: "already_exists",
    });
    await expect(store.nameSnapshot("history", "before_delete")).rejects.toMatchObject({
      code: "already_exists",
    });
    await expect(store.nameSnapshot("history", "12")).rejects.toMatchObject({ code: "invalid_argument" });
    await store.dropDatabase("copy");
    await expect(store.dropDatabase("copy")).rejects.toMatchObject({ code: "not_found" });
    expect((await failure(run("copy", "SELECT 1"))).code).toBe(Code.NotFound);
    await store.undropDatabase("copy");
    await expect(store.undropDatabase("copy")).rejects.toMatchObject({ code: "already_exists" });
    expect((await run("copy", "SELECT count(*) AS n FROM t")).rows).toEqual([{ n: 25000n }]);
    expect(await store.listDatabases()).toEqual(before);
  });

  it("lets one writer commit at a time, and refuses a writer whose lease was taken over", async () => {
    await worker.createDatabase("contended");
    await run("contended", "CREATE TABLE counter AS SELECT 0 AS n");
    const second = new DuckDBWorker({
      store,
      scratchDirectory: join(storage.dataDirectory, "duckdb-second"),
    });
    try {
      await Promise.all(
        [worker, second].map(async (each) => {
          for (let i = 0; i < 25; i++) await runOnWorker(each, "contended", "UPDATE counter SET n = n + 1");
        }),
      );
    } finally {
      await second.close();
    }
    expect((await run("contended", "SELECT n FROM counter")).rows).toEqual([{ n: 50 }]);

    const stale = await store.beginWrite("contended");
    // The writer stalls (its event loop blocked) past its lease: nothing renews it, and it expires.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, leaseTtlMs * 1.5);
    const taker = await store.beginWrite("contended");
    const taken = await taker.commit();
    await expect(stale.commit()).rejects.toMatchObject({ code: "aborted" });
    await stale.abort();
    expect((await store.resolveSnapshot("contended")).id).toBe(taken.id);
    expect((await run("contended", "SELECT n FROM counter")).rows).toEqual([{ n: 50 }]);
  });
});

/** How many layer files DuckDB opens to read a snapshot: the source count of its page table. */
async function layersRead(store: LayeredDatabaseStore, snapshot: SnapshotInfo): Promise<number> {
  const opened = await store.openSnapshot(snapshot);
  try {
    const table = await readFile(`${opened.attachPath.replace(/^odpages:/, "")}.pages`);
    return table.readUInt32LE(16);
  } finally {
    opened.release();
  }
}

async function layerKeys(storage: TestStorage): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const object of storage.objects().list("layers/")) keys.add(object.key);
  return keys;
}
