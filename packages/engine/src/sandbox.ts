import { DuckDBInstance } from "@duckdb/node-api";

export interface SandboxLimits {
  /** DuckDB memory_limit per open database, e.g. "1GB". */
  memoryLimit: string;
  threads: number;
  /** Where DuckDB may spill; the only directory remote SQL can make it write to. */
  tempDirectory: string;
  maxTempDirectorySize: string;
}

/**
 * Opens a DuckDB database for remote SQL: our extension is loaded while
 * that is still allowed, then host files, the network, extension loading and
 * every setting are shut off for good (`lock_configuration`). Statement kinds
 * DuckDB would still allow (ATTACH of in-memory databases, DETACH, LOAD of a
 * built-in extension) are refused by the extension before they run.
 */
export async function openSandboxedDatabase(
  path: string,
  options: { readOnly: boolean; extensionPath: string; limits: SandboxLimits },
): Promise<DuckDBInstance> {
  const { limits } = options;
  const instance = await DuckDBInstance.create(path, {
    access_mode: options.readOnly ? "READ_ONLY" : "READ_WRITE",
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
    await setup.run(`LOAD '${options.extensionPath.replaceAll("'", "''")}'`);
    await setup.run("SET enable_external_access = false");
    await setup.run("SET lock_configuration = true");
  } catch (error) {
    instance.closeSync();
    throw error;
  } finally {
    setup.closeSync();
  }
  return instance;
}
