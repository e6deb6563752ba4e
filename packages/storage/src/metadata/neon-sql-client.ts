import { Client, type ClientConfig, Pool, types } from "@neondatabase/serverless";
import WebSocket from "ws";
import type { SqlClient, SqlTransaction } from "./sql-client.js";

const INT8 = 20;
const BYTEA = 17;

export interface NeonSqlClientOptions {
  /** postgresql://user:password@host/database */
  connectionString: string;
  /**
   * host:port of a WebSocket-to-TCP proxy in front of an ordinary PostgreSQL
   * server, speaking Neon's protocol (`ws://host:port/v1?address=<db host>:<db
   * port>`) without TLS. Leave unset for Neon, whose own proxy the driver finds.
   */
  webSocketProxy?: string;
}

/**
 * The metadata database on PostgreSQL or Neon, through Neon's serverless
 * driver: node-postgres over a WebSocket, so it also runs where only
 * WebSockets leave the sandbox. Queries outside a transaction go to any pooled
 * connection; each transaction holds one connection of its own, so
 * statements of concurrent transactions never share a session.
 */
export class NeonSqlClient implements SqlClient {
  readonly #pool: Pool;

  constructor(options: NeonSqlClientOptions) {
    this.#pool = new Pool({
      connectionString: options.connectionString,
      // Per pool rather than through the driver's global `types`, which
      // would change every other user of the driver in the process.
      types: {
        getTypeParser: (oid: number, format?: "text" | "binary") => {
          if (oid === INT8) return (value: string) => BigInt(value);
          if (oid === BYTEA) return parseBytea;
          return types.getTypeParser(oid, format);
        },
      },
    });
    // The driver's Pool creates its connections with its `Client` class; a
    // subclass configures each connection's socket, leaving the driver's
    // global neonConfig alone.
    this.#pool.Client = configuredClient(options.webSocketProxy);
    // An idle connection that the server closes (Neon suspends idle computes)
    // is an "error" event on the pool; unhandled, it would end the process.
    // The pool has already discarded the connection; the next query opens one.
    this.#pool.on("error", () => {});
  }

  async query<Row extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]> {
    return (await this.#pool.query<Row>(sql, params)).rows;
  }

  async transaction<T>(work: (sql: SqlTransaction) => Promise<T>): Promise<T> {
    const connection = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await connection.query("BEGIN");
      const result = await work({
        query: async <Row extends Record<string, unknown>>(sql: string, params?: unknown[]) =>
          (await connection.query<Row>(sql, params)).rows,
      });
      const commit = await connection.query("COMMIT");
      // After a failed statement (whose error `work` caught), COMMIT rolls
      // back and says so only in its command tag.
      if (commit.command === "ROLLBACK") {
        throw new Error("the transaction was rolled back: a statement in it failed");
      }
      return result;
    } catch (error) {
      try {
        await connection.query("ROLLBACK");
      } catch (rollbackError) {
        // A connection that cannot even roll back must not go back to the pool.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw error;
    } finally {
      connection.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

function configuredClient(webSocketProxy: string | undefined): typeof Client {
  return class extends Client {
    constructor(config?: string | ClientConfig) {
      super(config);
      const socket = this.neonConfig;
      // Node 20 has no global WebSocket.
      socket.webSocketConstructor = WebSocket;
      if (webSocketProxy !== undefined) {
        socket.wsProxy = (host, port) => `${webSocketProxy}/v1?address=${host}:${port}`;
        socket.useSecureWebSocket = false;
        // Both pipelining shortcuts only work against Neon's own proxy: one
        // sends a cleartext password before being asked (PostgreSQL asks for
        // SCRAM), the other assumes Neon's TLS handling.
        socket.pipelineConnect = false;
        socket.pipelineTLS = false;
      }
    }
  };
}

/** `\x0a1b…` to bytes, as a plain Uint8Array (not a Buffer, whose slice() shares memory). */
function parseBytea(text: string): Uint8Array {
  const bytes = new Uint8Array((text.length - 2) / 2);
  Buffer.from(bytes.buffer).write(text.slice(2), "hex");
  return bytes;
}
