import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import type { SqlClient, SqlTransaction } from "./sql-client.js";

const INT8 = 20;
const BYTEA = 17;

/**
 * The metadata database embedded in the process: PGlite (PostgreSQL compiled
 * to WebAssembly) on a data directory, or in memory when none is given.
 *
 * PGlite has a single connection. Its `query` and `transaction` each hold one
 * mutex for their whole duration, so a query issued while a transaction runs
 * waits for it to finish instead of running inside it, and transactions run
 * one after another. A consequence: `work` must use the `sql` it is given;
 * calling this client's `query` from inside `work` would wait forever.
 */
export class PGliteSqlClient implements SqlClient {
  readonly #db: PGlite;

  private constructor(db: PGlite) {
    this.#db = db;
  }

  static async open(dataDir?: string): Promise<PGliteSqlClient> {
    if (dataDir !== undefined && !existsSync(join(dataDir, "PG_VERSION")))
      await initializeInChildProcess(dataDir);
    const db = await PGlite.create({
      ...(dataDir === undefined ? {} : { dataDir }),
      parsers: {
        // PGlite's default returns a number when the value fits; the
        // interface promises bigint for every int8.
        [INT8]: (value: string) => BigInt(value),
        [BYTEA]: parseBytea,
      },
      // PGlite's default builds the hex text one byte at a time, slow for
      // manifests of large databases.
      serializers: { [BYTEA]: serializeBytea },
    });
    return new PGliteSqlClient(db);
  }

  async query<Row extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]> {
    return (await this.#db.query<Row>(sql, params)).rows;
  }

  async transaction<T>(work: (sql: SqlTransaction) => Promise<T>): Promise<T> {
    return await this.#db.transaction(async (tx) =>
      work({
        query: async <Row extends Record<string, unknown>>(sql: string, params?: unknown[]) =>
          (await tx.query<Row>(sql, params)).rows,
      }),
    );
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}

/** `\x0a1b…` to bytes, as a plain Uint8Array (not a Buffer, whose slice() shares memory). */
function parseBytea(text: string): Uint8Array {
  const bytes = new Uint8Array((text.length - 2) / 2);
  Buffer.from(bytes.buffer).write(text.slice(2), "hex");
  return bytes;
}

function serializeBytea(value: Uint8Array): string {
  if (!(value instanceof Uint8Array)) throw new TypeError("a bytea parameter must be a Uint8Array");
  return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex")}`;
}

/**
 * Creating a PGlite database runs initdb, which leaves the WebAssembly
 * memory of the process at about 800 MB for good; opening an existing one
 * needs a third of that. So a new database is created by a short-lived
 * process, and this one only opens it.
 */
async function initializeInChildProcess(dataDir: string): Promise<void> {
  const module = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  const script = `const { PGlite } = require(${JSON.stringify(module)});
    PGlite.create({ dataDir: ${JSON.stringify(dataDir)} }).then((db) => db.close());`;
  await promisify(execFile)(process.execPath, ["-e", script]);
}
