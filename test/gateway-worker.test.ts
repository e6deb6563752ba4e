import { Code, type ConnectError } from "@connectrpc/connect";
import { OpenDuckClient } from "openduck";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type OpenDuckProcess,
  serveReady,
  startOpenDuck,
  temporaryDirectory,
  workerReady,
} from "./support/openduck-process.js";

const token = "split-test-token";
const env = { OPENDUCK_TOKEN: token };
const processes: OpenDuckProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
let gateway: OpenDuckProcess;
let serve: OpenDuckProcess;

beforeAll(async () => {
  const [workerData, removeWorkerData] = await temporaryDirectory("openduck-worker-");
  const [serveData, removeServeData] = await temporaryDirectory("openduck-serve-");
  cleanups.push(removeWorkerData, removeServeData);
  gateway = await startOpenDuck(["gateway", "--port", "0"], { env, ready: serveReady });
  processes.push(gateway);
  processes.push(
    await startOpenDuck(["worker", "--gateway", gateway.url, "-d", "mydb", "--data", workerData], {
      env,
      ready: workerReady,
    }),
  );
  serve = await startOpenDuck(["serve", "-d", "mydb", "--port", "0", "--data", serveData], {
    env,
    ready: serveReady,
  });
  processes.push(serve);
});

afterAll(async () => {
  for (const process of processes.reverse()) expect(await process.stop()).toBe(0);
  for (const cleanup of cleanups) await cleanup();
});

const script = [
  "CREATE TABLE t AS SELECT range AS id, range % 10 AS bucket, 'v' || range AS label FROM range(300000)",
  "UPDATE t SET label = 'updated' WHERE bucket = 3",
  "DELETE FROM t WHERE bucket = 9",
];
const queries = [
  "SELECT 42 AS answer",
  "SELECT bucket, count(*) AS n, min(label) AS first FROM t GROUP BY bucket ORDER BY bucket",
  "SELECT * FROM t ORDER BY id",
  "SELECT table_name, column_name, data_type FROM information_schema.columns ORDER BY ALL",
];

async function answers(url: string) {
  const client = new OpenDuckClient({ endpoint: url, token });
  const results: unknown[] = [];
  for (const sql of script) results.push((await client.execute("mydb", sql)).rowsAffected);
  for (const sql of queries) {
    const table = await client.table("mydb", sql);
    results.push(table.schema.fields.map((field) => `${field.name}:${field.type}`));
    results.push(
      JSON.stringify(table.toArray(), (_, value) => (typeof value === "bigint" ? String(value) : value)),
    );
  }
  return results;
}

describe("openduck gateway + openduck worker", () => {
  it("report the registered worker in /health", async () => {
    const health = await (await fetch(`${gateway.url}/health`)).json();
    expect(health).toMatchObject({ status: "ok", workers: 1 });
  });

  it("answer the same queries as openduck serve", async () => {
    const split = await answers(gateway.url);
    const single = await answers(serve.url);
    expect(split).toEqual(single);
    expect(split[0]).toBe(300000n);
  });

  it("pass errors through with their codes", async () => {
    const client = new OpenDuckClient({ endpoint: gateway.url, token });
    const error = (await client
      .table("mydb", "SELECT nope")
      .catch((caught: unknown) => caught)) as ConnectError;
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toMatch(/^Binder Error: Referenced column "nope" was not found/);
    const missing = (await client
      .table("other", "SELECT 1")
      .catch((caught: unknown) => caught)) as ConnectError;
    expect(missing.code).toBe(Code.NotFound);
  });

  it("refuse workers that do not know the cluster secret", async () => {
    const response = await fetch(`${gateway.url}/openduck.internal.v1.WorkerRegistryService/Register`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer wrong" },
      body: JSON.stringify({ url: "http://127.0.0.1:1" }),
    });
    expect(response.status).toBe(401);
    const clientTokenResponse = await fetch(
      `${gateway.url}/openduck.internal.v1.WorkerRegistryService/Register`,
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ url: "http://127.0.0.1:1" }),
      },
    );
    expect(clientTokenResponse.status).toBe(401);
  });
});
