import { DuckDBInstance } from "@duckdb/node-api";

export interface SandboxLimits {
  /** DuckDB memory_limit per open database, e.g. "1GB". */
  memoryLimit: string;
  threads: number;
  /** Where DuckDB may spill; the only directory remote SQL can make it write to. */
  tempDirectory: string;
  maxTempDirectorySize: string;
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * DuckDB instances for remote SQL, each started and given our extension
 * ahead of time, so that opening a snapshot costs only its ATTACH: one spare
 * instance waits for the next open.
 */
export class Sandboxes {
  readonly #extensionPath: string;
  readonly #limits: SandboxLimits;
  #spare: Promise<DuckDBInstance> | undefined;

  constructor(extensionPath: string, limits: SandboxLimits) {
    this.#extensionPath = extensionPath;
    this.#limits = limits;
  }

  /**
   * Opens a database for remote SQL: the snapshot is attached (through the
   * extension's `odpages:` file system) while that is still allowed, then
   * host files, the network, extension loading and every setting are shut
   * off for good (`lock_configuration`). Statement kinds DuckDB would still
   * allow (ATTACH of in-memory databases, DETACH, LOAD of a built-in
   * extension) are refused by the extension before they run. Connections
   * must `USE` the database (see `useDatabase`).
   */
  async open(attachPath: string, options: { database: string; readOnly: boolean }): Promise<DuckDBInstance> {
    const instance = await (this.#spare ?? this.#start());
    this.#spare = this.#start();
    this.#spare.catch(() => undefined);
    const setup = await instance.connect();
    try {
      await setup.run(
        `ATTACH ${literal(attachPath)} AS ${quote(options.database)}${options.readOnly ? " (READ_ONLY)" : ""}`,
      );
      await setup.run("SET enable_external_access = false");
      await setup.run("SET lock_configuration = true");
    } catch (error) {
      setup.closeSync();
      instance.closeSync();
      throw error;
    } finally {
      setup.closeSync();
    }
    return instance;
  }

  /** Starts the spare instance now (DuckDB and the extension loaded), so the first open costs only its ATTACH. */
  async prepare(): Promise<void> {
    this.#spare ??= this.#start();
    await this.#spare;
  }

  async close(): Promise<void> {
    const spare = await this.#spare?.catch(() => undefined);
    this.#spare = undefined;
    spare?.closeSync();
  }

  async #start(): Promise<DuckDBInstance> {
    const limits = this.#limits;
    const instance = await DuckDBInstance.create(":memory:", {
      allow_unsigned_extensions: "true",
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
      allow_community_extensions: "false",
      allow_persistent_secrets: "false",
      memory_limit: limits.memoryLimit,
      threads: String(limits.threads),
      temp_directory: limits.tempDirectory,
      max_temp_directory_size: limits.maxTempDirectorySize,
    });
    const setup = await instance.connect();
    try {
      await setup.run(`LOAD ${literal(this.#extensionPath)}`);
    } catch (error) {
      instance.closeSync();
      throw error;
    } finally {
      setup.closeSync();
    }
    return instance;
  }
}

/** The statement that makes a connection's unqualified names resolve in the attached database. */
export function useDatabase(database: string): string {
  return `USE ${quote(database)}`;
}

/** Checkpoints and detaches a written database, so every page DuckDB changed is on record before the commit. */
export async function finishWrite(instance: DuckDBInstance, database: string): Promise<void> {
  const connection = await instance.connect();
  try {
    await connection.run(`CHECKPOINT ${quote(database)}`);
    await connection.run(`DETACH ${quote(database)}`);
  } finally {
    connection.closeSync();
  }
}
