import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { migrate, schemaVersion } from "./migrations.js";
import { PGliteSqlClient } from "./pglite-sql-client.js";
import type { SqlClient, SqlTransaction } from "./sql-client.js";

let directory: string;
let sql: PGliteSqlClient;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "openduck-migrations-"));
  sql = await PGliteSqlClient.open(directory);
});

afterEach(async () => {
  await sql.close();
  await rm(directory, { recursive: true, force: true });
});

/** A statement sent outside or inside a transaction. */
function counted(sent: { statements: number }, inner: SqlTransaction): SqlTransaction {
  return {
    query<Row extends Record<string, unknown>>(text: string, params?: unknown[]): Promise<Row[]> {
      sent.statements++;
      return inner.query<Row>(text, params);
    },
  };
}

/** `inner`, counting every statement sent through it. */
function counting(inner: SqlClient): SqlClient & { statements: number } {
  const client = {
    statements: 0,
    query: <Row extends Record<string, unknown>>(text: string, params?: unknown[]) =>
      counted(client, inner).query<Row>(text, params),
    transaction: <T>(work: (sql: SqlTransaction) => Promise<T>) =>
      inner.transaction((tx) => work(counted(client, tx))),
    close: () => inner.close(),
  };
  return client;
}

it("creates the schema on a new database, then checks it with one query per start", async () => {
  const first = counting(sql);
  await migrate(first);
  const [row] = await sql.query<{ version: number }>(
    "SELECT max(version) AS version FROM openduck_migrations",
  );
  expect(Number(row?.version)).toBe(schemaVersion);
  expect(first.statements).toBeGreaterThan(3);
  const again = counting(sql);
  await migrate(again);
  expect(again.statements).toBe(1);
});

it("refuses a schema newer than this OpenDuck", async () => {
  await migrate(sql);
  await sql.query("INSERT INTO openduck_migrations (version) VALUES ($1)", [schemaVersion + 1]);
  await expect(migrate(sql)).rejects.toThrow(`schema version ${schemaVersion + 1}, newer than this OpenDuck`);
});
