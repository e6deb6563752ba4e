// A writer process for the crash and race tests: node crash-writer.mjs DATABASE MODE [ARG]
//   MODE "setup":      creates DATABASE with an empty table `batches`
//   MODE "insert":     prints the head and the committed batch count N, then commits batch N and starts batch N+1
//                      (each a statement that takes a while), printing commit phases as they happen
//   MODE "increment" K: K times UPDATE counter SET n = n + 1, each its own commit
// Storage comes from the same flags and environment as `openduck serve` (arguments after --).
// PAUSE_AT=<phase> makes the writer linger 400 ms at that commit phase, so the test can kill it there.
import { parseArgs } from "node:util";
import { create } from "@bufbuild/protobuf";
import { DuckDBWorker } from "@openduck/engine";
import { ExecuteRequestSchema } from "@openduck/protocol";
import { openStore, storageConfig, storageOptions } from "../../packages/openduck/dist/cli/storage-config.js";

const separator = process.argv.indexOf("--");
const [database, mode, argument] = process.argv.slice(2, separator);
const { values } = parseArgs({ args: process.argv.slice(separator + 1), options: storageOptions });
const config = storageConfig(values);
const say = (line) => process.stdout.write(`${line}\n`);
const store = await openStore(config, {
  onCommitPhase: async (phase) => {
    say(`phase ${phase}`);
    if (phase === process.env.PAUSE_AT) await new Promise((resolve) => setTimeout(resolve, 400));
  },
});
const worker = new DuckDBWorker({
  store,
  scratchDirectory: `${config.dataDirectory}/work/duckdb-${process.pid}`,
});

async function run(sql) {
  let snapshot = "";
  for await (const { payload } of worker.execute(
    create(ExecuteRequestSchema, { database, sql }),
    new AbortController().signal,
  )) {
    if (payload.case === "header") snapshot = payload.value.snapshotId;
  }
  return snapshot;
}

if (mode === "setup") {
  await worker.createDatabase(database);
  await run(
    "CREATE TABLE batches (batch INTEGER, item INTEGER, payload VARCHAR); CREATE TABLE counter AS SELECT 0 AS n",
  );
  say("ready");
} else if (mode === "insert") {
  const head = await store.resolveSnapshot(database);
  const counted = await queryOne("SELECT count(DISTINCT batch) AS batches, count(*) AS items FROM batches");
  say(`head ${head.id} batches ${counted.batches} items ${counted.items}`);
  const first = Number(counted.batches);
  for (const batch of [first, first + 1]) {
    say(`start ${batch}`);
    const snapshot = await run(
      `INSERT INTO batches SELECT ${batch}, range, md5(range::VARCHAR || '${batch}') FROM range(200000)`,
    );
    say(`committed ${batch} ${snapshot}`);
  }
} else if (mode === "increment") {
  for (let i = 0; i < Number(argument); i++) say(`committed ${await run("UPDATE counter SET n = n + 1")}`);
}
await worker.close();
await store.close();

async function queryOne(sql) {
  const { tableFromIPC } = await import("apache-arrow");
  const parts = [];
  for await (const { payload } of worker.execute(
    create(ExecuteRequestSchema, { database, sql }),
    new AbortController().signal,
  )) {
    if (payload.case === "header") parts.push(payload.value.arrowSchema);
    if (payload.case === "batch") parts.push(payload.value.ipc);
  }
  return tableFromIPC(Buffer.concat(parts)).get(0)?.toJSON() ?? {};
}
