// The serverless deployment's handlers (the deployed bundles, run as test/lambda-functions.test.ts runs them: a
// function URL, Lambda's Invoke API, PostgreSQL through the Neon driver, an S3-compatible server on this machine)
// against `openduck serve` over the same PostgreSQL and bucket, in the same run:
// - cold start: process start to the first SELECT 1 answered, for a fresh worker function instance, a fresh
//   gateway function instance (its worker warm), and a fresh `openduck serve` process;
// - warm SELECT 1 through the function URL, the gateway and an invocation of the worker, against SELECT 1 on a
//   running `openduck serve`.
// No AWS network is involved: Lambda's own overheads (instance start, invocation routing) come on top.
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { executionClient } from "../test/support/gateway-instances.js";
import { startLambdaDeployment } from "../test/support/lambda-deployment.js";
import { serveReady, startOpenDuck, temporaryDirectory } from "../test/support/openduck-process.js";
import { BackendServers } from "../test/support/storage-backends.js";

const quick = process.argv.includes("--quick");
const coldStarts = quick ? 2 : 5;
const calls = quick ? 50 : 300;
const token = "bench-lambda-token";
const database = "bench";
// Run from bench/.build/ (see bench/lambda.mjs): the repository is two folders up.
const root = fileURLToPath(new URL("../..", import.meta.url));

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const fmt = (n: number) => n.toFixed(1);

/** Spawns one cold start of `role` and returns its figures: spawn to answer, and the child's own split. */
function coldStart(
  role: "worker" | "gateway",
  bundles: string,
  environment: Record<string, string>,
  scratch: string,
) {
  return new Promise<{ totalMs: number; loadMs: number; answerMs: number; log: string }>(
    (resolve, reject) => {
      const started = performance.now();
      const child = spawn(
        process.execPath,
        [join(root, "bench/.build/lambda-cold-start.mjs"), role, bundles, database],
        {
          env: { ...process.env, ...environment, OPENDUCK_SCRATCH_DIR: scratch },
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.once("exit", (code) => {
        const totalMs = performance.now() - started;
        const result = output.trim().split("\n").at(-1) ?? "";
        if (code !== 0) reject(new Error(`the ${role} cold start failed (${code}):\n${output}`));
        else
          resolve({
            totalMs,
            ...(JSON.parse(result) as { loadMs: number; answerMs: number }),
            log: /openduck worker started in .*/.exec(output)?.[0] ?? "",
          });
      });
    },
  );
}

async function selectOne(url: string): Promise<number> {
  const client = executionClient(url, token);
  const started = performance.now();
  const response = await client.executeQuery({ database, sql: "SELECT 1" });
  if (response.rowCount !== 1n) throw new Error("SELECT 1 did not answer one row");
  return performance.now() - started;
}

async function warm(url: string): Promise<number[]> {
  for (let i = 0; i < 10; i++) await selectOne(url);
  const latencies: number[] = [];
  for (let i = 0; i < calls; i++) latencies.push(await selectOne(url));
  return latencies;
}

const servers = new BackendServers();
const deployment = await startLambdaDeployment(servers, { token, databases: [database] });
const [scratch, removeScratch] = await temporaryDirectory("openduck-bench-lambda-");
try {
  const rows: string[] = [];
  const workerStarts = [];
  const gatewayStarts = [];
  const serveStarts: number[] = [];
  let serve: Awaited<ReturnType<typeof startOpenDuck>> | undefined;
  for (let i = 0; i < coldStarts; i++) {
    workerStarts.push(
      await coldStart("worker", deployment.bundles, deployment.environment, join(scratch, `w${i}`)),
    );
    gatewayStarts.push(
      await coldStart("gateway", deployment.bundles, deployment.environment, join(scratch, `g${i}`)),
    );
    await serve?.stop();
    const started = performance.now();
    serve = await startOpenDuck(
      ["serve", "--port", "0", "--data", join(scratch, `s${i}`), ...deployment.storage.args],
      { env: { ...deployment.storage.env, OPENDUCK_TOKEN: token }, ready: serveReady },
    );
    await selectOne(serve.url);
    serveStarts.push(performance.now() - started);
  }
  if (serve === undefined) throw new Error("no openduck serve was started");
  const lambdaWarm = await warm(deployment.functionUrl.url);
  const serveWarm = await warm(serve.url);
  await serve.stop();

  const worker = median(workerStarts.map((s) => s.totalMs));
  const gateway = median(gatewayStarts.map((s) => s.totalMs));
  const served = median(serveStarts);
  const sum = (starts: { loadMs: number; answerMs: number }[]) =>
    median(starts.map((s) => s.loadMs + s.answerMs));
  rows.push(
    `| worker function: process start → first SELECT 1 answered | ${fmt(worker)} | ${fmt(served)} | ${(worker / served).toFixed(2)}× |`,
    `| worker function: module init → first SELECT 1 answered | ${fmt(sum(workerStarts))} | | |`,
    `|   of which module init (imports, metadata check, DuckDB + extension loaded) | ${fmt(median(workerStarts.map((s) => s.loadMs)))} | | |`,
    `| gateway function: process start → first SELECT 1 answered (worker warm) | ${fmt(gateway)} | ${fmt(served)} | ${(gateway / served).toFixed(2)}× |`,
    `| gateway function: module init → first SELECT 1 answered | ${fmt(sum(gatewayStarts))} | | |`,
    `|   of which module init | ${fmt(median(gatewayStarts.map((s) => s.loadMs)))} | | |`,
  );
  const p50 = percentile(lambdaWarm, 50);
  const p99 = percentile(lambdaWarm, 99);
  const baseP50 = percentile(serveWarm, 50);
  const baseP99 = percentile(serveWarm, 99);
  const report = `# Lambda functions: cold start and warm SELECT 1

Command: \`npm run bench:lambda\`${quick ? " -- --quick" : ""} (${cpus().length} vCPU, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}).

The deployed bundles (\`npm run build:functions\`) run in Node as Lambda runs them: a function URL emulated in front of
the gateway, Lambda's Invoke API (InvokeWithResponseStream through @aws-sdk/client-lambda) in front of the worker,
metadata in PostgreSQL through the Neon driver, objects in moto's S3 server, all on this machine. The baseline is
\`openduck serve\` over the same PostgreSQL and bucket, measured in the same run. Lambda's own costs (starting an
instance, routing an invocation, the network between functions) are not included.

## Cold start (median of ${coldStarts}; each a new process with an empty /tmp)

| | functions (ms) | \`openduck serve\` (ms) | ratio |
|---|---|---|---|
${rows.join("\n")}

Process start includes Node's own start and, for the functions, the benchmark's child loading its client
libraries; module init is what Lambda's init phase runs (the handler module's imports and top-level work).
The worker logs its own start: ${workerStarts.map((s) => `"${s.log}"`).join(", ")}. Its metadata
step is mostly the first connection's login: against this PostgreSQL the Neon driver's first query on a new
connection takes 200–350 ms, later ones about 2 ms.

## Warm SELECT 1 (${calls} calls after 10 warm-up calls, one at a time)

| | p50 (ms) | p99 (ms) |
|---|---|---|
| function URL → gateway → worker invocation | ${fmt(p50)} | ${fmt(p99)} |
| \`openduck serve\` | ${fmt(baseP50)} | ${fmt(baseP99)} |
| ratio | ${(p50 / baseP50).toFixed(2)}× | ${(p99 / baseP99).toFixed(2)}× |
`;
  await writeFile(join(root, "bench/results/lambda.md"), report);
  console.log(report);
} finally {
  await removeScratch();
  await deployment.close();
  await servers.stop();
}
process.exit(0);
