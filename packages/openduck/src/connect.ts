import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { defaultExtensionPath } from "@openduck/engine";

export interface ConnectOptions {
  /** The gateway, e.g. http://127.0.0.1:7878. Default: $OPENDUCK_ENDPOINT, else http://localhost:7878. */
  endpoint?: string;
  /** Bearer token. Default: $OPENDUCK_TOKEN. */
  token?: string;
  /** Read the database as of this snapshot (id or name); the attach is then read-only. */
  snapshot?: string;
  /** Attach read-only even at the head. */
  readOnly?: boolean;
  /** The name the remote database gets in DuckDB. Default: cloud. */
  alias?: string;
  /** The extension to load. Default: the one `npm run build:extension` builds in this repository. */
  extensionPath?: string;
}

/** Connections keep the in-memory instance they were opened on alive. */
const instances = new WeakMap<DuckDBConnection, DuckDBInstance>();

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
const identifier = (text: string) => `"${text.replaceAll('"', '""')}"`;

/**
 * A local DuckDB (`@duckdb/node-api`, in memory) with the OpenDuck extension
 * loaded and `database` attached: query `cloud.<table>`, join it with local
 * tables, travel back with `snapshot`.
 */
export async function connect(database: string, options: ConnectOptions = {}): Promise<DuckDBConnection> {
  const instance = await DuckDBInstance.create(":memory:", { allow_unsigned_extensions: "true" });
  const connection = await instance.connect();
  instances.set(connection, instance);
  try {
    await connection.run(`LOAD ${quote(options.extensionPath ?? defaultExtensionPath())}`);
    const parameters = new URLSearchParams();
    if (options.endpoint !== undefined) parameters.set("endpoint", options.endpoint);
    if (options.token !== undefined) parameters.set("token", options.token);
    if (options.snapshot !== undefined) parameters.set("snapshot", options.snapshot);
    const query = parameters.size > 0 ? `?${parameters}` : "";
    const mode = options.readOnly ? " (READ_ONLY)" : "";
    await connection.run(
      `ATTACH ${quote(`openduck:${database}${query}`)} AS ${identifier(options.alias ?? "cloud")}${mode}`,
    );
    return connection;
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    throw error;
  }
}
