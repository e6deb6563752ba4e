import { Code, ConnectError } from "@connectrpc/connect";
import { OpenDuckClient } from "openduck";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OpenDuckProcess, serveTestDatabase } from "./support/openduck-process.js";

const token = "client-test-token";
let server: OpenDuckProcess;

beforeAll(async () => {
  server = await serveTestDatabase(token, { args: ["--memory-limit", "256MB"] });
});

afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

describe.each(["connect", "grpc-web"] as const)("OpenDuckClient over %s", (protocol) => {
  const client = () => new OpenDuckClient({ endpoint: server.url, token, protocol });

  it("streams 10,000,000 rows with bounded server memory", async () => {
    let rows = 0;
    let sum = 0n;
    let batches = 0;
    let statisticsRows = -1n;
    const sql = "SELECT i, (i * 0.5)::DOUBLE AS half, 'row-' || i AS label FROM range(10000000) t(i)";
    await server.resetPeakRss();
    for await (const batch of client().query("mydb", sql, {
      onStatistics: (statistics) => {
        statisticsRows = statistics.rows;
      },
    })) {
      batches++;
      rows += batch.numRows;
      const ids = batch.getChild("i")?.data[0]?.values as BigInt64Array;
      for (const id of ids) sum += id;
      if (batches === 1) {
        expect(batch.getChild("label")?.get(0)).toBe(`row-${ids[0]}`);
        expect(batch.getChild("half")?.get(1)).toBe(Number(ids[1]) * 0.5);
      }
    }
    expect(rows).toBe(10_000_000);
    expect(sum).toBe((9_999_999n * 10_000_000n) / 2n);
    expect(statisticsRows).toBe(10_000_000n);
    expect(batches).toBeGreaterThan(10);
    expect(await server.peakRss()).toBeLessThan(512 * 1024 * 1024);
  });

  it("answers a small query in one round trip", async () => {
    const response = await client().execute("mydb", "SELECT 42 AS answer, 'duck' AS word");
    expect(response.complete).toBe(true);
    expect(response.handle.byteLength).toBe(0);
    const table = await client().table("mydb", "SELECT 42 AS answer, 'duck' AS word");
    expect(table.toArray().map((row) => row.toJSON())).toEqual([{ answer: 42, word: "duck" }]);
  });

  it("hands out a handle for a large result and streams it", async () => {
    const response = await client().execute("mydb", "SELECT * FROM range(1000000)");
    expect(response.complete).toBe(false);
    expect(response.handle.byteLength).toBeGreaterThan(0);
    expect(response.columns).toEqual([expect.objectContaining({ name: "range", type: "BIGINT" })]);
    const table = await client().table("mydb", "SELECT * FROM range(1000000)");
    expect(table.numRows).toBe(1_000_000);
  });

  it("returns an empty result with its schema", async () => {
    const table = await client().table("mydb", "SELECT 1 AS x WHERE false");
    expect(table.numRows).toBe(0);
    expect(table.schema.fields.map((field) => field.name)).toEqual(["x"]);
  });

  it("throws ConnectErrors carrying DuckDB's message", async () => {
    const error = await client()
      .table("mydb", "SELECT * FROM missing_table")
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).rawMessage).toMatch(
      /^Catalog Error: Table with name missing_table does not exist/,
    );
    const unauthenticated = await new OpenDuckClient({ endpoint: server.url, token: "nope", protocol })
      .table("mydb", "SELECT 1")
      .catch((caught: unknown) => caught);
    expect((unauthenticated as ConnectError).code).toBe(Code.Unauthenticated);
  });

  it("reports an error raised after rows went out with DuckDB's message, inline or streamed", async () => {
    for (const rows of [10_000, 3_000_000]) {
      const error = await client()
        .table(
          "mydb",
          `SELECT CASE WHEN i = ${rows - 5} THEN error('boom at ' || i) END FROM range(${rows}) t(i)`,
        )
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConnectError);
      expect((error as ConnectError).code).toBe(Code.InvalidArgument);
      expect((error as ConnectError).rawMessage).toBe(`Invalid Input Error: boom at ${rows - 5}`);
    }
  });
});

describe("writes and snapshots", () => {
  const client = () => new OpenDuckClient({ endpoint: server.url, token });

  it("commits each write as a new snapshot and reads old ones", async () => {
    const created = await client().execute(
      "mydb",
      "CREATE TABLE events (id INTEGER PRIMARY KEY, note VARCHAR)",
    );
    expect(created.statementType).toBe("CREATE");
    const inserted = await client().execute("mydb", "INSERT INTO events VALUES (1, 'a'), (2, 'b')");
    expect(inserted.statementType).toBe("INSERT");
    expect(inserted.rowsAffected).toBe(2n);
    expect(Number(inserted.snapshotId)).toBe(Number(created.snapshotId) + 1);
    const returning = await client().execute(
      "mydb",
      "INSERT INTO events VALUES (3, 'c') RETURNING id * 10 AS tens",
    );
    expect(returning.complete).toBe(true);

    const now = await client().table("mydb", "SELECT count(*) AS n FROM events");
    expect(now.getChild("n")?.get(0)).toBe(3n);
    const before = await client().table("mydb", "SELECT count(*) AS n FROM events", {
      snapshot: inserted.snapshotId,
    });
    expect(before.getChild("n")?.get(0)).toBe(2n);
    const beforeTable = await client()
      .table("mydb", "SELECT * FROM events", {
        snapshot: created.snapshotId.replace(/\d+$/, (n) => String(Number(n) - 1)),
      })
      .catch((caught: unknown) => caught);
    expect((beforeTable as ConnectError).rawMessage).toMatch(/Table with name events does not exist/);

    const refused = await client()
      .execute("mydb", "INSERT INTO events VALUES (9, 'z')", { snapshot: inserted.snapshotId })
      .catch((caught: unknown) => caught);
    expect((refused as ConnectError).code).toBe(Code.FailedPrecondition);

    const conflict = await client()
      .execute("mydb", "INSERT INTO events VALUES (1, 'dup')")
      .catch((caught: unknown) => caught);
    expect((conflict as ConnectError).rawMessage).toMatch(/^Constraint Error: Duplicate key "id: 1"/);
    const after = await client().table("mydb", "SELECT count(*) AS n FROM events");
    expect(after.getChild("n")?.get(0)).toBe(3n);
  });

  it("reports an unknown snapshot as not_found", async () => {
    const error = await client()
      .table("mydb", "SELECT 1", { snapshot: "999999" })
      .catch((caught: unknown) => caught);
    expect((error as ConnectError).code).toBe(Code.NotFound);
  });
});
