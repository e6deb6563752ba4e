// One cold start of a Lambda function, in a fresh process as Lambda starts one (bench/lambda.ts spawns it with the
// deployment's environment): loads the bundled handler (module init: for the worker, metadata checked and DuckDB
// with the extension loaded) and answers one SELECT 1. Prints {"loadMs", "answerMs"} as JSON.
//   node bench/.build/lambda-cold-start.mjs worker|gateway BUNDLES_DIRECTORY DATABASE
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { create } from "@bufbuild/protobuf";
import { LambdaWorker } from "@openduck/lambda";
import { ExecuteRequestSchema } from "@openduck/protocol";
import { executionClient } from "../test/support/gateway-instances.js";
import {
  inProcessInvoker,
  installAwsLambdaGlobal,
  type StreamingLambdaHandler,
  startFunctionUrl,
} from "../test/support/lambda-emulator.js";

const [role, bundles = "", database = ""] = process.argv.slice(2);
installAwsLambdaGlobal();
const started = performance.now();
const { handler }: { handler: StreamingLambdaHandler } = await import(
  pathToFileURL(join(bundles, role === "worker" ? "worker/worker.mjs" : "gateway/gateway.mjs")).href
);
const loaded = performance.now();
let rows = 0n;
if (role === "worker") {
  const worker = new LambdaWorker(inProcessInvoker(handler));
  const request = create(ExecuteRequestSchema, { database, sql: "SELECT 1" });
  for await (const message of worker.execute(request, new AbortController().signal)) {
    if (message.payload.case === "batch") rows += message.payload.value.rowCount;
  }
} else {
  const url = await startFunctionUrl(handler);
  const token = JSON.parse(process.env.SST_RESOURCE_Token ?? "{}").value as string;
  const response = await executionClient(url.url, token).executeQuery({ database, sql: "SELECT 1" });
  rows = response.rowCount;
  await url.close();
}
if (rows !== 1n) throw new Error(`SELECT 1 answered ${rows} rows`);
console.log(JSON.stringify({ loadMs: loaded - started, answerMs: performance.now() - loaded }));
process.exit(0);
