import { existsSync } from "node:fs";
import { Code, type ConnectError } from "@connectrpc/connect";
import { OpenDuckClient } from "openduck";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OpenDuckProcess, serveTestDatabase } from "./support/openduck-process.js";

const token = "sandbox-test-token";
let server: OpenDuckProcess;
let client: OpenDuckClient;

beforeAll(async () => {
  server = await serveTestDatabase(token);
  client = new OpenDuckClient({ endpoint: server.url, token });
});

afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

const outside = `/tmp/openduck-sandbox-${process.pid}`;
const refused: [string, RegExp][] = [
  ["SELECT * FROM read_csv('/etc/passwd')", /file system operations are disabled/],
  ["SELECT * FROM glob('/etc/*')", /file system operations are disabled/],
  [`COPY (SELECT 1) TO '${outside}.csv'`, /file system operations are disabled/],
  [`EXPORT DATABASE '${outside}'`, /file system operations are disabled/],
  ["ATTACH ':memory:' AS other", /ATTACH is not allowed/],
  [`ATTACH '${outside}.duckdb' AS other`, /ATTACH is not allowed/],
  ["DETACH mydb", /DETACH is not allowed/],
  ["INSTALL httpfs", /INSTALL and LOAD are not allowed/],
  ["LOAD json", /INSTALL and LOAD are not allowed/],
  [`LOAD '${outside}.so'`, /INSTALL and LOAD are not allowed/],
  ["SET enable_external_access = true", /the configuration has been locked/],
  ["SET memory_limit = '100GB'", /the configuration has been locked/],
  ["SET lock_configuration = false", /the configuration has been locked/],
  ["SELECT 1; ATTACH ':memory:' AS other", /ATTACH is not allowed/],
];

describe("remote SQL is sandboxed", () => {
  it.each(refused)("refuses %s", async (sql, message) => {
    const error = (await client.execute("mydb", sql).catch((caught: unknown) => caught)) as ConnectError;
    expect([Code.PermissionDenied, Code.InvalidArgument]).toContain(error.code);
    expect(error.rawMessage).toMatch(message);
    const still = await client.table("mydb", "SELECT 42 AS answer");
    expect(still.getChild("answer")?.get(0)).toBe(42);
  });

  it("leaves nothing outside its data directory", () => {
    expect(existsSync(`${outside}.csv`)).toBe(false);
    expect(existsSync(outside)).toBe(false);
    expect(existsSync(`${outside}.duckdb`)).toBe(false);
  });

  it("applies the session settings a client forwards, and only TimeZone and Calendar", async () => {
    const sql =
      "SELECT (TIMESTAMPTZ '2024-01-01 03:00:00+00')::DATE::VARCHAR AS day, date_part('era', TIMESTAMPTZ '2024-01-01 03:00:00+00') AS era";
    const plain = await client.table("mydb", sql);
    expect([plain.getChild("day")?.get(0), Number(plain.getChild("era")?.get(0))]).toEqual(["2024-01-01", 1]);
    const forwarded = await client.table("mydb", sql, {
      settings: { timezone: "America/New_York", Calendar: "japanese" },
    });
    // 22:00 on New Year's Eve in New York; the Reiwa era (236) of the Japanese calendar, whose year 5 it is.
    expect(forwarded.getChild("day")?.get(0)).toBe("0005-12-31");
    expect(Number(forwarded.getChild("era")?.get(0))).toBe(236);
    for (const [settings, message] of [
      [{ memory_limit: "100GB" }, /session setting "memory_limit" cannot be forwarded/],
      [{ TimeZone: "Mars/Olympus_Mons" }, /session setting TimeZone: Unknown TimeZone 'Mars\/Olympus_Mons'/],
    ] as const) {
      const error = (await client
        .execute("mydb", "SELECT 1", { settings })
        .catch((e: unknown) => e)) as ConnectError;
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(message);
    }
    // The setting lasted one query; SQL still cannot change it.
    const after = await client.table("mydb", sql);
    expect(after.getChild("day")?.get(0)).toBe("2024-01-01");
    const set = (await client
      .execute("mydb", "SET TimeZone = 'Asia/Tokyo'")
      .catch((e: unknown) => e)) as ConnectError;
    expect(set.rawMessage).toMatch(/the configuration has been locked/);
  });

  it("still allows what a query needs: temp tables and variables", async () => {
    const table = await client.table(
      "mydb",
      "CREATE TEMP TABLE scratch AS SELECT 1 AS x; SET VARIABLE v = 41; SELECT x + getvariable('v') AS answer FROM scratch",
    );
    expect(table.getChild("answer")?.get(0)).toBe(42);
  });
});
