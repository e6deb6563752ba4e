import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDBClientProcess, integer } from "./support/duckdb-client-process.js";
import { type LambdaDeployment, startLambdaDeployment } from "./support/lambda-deployment.js";
import { LAMBDA_PAYLOAD_LIMIT } from "./support/lambda-emulator.js";
import { BackendServers } from "./support/storage-backends.js";

// The deployment's functions as Lambda runs them (see startLambdaDeployment), used by a DuckDB client with the
// OpenDuck extension in another process.

const run = promisify(execFile);
const token = "lambda-test-token";
const servers = new BackendServers();
let deployment: LambdaDeployment;
const clients: DuckDBClientProcess[] = [];

/** An `openduck` command against the deployment's storage, as DEPLOY.md has the operator run it. */
async function openduck(...args: string[]): Promise<string> {
  const { code, stdout, stderr } = await deployment.openduck(...args);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  return stdout;
}

async function attached(extra = ""): Promise<DuckDBClientProcess> {
  const client = new DuckDBClientProcess();
  clients.push(client);
  await client.execute(
    `ATTACH 'openduck:mydb?endpoint=${deployment.functionUrl.url}&token=${token}${extra}' AS cloud`,
  );
  return client;
}

beforeAll(async () => {
  // The operator's first database (DEPLOY.md) is created with the CLI, straight in Neon and S3.
  deployment = await startLambdaDeployment(servers, { token, databases: ["mydb"] });
}, 180_000);

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await deployment?.close();
  await servers.stop();
});

/** What the dynamic loader must find for `file`: its NEEDED libraries and the symbol versions it binds to. */
async function requirements(
  file: string,
): Promise<{ machine: string; needed: string[]; versions: string[] }> {
  // objdump -p: the dynamic section (NEEDED) and the version references; -f: the architecture.
  const { stdout } = await run("objdump", ["-p", "-f", file], { maxBuffer: 16 * 1024 * 1024 });
  return {
    machine: /architecture: ([^,\s]+)/.exec(stdout)?.[1] ?? "",
    needed: [...stdout.matchAll(/^\s+NEEDED\s+(\S+)/gm)].map((m) => m[1] ?? ""),
    versions: [
      ...new Set([...stdout.matchAll(/\s((?:GLIBC|GLIBCXX|CXXABI)_[0-9.]+)$/gm)].map((m) => m[1] ?? "")),
    ],
  };
}

/** Whether `version` (e.g. GLIBCXX_3.4.30) is at most `limit` (GLIBCXX_3.4.29) of the same family. */
function atMost(version: string, limit: string): boolean {
  const [family, number = ""] = version.split("_");
  const [limitFamily, limitNumber = ""] = limit.split("_");
  if (family !== limitFamily) return true;
  const a = number.split(".").map(Number);
  const b = limitNumber.split(".").map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return true;
}

describe("the deployment bundles", () => {
  it("carry DuckDB's linux-x64 binary and the extension, needing only what Lambda's nodejs22.x (Amazon Linux 2023) has", async () => {
    const worker = join(deployment.bundles, "worker");
    const natives = [
      join(worker, "openduck.duckdb_extension"),
      join(worker, "node_modules/@duckdb/node-bindings-linux-x64/duckdb.node"),
      join(worker, "node_modules/@duckdb/node-bindings-linux-x64/libduckdb.so"),
    ];
    // Amazon Linux 2023: glibc 2.34, GCC 11's libstdc++ (GLIBCXX_3.4.29, CXXABI_1.3.13); no libcurl is promised.
    const system = [
      "libc.so.6",
      "libm.so.6",
      "libdl.so.2",
      "libpthread.so.0",
      "libstdc++.so.6",
      "libgcc_s.so.1",
    ];
    for (const file of natives) {
      const { machine, needed, versions } = await requirements(file);
      expect(machine, file).toBe("i386:x86-64");
      expect(needed, file).toContain("libc.so.6");
      expect(
        versions.some((version) => version.startsWith("GLIBC_")),
        file,
      ).toBe(true);
      for (const library of needed) {
        expect([...system, "ld-linux-x86-64.so.2", "libduckdb.so"], `${file} needs ${library}`).toContain(
          library,
        );
      }
      for (const version of versions) {
        for (const limit of ["GLIBC_2.34", "GLIBCXX_3.4.29", "CXXABI_1.3.13"]) {
          expect(atMost(version, limit), `${file} needs ${version}`).toBe(true);
        }
      }
    }
    // The gateway carries no DuckDB at all: it starts fast and small.
    const { stdout } = await run("du", ["-sb", join(deployment.bundles, "gateway")]);
    expect(Number(stdout.split("\t")[0])).toBeLessThan(5 * 1024 * 1024);
  });
});

describe("the Lambda functions, driven as Lambda drives them", () => {
  it("answers /health through the function URL", async () => {
    const response = await fetch(`${deployment.functionUrl.url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: "ok",
      service: "openduck-gateway",
      version: "test",
    });
  });

  it("refuses a wrong token before any worker is invoked", async () => {
    const client = new DuckDBClientProcess();
    clients.push(client);
    const before = deployment.invokeApi.traffic.requests;
    await expect(
      client.execute(`ATTACH 'openduck:mydb?endpoint=${deployment.functionUrl.url}&token=wrong' AS cloud`),
    ).rejects.toThrow(/token/i);
    expect(deployment.invokeApi.traffic.requests).toBe(before);
  });

  it("runs writes, reads and a time-travel query from a DuckDB client", async () => {
    const client = await attached();
    await client.execute(
      "CREATE TABLE cloud.events AS SELECT i AS id, i * 2 AS doubled FROM range(1000) t(i)",
    );
    await client.execute("INSERT INTO cloud.events VALUES (1000, 2000)");
    const [[count, sum]] = (await client.execute(
      "SELECT count(*), sum(doubled)::BIGINT FROM cloud.events",
    )) as [[never, never]];
    expect([integer(count), integer(sum)]).toEqual([1001, 1001000]);

    // Name the head, change the table, then read it as it was.
    await openduck("snapshot", "create", "mydb", "before-delete");
    await client.execute("DELETE FROM cloud.events WHERE id < 500");
    const [[now]] = (await client.execute("SELECT count(*) FROM cloud.events")) as [[never]];
    expect(integer(now)).toBe(501);
    const old = await attached("&snapshot=before-delete");
    const [[then]] = (await old.execute("SELECT count(*) FROM cloud.events")) as [[never]];
    expect(integer(then)).toBe(1001);
  });

  it("uploads local rows through staged parts and joins them with remote ones", async () => {
    const client = await attached();
    await client.execute(
      "CREATE TABLE local_rows AS SELECT i AS id, repeat('x', 100) || i AS payload FROM range(200000) t(i)",
    );
    await client.execute("CREATE TABLE cloud.uploaded AS SELECT * FROM local_rows");
    const [[count, checksum]] = (await client.execute(
      "SELECT count(*), sum(hash(payload))::HUGEINT::VARCHAR FROM cloud.uploaded",
    )) as [[never, never]];
    const [[localChecksum]] = (await client.execute(
      "SELECT sum(hash(payload))::HUGEINT::VARCHAR FROM local_rows",
    )) as [[never]];
    expect(integer(count)).toBe(200000);
    expect(checksum).toBe(localChecksum);
    const [[joined]] = (await client.execute(
      "SELECT count(*) FROM local_rows l JOIN cloud.uploaded u USING (id) WHERE l.payload = u.payload",
    )) as [[never]];
    expect(integer(joined)).toBe(200000);
  });

  it("streams a result larger than the inline limit through a handle", async () => {
    const client = await attached();
    // The remote scan's rows (about 21 MB) come back through ExecuteQuery's handle and StreamResults.
    await client.execute("CREATE TABLE local_copy AS SELECT * FROM cloud.uploaded");
    const [[count, checksum]] = (await client.execute(
      "SELECT count(*), sum(hash(payload))::HUGEINT::VARCHAR FROM local_copy",
    )) as [[never, never]];
    const [[remoteChecksum]] = (await client.execute(
      "SELECT sum(hash(payload))::HUGEINT::VARCHAR FROM cloud.uploaded",
    )) as [[never]];
    expect(integer(count)).toBe(200000);
    expect(checksum).toBe(remoteChecksum);
  });

  it("keeps a transaction across invocations: its writes are seen inside, published at COMMIT", async () => {
    const client = await attached();
    const other = await attached();
    await client.execute("BEGIN");
    await client.execute("CREATE TABLE cloud.ledger (id INTEGER PRIMARY KEY, amount INTEGER)");
    await client.execute("INSERT INTO cloud.ledger VALUES (1, 10), (2, 20)");
    const [[inside]] = (await client.execute("SELECT sum(amount)::BIGINT FROM cloud.ledger")) as [[never]];
    expect(integer(inside)).toBe(30);
    await expect(other.execute("SELECT * FROM cloud.ledger")).rejects.toThrow(/ledger/);
    await client.execute("COMMIT");
    const fresh = await attached();
    const [[after]] = (await fresh.execute("SELECT sum(amount)::BIGINT FROM cloud.ledger")) as [[never]];
    expect(integer(after)).toBe(30);
  });

  it("hands a 200 MB result to the client as presigned result parts, not through the functions", async () => {
    const client = await attached();
    await client.execute(
      "CREATE TABLE cloud.big AS SELECT i AS id, repeat('r', 190) || i AS payload FROM range(1000000) t(i)",
    );
    const urlBefore = { ...deployment.functionUrl.traffic };
    const invokeBefore = { ...deployment.invokeApi.traffic };
    await client.execute("CREATE TABLE local_big AS SELECT * FROM cloud.big");
    const [[count, bytes, checksum]] = (await client.execute(
      "SELECT count(*), sum(length(payload))::BIGINT, sum(hash(payload))::HUGEINT::VARCHAR FROM local_big",
    )) as [[never, never, never]];
    const [[remoteChecksum]] = (await client.execute(
      "SELECT sum(hash(payload))::HUGEINT::VARCHAR FROM cloud.big",
    )) as [[never]];
    expect(integer(count)).toBe(1_000_000);
    expect(integer(bytes)).toBeGreaterThan(190_000_000);
    expect(checksum).toBe(remoteChecksum);
    // What passed through the functions while the rows moved: a few MB at most, in no body over the limit.
    const throughUrl = deployment.functionUrl.traffic.responseBytes - urlBefore.responseBytes;
    const throughInvoke = deployment.invokeApi.traffic.responseBytes - invokeBefore.responseBytes;
    expect(throughUrl).toBeLessThan(8 * 1024 * 1024);
    expect(throughInvoke).toBeLessThan(8 * 1024 * 1024);
    expect(deployment.functionUrl.traffic.largestResponse).toBeLessThanOrEqual(LAMBDA_PAYLOAD_LIMIT);
    expect(deployment.invokeApi.traffic.largestResponse).toBeLessThanOrEqual(LAMBDA_PAYLOAD_LIMIT);
  });

  it("takes a 50 MB insert as parts PUT straight into the bucket", async () => {
    const client = await attached();
    await client.execute(
      "CREATE TABLE local_rows AS SELECT i AS id, repeat('u', 100) || i AS payload FROM range(500000) t(i)",
    );
    const before = { ...deployment.functionUrl.traffic };
    await client.execute("CREATE TABLE cloud.uploaded_big AS SELECT * FROM local_rows");
    const [[count, checksum]] = (await client.execute(
      "SELECT count(*), sum(hash(payload))::HUGEINT::VARCHAR FROM cloud.uploaded_big",
    )) as [[never, never]];
    const [[localChecksum, localBytes]] = (await client.execute(
      "SELECT sum(hash(payload))::HUGEINT::VARCHAR, sum(length(payload))::BIGINT FROM local_rows",
    )) as [[never, never]];
    expect(integer(count)).toBe(500_000);
    expect(integer(localBytes)).toBeGreaterThan(50_000_000);
    expect(checksum).toBe(localChecksum);
    // The rows went to the bucket: the gateway saw requests for URLs and the write, not the 50 MB.
    expect(deployment.functionUrl.traffic.requestBytes - before.requestBytes).toBeLessThan(1024 * 1024);
    expect(deployment.functionUrl.traffic.largestRequest).toBeLessThanOrEqual(LAMBDA_PAYLOAD_LIMIT);
  });

  it("kept every request and answer within Lambda's payload limits", () => {
    expect(deployment.functionUrl.traffic.requests).toBeGreaterThan(10);
    expect(deployment.invokeApi.traffic.requests).toBeGreaterThan(10);
    expect(deployment.functionUrl.traffic.largestRequest).toBeLessThanOrEqual(LAMBDA_PAYLOAD_LIMIT);
    expect(deployment.invokeApi.traffic.largestRequest).toBeLessThanOrEqual(LAMBDA_PAYLOAD_LIMIT);
    expect(deployment.functionUrl.traffic.largestResponse).toBeLessThanOrEqual(LAMBDA_PAYLOAD_LIMIT);
    expect(deployment.invokeApi.traffic.largestResponse).toBeLessThanOrEqual(LAMBDA_PAYLOAD_LIMIT);
  });
});
