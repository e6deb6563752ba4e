import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  type NeonWebSocketProxy,
  startNeonWebSocketProxy,
} from "../../../../test/support/neon-websocket-proxy.js";
import { type PostgresServer, startPostgres } from "../../../../test/support/postgres-server.js";
import { NeonSqlClient } from "./neon-sql-client.js";
import { PGliteSqlClient } from "./pglite-sql-client.js";
import type { SqlClient } from "./sql-client.js";

interface ClientUnderTest {
  name: string;
  open(): Promise<SqlClient>;
  /** Stops what `open` started, after the client is closed. */
  stop(): Promise<void>;
}

const pglite: ClientUnderTest = {
  name: "PGlite (in memory)",
  open: () => PGliteSqlClient.open(),
  stop: async () => {},
};

let postgres: PostgresServer | undefined;
let proxy: NeonWebSocketProxy | undefined;
const neon: ClientUnderTest = {
  name: "Neon driver (PostgreSQL through a WebSocket proxy)",
  open: async () => {
    postgres = await startPostgres();
    proxy = await startNeonWebSocketProxy();
    return new NeonSqlClient({ connectionString: postgres.url, webSocketProxy: proxy.host });
  },
  stop: async () => {
    await proxy?.stop();
    await postgres?.stop();
  },
};

describe.each([pglite, neon])("$name", (kind) => {
  let sql: SqlClient;

  beforeAll(async () => {
    sql = await kind.open();
  });
  afterAll(async () => {
    await sql?.close();
    await kind.stop();
  });
  beforeEach(async () => {
    await sql.query("DROP TABLE IF EXISTS items");
    await sql.query("CREATE TABLE items (id bigint PRIMARY KEY, data bytea, at timestamptz, label text)");
    await sql.query("DROP TABLE IF EXISTS counter");
    await sql.query("CREATE TABLE counter (id int PRIMARY KEY, value bigint NOT NULL)");
    await sql.query("INSERT INTO counter VALUES (1, 0)");
  });

  test("round-trips bigint, bytea, timestamptz and text", async () => {
    const id = 2n ** 62n + 3n;
    const data = new Uint8Array([0x00, 0xff, 0x00, 0x7f, 0x80, 0x0a]);
    const at = new Date("2024-02-29T12:34:56.789Z");
    await sql.query("INSERT INTO items VALUES ($1, $2, $3, $4)", [id, data, at, "naïve ☃"]);
    await sql.query("INSERT INTO items VALUES ($1, NULL, NULL, NULL)", [-(2n ** 63n)]);

    const rows = await sql.query<{
      id: bigint;
      data: Uint8Array | null;
      at: Date | null;
      label: string | null;
    }>("SELECT id, data, at, label FROM items ORDER BY id DESC");
    expect(rows).toEqual([
      { id, data, at, label: "naïve ☃" },
      { id: -(2n ** 63n), data: null, at: null, label: null },
    ]);
    expect(rows[0]?.data?.constructor).toBe(Uint8Array);
    expect(rows[0]?.at).toBeInstanceOf(Date);
  });

  test("returns every int8 as a bigint, small ones too", async () => {
    const [row] = await sql.query("SELECT 1::int8 AS one, count(*) AS rows, 7::int4 AS seven FROM items");
    expect(row).toEqual({ one: 1n, rows: 0n, seven: 7 });
  });

  test("binds bigint and Uint8Array parameters", async () => {
    await sql.query("INSERT INTO items (id, data) VALUES ($1, $2)", [
      9007199254740993n,
      new Uint8Array([1, 0, 255]),
    ]);
    const rows = await sql.query<{ id: bigint }>("SELECT id FROM items WHERE id = $1 AND data = $2", [
      9007199254740993n,
      new Uint8Array([1, 0, 255]),
    ]);
    expect(rows).toEqual([{ id: 9007199254740993n }]);
    expect(await sql.query("SELECT id FROM items WHERE id = $1", [9007199254740992n])).toEqual([]);
  });

  test("a transaction commits and returns what its work returned", async () => {
    const result = await sql.transaction(async (tx) => {
      await tx.query("INSERT INTO items (id) VALUES ($1)", [1n]);
      await tx.query("INSERT INTO items (id) VALUES ($1)", [2n]);
      return (await tx.query<{ n: bigint }>("SELECT count(*) AS n FROM items"))[0]?.n;
    });
    expect(result).toBe(2n);
    expect(await sql.query("SELECT id FROM items ORDER BY id")).toEqual([{ id: 1n }, { id: 2n }]);
  });

  test("a throw inside a transaction rolls it back and is rethrown", async () => {
    const failure = new Error("changed my mind");
    await expect(
      sql.transaction(async (tx) => {
        await tx.query("INSERT INTO items (id) VALUES (1)");
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await sql.query("SELECT id FROM items")).toEqual([]);
  });

  test("a failed statement whose error the work swallowed still rolls the transaction back", async () => {
    await expect(
      sql.transaction(async (tx) => {
        await tx.query("INSERT INTO items (id) VALUES (1)");
        await tx.query("INSERT INTO items (id) VALUES (1)").catch(() => {});
      }),
    ).rejects.toThrow();
    expect(await sql.query("SELECT id FROM items")).toEqual([]);
  });

  test("SELECT … FOR UPDATE inside a transaction", async () => {
    await sql.transaction(async (tx) => {
      const [row] = await tx.query<{ value: bigint }>("SELECT value FROM counter WHERE id = 1 FOR UPDATE");
      await tx.query("UPDATE counter SET value = $1 WHERE id = 1", [(row?.value ?? 0n) + 5n]);
    });
    expect(await sql.query("SELECT value FROM counter")).toEqual([{ value: 5n }]);
  });

  test("concurrent transactions serialize on a row lock", async () => {
    const increment = async () => {
      for (let i = 0; i < 50; i++) {
        await sql.transaction(async (tx) => {
          const [row] = await tx.query<{ value: bigint }>(
            "SELECT value FROM counter WHERE id = 1 FOR UPDATE",
          );
          // Yield between the read and the write, so an unlocked read would lose updates.
          await new Promise((resolve) => setImmediate(resolve));
          await tx.query("UPDATE counter SET value = $1 WHERE id = 1", [(row?.value ?? 0n) + 1n]);
        });
      }
    };
    // Two connections open up front (where there is a pool): opening one
    // takes longer than 50 transactions on the other, which would then never
    // overlap.
    await Promise.all([sql.query("SELECT pg_sleep(0.05)"), sql.query("SELECT pg_sleep(0.05)")]);
    await Promise.all([increment(), increment()]);
    expect(await sql.query("SELECT value FROM counter")).toEqual([{ value: 100n }]);
  });

  test("a query issued during a transaction does not run inside it", async () => {
    let insideTransaction!: () => void;
    const inserted = new Promise<void>((resolve) => {
      insideTransaction = resolve;
    });
    const transaction = sql.transaction(async (tx) => {
      await tx.query("INSERT INTO items (id) VALUES (1)");
      insideTransaction();
      await new Promise((resolve) => setTimeout(resolve, 50));
      throw new Error("roll back");
    });
    await inserted;
    const [seen] = await sql.query("SELECT count(*) AS n FROM items");
    await expect(transaction).rejects.toThrow("roll back");
    expect(seen).toEqual({ n: 0n });
  });

  test("errors carry PostgreSQL's message", async () => {
    await expect(sql.query("SELECT * FROM no_such_table")).rejects.toThrow(
      'relation "no_such_table" does not exist',
    );
    await expect(sql.transaction((tx) => tx.query("INSERT INTO items (id) VALUES (NULL)"))).rejects.toThrow(
      'null value in column "id"',
    );
  });
});

describe("PGlite on a data directory", () => {
  test("keeps its data across a close and a reopen", async () => {
    const dir = await mkdtemp(join(tmpdir(), "openduck-pglite-"));
    try {
      const first = await PGliteSqlClient.open(join(dir, "metadata"));
      await first.query("CREATE TABLE kept (v bigint)");
      await first.query("INSERT INTO kept VALUES ($1)", [42n]);
      await first.close();
      const second = await PGliteSqlClient.open(join(dir, "metadata"));
      expect(await second.query("SELECT v FROM kept")).toEqual([{ v: 42n }]);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
