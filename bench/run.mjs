// Benchmarks of the foundation, each against a baseline measured in the same
// run on local @duckdb/node-api. Usage: npm run bench [-- --quick]
// Writes bench/results/foundation.md and prints it.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { DuckDBInstance } from "@duckdb/node-api";
import { DuckDBWorker } from "@openduck/engine";
import { ExecuteRequestSchema } from "@openduck/protocol";
import { FilesystemObjectStore, LayeredDatabaseStore, PGliteSqlClient } from "@openduck/storage";
import { OpenDuckClient } from "openduck";

const quick = process.argv.includes("--quick");
const calls = quick ? 200 : 2000;
const streamRows = quick ? 1_000_000 : 10_000_000;
const repeats = quick ? 1 : 3;
const token = "bench-token";
const root = fileURLToPath(new URL("..", import.meta.url));

async function startServer(dataDirectory) {
  const child = spawn(
    process.execPath,
    [
      join(root, "packages/openduck/bin/openduck.js"),
      "serve",
      "-d",
      "bench",
      "--port",
      "0",
      "--data",
      dataDirectory,
    ],
    { env: { ...process.env, OPENDUCK_TOKEN: token }, stdio: ["ignore", "pipe", "inherit"] },
  );
  let output = "";
  const url = await new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const match = /endpoint: (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`openduck serve exited with ${code}`)));
  });
  return { url, stop: () => new Promise((resolve) => child.once("exit", resolve).kill("SIGTERM")) };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function latency(run) {
  for (let i = 0; i < Math.min(200, calls); i++) await run();
  const samples = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return {
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    mean: samples.reduce((a, b) => a + b) / calls,
  };
}

async function best(run) {
  const results = [];
  for (let i = 0; i < repeats; i++) results.push(await run());
  return results.sort((a, b) => a.seconds - b.seconds)[0];
}

const streamSql = `SELECT i, (i * 0.5)::DOUBLE AS half, 'row-' || i AS label FROM range(${streamRows}) t(i)`;

async function remoteStream(client) {
  const started = performance.now();
  let rows = 0;
  let bytes = 0;
  for await (const batch of client.query("bench", streamSql, {
    onStatistics: (statistics) => {
      bytes = Number(statistics.bytes);
    },
  })) {
    rows += batch.numRows;
  }
  return { rows, bytes, seconds: (performance.now() - started) / 1000 };
}

async function localStream(connection, convert) {
  const started = performance.now();
  const result = await connection.stream(streamSql);
  let rows = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    if (convert) chunk.getColumns();
    rows += chunk.rowCount;
  }
  return { rows, seconds: (performance.now() - started) / 1000 };
}

const fmt = (n, digits = 2) => n.toFixed(digits);

async function inProcessWorkerLatency() {
  const directory = await mkdtemp(join(tmpdir(), "openduck-bench-worker-"));
  // The embedded defaults of `openduck serve`: PGlite metadata and a file object store.
  const store = await LayeredDatabaseStore.open({
    sql: await PGliteSqlClient.open(join(directory, "metadata")),
    objects: new FilesystemObjectStore(join(directory, "objects")),
    workDirectory: join(directory, "work"),
  });
  const worker = new DuckDBWorker({ store, scratchDirectory: join(directory, "scratch") });
  try {
    await worker.createDatabase("bench");
    const request = create(ExecuteRequestSchema, { database: "bench", sql: "SELECT 42" });
    return await latency(async () => {
      for await (const _ of worker.execute(request, new AbortController().signal));
    });
  } finally {
    await worker.close();
    await store.close();
    await rm(directory, { recursive: true, force: true });
  }
}

const dataDirectory = await mkdtemp(join(tmpdir(), "openduck-bench-"));
const server = await startServer(dataDirectory);
const local = await (await DuckDBInstance.create(":memory:", { threads: "2" })).connect();
try {
  const connectClient = new OpenDuckClient({ endpoint: server.url, token });
  const grpcWebClient = new OpenDuckClient({ endpoint: server.url, token, protocol: "grpc-web" });

  const remoteLatency = await latency(() => connectClient.execute("bench", "SELECT 42"));
  const localLatency = await latency(() => local.runAndReadAll("SELECT 42"));
  const workerLatency = await inProcessWorkerLatency();

  const connectStream = await best(() => remoteStream(connectClient));
  const grpcWebStream = await best(() => remoteStream(grpcWebClient));
  const localValues = await best(() => localStream(local, true));
  const localChunks = await best(() => localStream(local, false));
  const arrowBytes = connectStream.bytes;
  const rate = (run) => ({
    rowsPerSecond: run.rows / run.seconds,
    mbPerSecond: arrowBytes / 1e6 / run.seconds,
  });

  const lines = [
    "# Foundation benchmarks",
    "",
    `Command: \`npm run bench${quick ? " -- --quick" : ""}\` on ${new Date().toISOString().slice(0, 10)};`,
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${fmt(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}.`,
    "`openduck serve` runs as its own process; the client runs in the benchmark process and talks to it over loopback.",
    "Baselines are measured in the same run on local `@duckdb/node-api` 1.4.4 (in-memory database, 2 threads, same as the worker).",
    "",
    `## (a) Round trip of \`SELECT 42\` (${calls} calls after warm-up)`,
    "",
    "| path | p50 ms | p99 ms | mean ms |",
    "|---|---|---|---|",
    `| OpenDuckClient.execute → gateway → worker (Connect, binary) | ${fmt(remoteLatency.p50, 3)} | ${fmt(remoteLatency.p99, 3)} | ${fmt(remoteLatency.mean, 3)} |`,
    `| DuckDBWorker.execute in the benchmark process (no HTTP) | ${fmt(workerLatency.p50, 3)} | ${fmt(workerLatency.p99, 3)} | ${fmt(workerLatency.mean, 3)} |`,
    `| local node-api \`runAndReadAll\` (baseline) | ${fmt(localLatency.p50, 3)} | ${fmt(localLatency.p99, 3)} | ${fmt(localLatency.mean, 3)} |`,
    "",
    `Ratio p50 remote / local: ${fmt(remoteLatency.p50 / localLatency.p50)}×. Target: p50 ≤ 2 ms. ` +
      `The worker alone takes ${fmt(workerLatency.p50, 2)} ms (snapshot lookup, the prepared openduck_arrow_ipc call ` +
      "running the SQL on its own connection, three node-api thread-pool round trips); the rest " +
      `(${fmt(remoteLatency.p50 - workerLatency.p50, 2)} ms) is HTTP, Connect and the gateway between two processes on 2 cores.`,
    "",
    `## (b) Streaming ${streamRows.toLocaleString("en-US")} rows × (BIGINT, DOUBLE, VARCHAR), best of ${repeats}`,
    "",
    `\`${streamSql}\` — ${fmt(arrowBytes / 1e6, 1)} MB of Arrow IPC. MB/s is that size over the wall time for every row, so the columns compare.`,
    "",
    "| path | seconds | rows/s | MB/s | vs local values |",
    "|---|---|---|---|---|",
  ];
  const rows = [
    ["OpenDuckClient.query over Connect (apache-arrow batches)", connectStream],
    ["OpenDuckClient.query over gRPC-Web", grpcWebStream],
    ["local node-api, chunks → JS values (`getColumns`) (baseline)", localValues],
    ["local node-api, chunks only, no values read (DuckDB's own speed)", localChunks],
  ];
  for (const [name, run] of rows) {
    const r = rate(run);
    lines.push(
      `| ${name} | ${fmt(run.seconds)} | ${fmt(r.rowsPerSecond / 1e6)} M | ${fmt(r.mbPerSecond, 0)} | ${fmt(localValues.seconds / run.seconds)}× |`,
    );
  }
  lines.push(
    "",
    `Remote over Connect reaches ${fmt((100 * localValues.seconds) / connectStream.seconds, 0)}% of local node-api's throughput with values read, ` +
      `${fmt((100 * localChunks.seconds) / connectStream.seconds, 0)}% of DuckDB producing the chunks alone. Target: ≥ 50% of local.`,
    "",
  );
  const report = lines.join("\n");
  console.log(report);
  if (!quick) await writeFile(join(root, "bench/results/foundation.md"), report);
} finally {
  local.closeSync();
  await server.stop();
  await rm(dataDirectory, { recursive: true, force: true });
}
