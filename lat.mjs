import { DuckDBWorker } from "@openduck/engine";
import { FileDatabaseStore } from "@openduck/storage";
import { DuckDBInstance } from "@duckdb/node-api";
import { create } from "@bufbuild/protobuf";
import { ExecuteRequestSchema } from "@openduck/protocol";
import { mkdtempSync } from "node:fs";
const dir = mkdtempSync("/tmp/lat-");
const worker = new DuckDBWorker({ store: new FileDatabaseStore(dir), scratchDirectory: dir + "/scratch" });
await worker.createDatabase("db");
async function time(label, fn, n = 300) {
  for (let i = 0; i < 50; i++) await fn();
  const s = []; for (let i = 0; i < n; i++) { const t = performance.now(); await fn(); s.push(performance.now() - t); }
  s.sort((a, b) => a - b); console.log(label, "p50", s[n >> 1].toFixed(3), "p99", s[Math.floor(n * 0.99)].toFixed(3));
}
const req = create(ExecuteRequestSchema, { database: "db", sql: "SELECT 42" });
await time("worker.execute", async () => { for await (const _ of worker.execute(req, new AbortController().signal)) {} });
const inst = await DuckDBInstance.create(":memory:", { allow_unsigned_extensions: "true" });
const c = await inst.connect();
await c.run("LOAD 'extension/build/release/node/openduck.duckdb_extension'");
await time("runAndReadAll select 42", () => c.runAndReadAll("SELECT 42"));
await time("stream fn select 42", async () => { const r = await c.stream("SELECT * FROM openduck_arrow_ipc('SELECT 42')"); while (true) { const ch = await r.fetchChunk(); if (!ch || ch.rowCount === 0) break; } });
await time("runAndReadAll fn select 42", () => c.runAndReadAll("SELECT * FROM openduck_arrow_ipc('SELECT 42')"));
await time("connect+close", async () => { const x = await inst.connect(); x.closeSync(); });
await worker.close();
