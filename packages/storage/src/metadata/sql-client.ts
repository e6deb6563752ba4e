/**
 * The metadata database: PGlite embedded in the data directory, or
 * PostgreSQL/Neon through @neondatabase/serverless. Both run the same SQL
 * (PostgreSQL dialect, `$1` placeholders). int8 values arrive as bigint.
 */
export interface SqlClient {
  query<Row extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /**
   * Runs `work` in one transaction (BEGIN … COMMIT), rolling back if it
   * throws. Statements of concurrent transactions never interleave on one
   * connection.
   */
  transaction<T>(work: (sql: SqlTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface SqlTransaction {
  query<Row extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
}
