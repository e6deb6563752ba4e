// Differential storage on embedded defaults (PGlite + file object store), each figure against a baseline
// measured in the same run on the same 1 GB DuckDB file. Usage: npm run bench:storage [-- --quick]
// Writes bench/results/storage.md and prints it.
import { copyFile, mkdtemp, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { DuckDBInstance } from "@duckdb/node-api";
import { DuckDBWorker } from "@openduck/engine";
import { ExecuteRequestSchema } from "@openduck/protocol";
import { FilesystemObjectStore, LayeredDatabaseStore, PGliteSqlClient } from "@openduck/storage";

const quick = process.argv.includes("--quick");
const rows = quick ? 3_000_000 : 60_000_000;
const commits = quick ? 20 : 100;
const root = fileURLToPath(new URL("..", import.meta.url));
const directory = await mkdtemp(join(tmpdir(), "openduck-bench-storage-"));

/** Counts bytes written to the object store. */
class CountingStore extends FilesystemObjectStore {
  bytesPut = 0;
  async putIfAbsent(key, body) {
    this.bytesPut += body.byteLength;
    return super.putIfAbsent(key, body);
  }
}

const sql = await PGliteSqlClient.open(join(directory, "metadata"));
const shared = { query: sql.query.bind(sql), transaction: sql.transaction.bind(sql), close: async () => {} };
const objects = new CountingStore(join(directory, "objects"));
const openStore = (work) =>
  LayeredDatabaseStore.open({ sql: shared, objects, workDirectory: join(directory, work) });

async function execute(worker, sqlText) {
  for await (const _ of worker.execute(
    create(ExecuteRequestSchema, { database: "big", sql: sqlText }),
    new AbortController().signal,
  ));
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function timed(work) {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const fmt = (n, digits = 1) => n.toFixed(digits);
const store = await openStore("work");
const worker = new DuckDBWorker({ store, scratchDirectory: join(directory, "duckdb") });
try {
  await worker.createDatabase("big");
  const load = await timed(() =>
    execute(worker, `CREATE TABLE t AS SELECT range AS i, md5(range::VARCHAR) AS s FROM range(${rows})`),
  );
  const head = await store.resolveSnapshot("big");

  // The same file, plain, for the baselines: the pages of the head, in order.
  const plain = join(directory, "plain.duckdb");
  {
    const opened = await store.openSnapshot(head);
    const table = await readFile(`${opened.attachPath.replace(/^odpages:/, "")}.pages`);
    let at = 8;
    const length = Number(table.readBigUInt64LE(at));
    at += 8;
    const sources = [];
    const count = table.readUInt32LE(at);
    at += 4;
    for (let i = 0; i < count; i++) {
      const size = table.readUInt32LE(at);
      sources.push(table.toString("utf8", at + 4, at + 4 + size));
      at += 4 + size;
    }
    const pages = table.readUInt32LE(at);
    at += 4;
    const out = await open(plain, "w");
    let offset = 0;
    for (let page = 0; page < pages; page++, at += 16) {
      const source = sources[table.readUInt32LE(at)];
      const from = Number(table.readBigUInt64LE(at + 4));
      const size = table.readUInt32LE(at + 12);
      const file = await open(source, "r");
      const buffer = Buffer.alloc(size);
      await file.read(buffer, 0, size, from);
      await file.close();
      await out.write(buffer, 0, size, offset);
      offset += size;
    }
    await out.close();
    opened.release();
    if (offset !== length) throw new Error("the plain copy has the wrong length");
  }
  const size = (await stat(plain)).size;

  // Commit latency of a 1-row INSERT, and bytes uploaded per commit.
  const latencies = [];
  const uploads = [];
  for (let i = 0; i < commits; i++) {
    const before = objects.bytesPut;
    latencies.push(await timed(() => execute(worker, `INSERT INTO t VALUES (${-i - 1}, 'one row')`)));
    uploads.push(objects.bytesPut - before);
  }
  latencies.sort((a, b) => a - b);
  uploads.sort((a, b) => a - b);
  const plainCommits = [];
  {
    await copyFile(plain, join(directory, "plain-writable.duckdb"));
    const local = await DuckDBInstance.create(join(directory, "plain-writable.duckdb"));
    const connection = await local.connect();
    for (let i = 0; i < Math.min(commits, 50); i++) {
      plainCommits.push(
        await timed(async () => {
          await connection.run(`INSERT INTO t VALUES (${-i - 1}, 'one row')`);
          await connection.run("CHECKPOINT");
        }),
      );
    }
    connection.closeSync();
    local.closeSync();
    plainCommits.sort((a, b) => a - b);
  }

  // Cold open: a worker with an empty layer cache answers its first query; against copying the file.
  const copyMs = await timed(() => copyFile(plain, join(directory, "copied.duckdb")));
  const coldStore = await openStore("work-cold");
  const cold = new DuckDBWorker({ store: coldStore, scratchDirectory: join(directory, "duckdb-cold") });
  const coldMs = await timed(() => execute(cold, "SELECT count(*) FROM duckdb_tables()"));
  const plainOpenMs = await timed(async () => {
    const instance = await DuckDBInstance.create(plain, { access_mode: "READ_ONLY" });
    const connection = await instance.connect();
    await connection.run("SELECT count(*) FROM duckdb_tables()");
    connection.closeSync();
    instance.closeSync();
  });

  // Warm open: the cold worker, now warm, reads the snapshot a 1-row commit just made.
  const warm = [];
  for (let i = 0; i < 10; i++) {
    await execute(worker, `INSERT INTO t VALUES (${-10_000 - i}, 'warm')`);
    warm.push(await timed(() => execute(cold, "SELECT count(*) FROM duckdb_tables()")));
  }
  warm.sort((a, b) => a - b);
  await cold.close();
  await coldStore.close();

  const [manifestRow] = await sql.query(
    "SELECT octet_length(manifest) AS bytes FROM snapshots WHERE chain_depth = 0 ORDER BY bytes DESC LIMIT 1",
  );
  const [deltaRow] = await sql.query(
    "SELECT avg(octet_length(manifest))::bigint AS bytes FROM snapshots WHERE chain_depth > 0",
  );
  const pages = Math.ceil((size - 12288) / 262144) + 1;
  const fullManifest = Number(manifestRow?.bytes ?? 0);
  const deltaManifest = Number(deltaRow?.bytes ?? 0);

  const lines = [
    "# Differential storage benchmarks",
    "",
    `Command: \`npm run bench:storage${quick ? " -- --quick" : ""}\` on ${new Date().toISOString().slice(0, 10)};`,
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${fmt(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}, ext4.`,
    "Embedded defaults: PGlite metadata and the file object store, in one process (the worker of `openduck serve`).",
    `The database: \`CREATE TABLE t AS SELECT range AS i, md5(range::VARCHAR) AS s FROM range(${rows.toLocaleString("en-US")})\`,`,
    `a ${fmt(size / 1e9, 2)} GB DuckDB file of ${pages} pages (loaded and committed in ${fmt(load / 1000)} s).`,
    "Baselines use a plain copy of the same file, rebuilt from its pages, on local `@duckdb/node-api` 1.4.4.",
    "",
    `## Commit of a 1-row INSERT (${commits} commits)`,
    "",
    "| | p50 | p99 | max |",
    "|---|---|---|---|",
    `| OpenDuck: lease, DuckDB on the paged file, CHECKPOINT, layer upload, Postgres commit (ms) | ${fmt(percentile(latencies, 50))} | ${fmt(percentile(latencies, 99))} | ${fmt(latencies.at(-1))} |`,
    `| baseline: INSERT + CHECKPOINT on the plain local file (ms) | ${fmt(percentile(plainCommits, 50))} | ${fmt(percentile(plainCommits, 99))} | ${fmt(plainCommits.at(-1))} |`,
    `| bytes uploaded per commit | ${fmt(percentile(uploads, 50) / 1e6, 2)} MB | ${fmt(percentile(uploads, 99) / 1e6, 2)} MB | ${fmt(uploads.at(-1) / 1e6, 2)} MB |`,
    "",
    "Aim: < 100 ms and < 2 MB per 1-row commit.",
    "",
    "## Opening a snapshot",
    "",
    "| | ms | vs baseline |",
    "|---|---|---|",
    `| cold: a worker with an empty cache answers its first query (verifies every layer: reads and hashes ${fmt(size / 1e9, 2)} GB) | ${fmt(coldMs)} | ${fmt(coldMs / copyMs, 2)}× the copy |`,
    `| baseline: copying the file (cp, page cache warm) | ${fmt(copyMs)} | 1× |`,
    `| warm: the same worker after a 1-row commit elsewhere, p50 of 10 (p99 ${fmt(percentile(warm, 99))}) | ${fmt(percentile(warm, 50))} | ${fmt(percentile(warm, 50) / plainOpenMs, 2)}× the plain open |`,
    `| baseline: opening the plain file in DuckDB and the same query (\`SELECT count(*) FROM duckdb_tables()\`) | ${fmt(plainOpenMs)} | 1× |`,
    "",
    "Aim: cold open within 1.5× the copy; warm open after a small commit < 50 ms.",
    "",
    "## How cost grows (10 GB-class note)",
    "",
    `- A 1-row commit changes a handful of pages whatever the size: it uploads the pages it changed (p50 ${fmt(percentile(uploads, 50) / 1e6, 2)} MB here) and a delta manifest (${deltaManifest} bytes on average).`,
    `- Every 32nd commit writes a full manifest: 52 bytes per page, ${fmt(fullManifest / 1e3)} kB for this ${pages}-page file, so about ${fmt((fullManifest * 10) / 1e6, 1)} MB at 10 GB — the p99 commit above includes such a commit. Resolving a snapshot reads at most 32 manifest rows, once per worker (resolved manifests are cached forever).`,
    "- Cold open is reading and hashing every layer once (a remote store adds the download); it grows linearly with size, like any copy. Warm open touches only the new layers and is independent of size.",
    "- A head that reads more than 64 layers is compacted in the background (one layer per 64 MiB), which bounds the files DuckDB keeps open; chain length does not affect query speed (pages are read in place from layer files).",
    "",
  ];
  const report = lines.join("\n");
  console.log(report);
  if (!quick) await writeFile(join(root, "bench/results/storage.md"), report);
} finally {
  await worker.close();
  await store.close();
  await sql.close();
  await rm(directory, { recursive: true, force: true });
}
