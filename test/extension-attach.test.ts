import type { DuckDBConnection } from "@duckdb/node-api";
import { connect, OpenDuckClient } from "openduck";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOpenDuck, type ServedDatabase, serveTestDatabase } from "./support/openduck-process.js";

const token = "attach-node-token";
let server: ServedDatabase;
let client: OpenDuckClient;
const connections: DuckDBConnection[] = [];
const salesQuery =
  "SELECT i AS id, CASE WHEN i % 2 = 0 THEN 'EU' ELSE 'US' END AS region, i % 10 AS product_id, " +
  "(i * 1.5)::DECIMAL(18,2) AS amount FROM range(10000) t(i)";

async function open(options: Parameters<typeof connect>[1] = {}): Promise<DuckDBConnection> {
  const connection = await connect("mydb", { endpoint: server.url, token, ...options });
  connections.push(connection);
  return connection;
}

async function rows(connection: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await connection.runAndReadAll(sql)).getRows();
}

beforeAll(async () => {
  server = await serveTestDatabase(token);
  client = new OpenDuckClient({ endpoint: server.url, token });
  await client.execute("mydb", `CREATE TABLE sales AS ${salesQuery}`);
});

afterAll(async () => {
  for (const connection of connections) connection.closeSync();
  expect(await server.stop()).toBe(0);
});

describe("connect() from the openduck package (@duckdb/node-api with the extension)", () => {
  it("attaches the remote database as cloud and queries it", async () => {
    const connection = await open();
    expect(
      await rows(connection, "SELECT count(*), sum(amount) FROM cloud.sales WHERE region = 'EU'"),
    ).toEqual([[5000n, expect.anything()]]);
    const tables = await rows(
      connection,
      "SELECT database, name FROM (SHOW ALL TABLES) WHERE database = 'cloud'",
    );
    expect(tables).toContainEqual(["cloud", "sales"]);
  });

  it("joins local tables with remote ones, scanning the remote side with pushdown", async () => {
    const connection = await open();
    await connection.run(
      "CREATE TABLE local_products AS SELECT i AS id, 'cat' || (i % 3) AS category FROM range(10) t(i)",
    );
    // The same query on a local copy of the remote table is the expected answer.
    await connection.run(`CREATE TABLE local_sales AS ${salesQuery}`);
    const join = (sales: string) =>
      `SELECT p.category, count(*), sum(s.amount) FROM local_products p JOIN ${sales} s ON p.id = s.product_id ` +
      "WHERE s.region = 'US' GROUP BY ALL ORDER BY ALL";
    const joined = await rows(connection, join("cloud.sales"));
    expect(joined).toHaveLength(3);
    expect(joined).toEqual(await rows(connection, join("local_sales")));
    const plan = (
      await rows(
        connection,
        "EXPLAIN SELECT * FROM local_products p JOIN cloud.sales s ON p.id = s.product_id",
      )
    )
      .map((row) => String(row[1]))
      .join("\n");
    expect(plan).toContain("OPENDUCK_SCAN");
  });

  it("runs a statement on remote tables only remotely", async () => {
    const connection = await open();
    const plan = (
      await rows(connection, "EXPLAIN SELECT region, max(amount) FROM cloud.sales GROUP BY region")
    )
      .map((row) => String(row[1]))
      .join("\n");
    expect(plan).toContain("OPENDUCK_QUERY");
    expect(plan).not.toContain(token);
  });

  it("reads an older snapshot by name, read-only", async () => {
    await client.execute("mydb", "CREATE TABLE versions AS SELECT 1 AS v");
    const named = await runOpenDuck(["snapshot", "create", "mydb", "v1", "--data", server.dataDirectory]);
    expect(named.code, named.stderr).toBe(0);
    await client.execute("mydb", "UPDATE versions SET v = 2");
    const past = await open({ snapshot: "v1", alias: "past" });
    expect(await rows(past, "SELECT v FROM past.versions")).toEqual([[1]]);
    await expect(past.run("INSERT INTO past.versions VALUES (3)")).rejects.toThrow(/read-only|read only/);
    const now = await open();
    expect(await rows(now, "SELECT v FROM cloud.versions")).toEqual([[2]]);
  });

  it("fails ATTACH clearly for a bad token, without echoing it", async () => {
    const error = await connect("mydb", { endpoint: server.url, token: "not-the-token" }).catch(
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(String(error)).toMatch(/token was refused/);
    expect(String(error)).not.toContain("not-the-token");
  });
});
