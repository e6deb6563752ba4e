import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBWorker } from "@openduck/engine";
import type { LayeredDatabaseStore } from "@openduck/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackendServers, storageMatrix, type TestStorage, testStorage } from "./support/storage-backends.js";
import { executeOnWorker, runOnWorker } from "./support/worker-queries.js";

const servers = new BackendServers();
/** Pruned snapshots stay readable for half of it: long enough for a loaded CI machine to read one. */
const gracePeriodMs = 4000;
afterAll(() => servers.stop());

const uploadId = "0123456789abcdef0123456789abcdef";

describe.each(storageMatrix)(
  "transactions and staging on %s metadata and %s objects",
  (metadata, objects) => {
    let storage: TestStorage;
    let store: LayeredDatabaseStore;
    let worker: DuckDBWorker;
    const run = (database: string, sql: string) => runOnWorker(worker, database, sql);
    /** A statement of the transaction at base/tip (begins one when tip is undefined); the new tip. */
    const step = async (database: string, sql: string, base?: string, tip?: string) => {
      const result = await executeOnWorker(worker, {
        database,
        sql,
        beginTransaction: tip === undefined,
        transactionBase: base ?? "",
        transactionTip: tip ?? "",
      });
      return { ...result, base: result.header.transactionBase, tip: result.header.transactionTip };
    };
    const count = async (database: string) => (await run(database, "SELECT count(*) AS n FROM t")).rows[0]?.n;

    beforeAll(async () => {
      storage = await testStorage(servers, metadata, objects);
      store = await storage.open({ gracePeriodMs });
      worker = new DuckDBWorker({ store, scratchDirectory: join(storage.dataDirectory, "duckdb") });
    });

    afterAll(async () => {
      await worker?.close();
      await store?.close();
      await storage?.cleanup();
    });

    it("keeps a transaction's writes private until COMMIT publishes them as one snapshot", async () => {
      await worker.createDatabase("ledger");
      await run("ledger", "CREATE TABLE t (id INTEGER, v VARCHAR)");
      const head = await store.resolveSnapshot("ledger");
      const before = (await store.listSnapshots("ledger")).map((snapshot) => snapshot.id);

      const first = await step("ledger", "INSERT INTO t SELECT range, 'v' || range FROM range(1000)");
      expect(first.base).toBe(head.id);
      expect(first.header.write).toBe(true);
      expect(Number(first.tip)).toBeGreaterThan(Number(head.id));
      const second = await step("ledger", "UPDATE t SET v = 'changed' WHERE id < 10", first.base, first.tip);
      const read = await step(
        "ledger",
        "SELECT count(*) AS n, count(*) FILTER (v = 'changed') AS c FROM t",
        first.base,
        second.tip,
      );
      expect(read.rows).toEqual([{ n: 1000n, c: 10n }]);
      expect(read.tip).toBe(second.tip);
      expect(read.snapshotId).toBe(second.tip);

      // Nobody else sees the transaction's snapshots.
      expect(await count("ledger")).toBe(0n);
      expect((await store.resolveSnapshot("ledger")).id).toBe(head.id);
      expect((await store.listSnapshots("ledger")).map((snapshot) => snapshot.id)).toEqual(before);
      for (const tip of [first.tip, second.tip]) {
        await expect(store.resolveSnapshot("ledger", tip)).rejects.toMatchObject({ code: "not_found" });
        await expect(store.nameSnapshot("ledger", "mine", tip)).rejects.toMatchObject({ code: "not_found" });
        await expect(store.cloneDatabase("ledger", "stolen", tip)).rejects.toMatchObject({
          code: "not_found",
        });
      }
      expect((await store.transactionSnapshot("ledger", second.tip)).id).toBe(second.tip);

      const published = await store.publish("ledger", first.base, second.tip);
      const after = await store.listSnapshots("ledger");
      expect(after.map((snapshot) => snapshot.id)).toEqual([...before, published.id]);
      expect((await store.resolveSnapshot("ledger")).id).toBe(published.id);
      expect(
        (await run("ledger", "SELECT count(*) AS n, count(*) FILTER (v = 'changed') AS c FROM t")).rows,
      ).toEqual([{ n: 1000n, c: 10n }]);
      // What the transaction read before is still there, at its base.
      expect((await runOnWorker(worker, "ledger", "SELECT count(*) AS n FROM t", head.id)).rows).toEqual([
        { n: 0n },
      ]);
    });

    it("refuses to publish when another write committed since the transaction began, and shows none of it", async () => {
      await worker.createDatabase("race");
      await run("race", "CREATE TABLE t (id INTEGER)");
      const mine = await step("race", "INSERT INTO t SELECT range FROM range(5)");
      const theirs = await step("race", "INSERT INTO t VALUES (100)");
      const winner = await store.publish("race", theirs.base, theirs.tip);
      await expect(store.publish("race", mine.base, mine.tip)).rejects.toMatchObject({
        code: "aborted",
        message: `another write committed to database "race" (snapshot ${winner.id}) since this transaction began at snapshot ${mine.base}; nothing of the transaction was written`,
      });
      expect((await store.resolveSnapshot("race")).id).toBe(winner.id);
      expect((await run("race", "SELECT id FROM t")).rows).toEqual([{ id: 100 }]);

      // A transaction that only read commits whatever happened meanwhile, without a snapshot of its own.
      const reader = await step("race", "SELECT count(*) FROM t");
      await run("race", "INSERT INTO t VALUES (101)");
      const head = await store.resolveSnapshot("race");
      expect((await store.publish("race", reader.base, reader.tip)).id).toBe(head.id);
      expect((await store.listSnapshots("race")).at(-1)?.id).toBe(head.id);
    });

    it("publishes on top of a compaction that committed meanwhile: same contents, no conflict", async () => {
      await worker.createDatabase("compacted");
      await run("compacted", "CREATE TABLE t (id INTEGER)");
      await run("compacted", "INSERT INTO t SELECT range FROM range(100)");
      const mine = await step("compacted", "INSERT INTO t SELECT range FROM range(1000, 1005)");
      const compacted = await store.compact("compacted");
      expect(compacted.id).not.toBe(mine.base);
      const published = await store.publish("compacted", mine.base, mine.tip);
      expect(published.id).not.toBe(compacted.id);
      expect((await run("compacted", "SELECT count(*) AS n, sum(id)::BIGINT AS s FROM t")).rows).toEqual([
        { n: 105n, s: BigInt(4950 + 5010) },
      ]);
    });

    it("publishes a long chain of private writes as a full manifest when the chain would grow too long", async () => {
      await worker.createDatabase("long");
      await run("long", "CREATE TABLE t (id INTEGER)");
      // Creation, CREATE TABLE and 30 commits: the head's manifest chain is 31 deltas long.
      for (let i = 0; i < 30; i++) await run("long", `INSERT INTO t VALUES (${i})`);
      let { base, tip } = await step("long", "INSERT INTO t VALUES (-1)");
      for (let i = 0; i < 3; i++)
        ({ tip } = await step("long", `INSERT INTO t VALUES (${-2 - i})`, base, tip));
      const published = await store.publish("long", base, tip);
      // A worker that never saw these snapshots resolves the published one from its manifest alone.
      const coldStore = await storage.open({ work: "work-cold" });
      const cold = new DuckDBWorker({
        store: coldStore,
        scratchDirectory: join(storage.dataDirectory, "duckdb-cold"),
      });
      try {
        expect(
          (await runOnWorker(cold, "long", "SELECT count(*) AS n, sum(id)::BIGINT AS s FROM t", published.id))
            .rows,
        ).toEqual([{ n: 34n, s: 435n - 10n }]);
      } finally {
        await cold.close();
        await coldStore.close();
      }
    });

    it("stages rows in parts, replaces a part staged again, and drops an upload", async () => {
      await worker.createDatabase("staging");
      const parts = [Buffer.from("part zero"), Buffer.from("part one"), Buffer.from("part two")];
      for (const [part, bytes] of parts.entries()) await store.stageRows("staging", uploadId, part, bytes);
      await store.stageRows("staging", uploadId, 1, Buffer.from("part one, again"));
      const directory = join(storage.dataDirectory, "fetched");
      const paths = await store.fetchStaged("staging", uploadId, 3, directory);
      expect(await Promise.all(paths.map((path) => readFile(path, "utf8")))).toEqual([
        "part zero",
        "part one, again",
        "part two",
      ]);
      await expect(store.fetchStaged("staging", uploadId, 4, directory)).rejects.toMatchObject({
        code: "failed_precondition",
        message: expect.stringMatching(`^part 3 of upload ${uploadId} to database "staging" is not staged`),
      });
      await expect(store.stageRows("staging", "not-an-id", 0, parts[0] as Buffer)).rejects.toMatchObject({
        code: "invalid_argument",
      });
      await expect(store.stageRows("nowhere", uploadId, 0, parts[0] as Buffer)).rejects.toMatchObject({
        code: "not_found",
      });
      // Uploads belong to the database, not to its name.
      await store.dropDatabase("staging");
      await worker.createDatabase("staging");
      await expect(store.fetchStaged("staging", uploadId, 1, directory)).rejects.toMatchObject({
        code: "failed_precondition",
      });
      await store.stageRows("staging", uploadId, 0, parts[0] as Buffer);
      await store.dropStaged("staging", uploadId);
      await expect(store.fetchStaged("staging", uploadId, 1, directory)).rejects.toMatchObject({
        code: "failed_precondition",
      });
    });

    it("collects abandoned transactions' snapshots and forgotten staged rows after their lifetimes", async () => {
      await worker.createDatabase("abandoned");
      await run("abandoned", "CREATE TABLE t AS SELECT range AS id FROM range(100000)");
      const abandoned = await step("abandoned", "UPDATE t SET id = id + 1");
      await store.stageRows("abandoned", uploadId, 0, Buffer.from("forgotten"));

      // Within their lifetimes, nothing of them goes.
      const patient = await storage.open({
        gracePeriodMs: 0,
        transactionLifetimeMs: 60_000,
        stagingLifetimeMs: 60_000,
      });
      const kept = await patient.collectGarbage();
      expect(kept.stagedDeleted).toBe(0);
      expect((await store.transactionSnapshot("abandoned", abandoned.tip)).id).toBe(abandoned.tip);
      expect(
        (await step("abandoned", "SELECT min(id) AS low FROM t", abandoned.base, abandoned.tip)).rows,
      ).toEqual([{ low: 1n }]);

      await new Promise((resolve) => setTimeout(resolve, 1100));
      const hasty = await storage.open({
        gracePeriodMs: 0,
        transactionLifetimeMs: 1000,
        stagingLifetimeMs: 1000,
      });
      const dry = await hasty.collectGarbage({ dryRun: true });
      expect(dry.stagedDeleted).toBeGreaterThanOrEqual(1);
      const collected = await hasty.collectGarbage();
      expect(collected.snapshotsDeleted).toBeGreaterThanOrEqual(1);
      expect(collected.stagedDeleted).toBe(dry.stagedDeleted);
      // With no grace period, the layers only the transaction's snapshot read go at once.
      expect(collected.layersDeleted).toBeGreaterThanOrEqual(1);
      // (A store with a grace period would still let a statement in flight read it for a while.)
      await expect(hasty.transactionSnapshot("abandoned", abandoned.tip)).rejects.toMatchObject({
        code: "not_found",
        message: expect.stringMatching(/belonged to a transaction that expired/),
      });
      await expect(
        store.fetchStaged("abandoned", uploadId, 1, join(storage.dataDirectory, "gone")),
      ).rejects.toMatchObject({
        code: "failed_precondition",
      });
      expect((await run("abandoned", "SELECT min(id) AS low FROM t")).rows).toEqual([{ low: 0n }]);
      await patient.close();
      await hasty.close();
    });
  },
);
