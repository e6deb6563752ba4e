import type { SqlClient } from "./sql-client.js";

/**
 * The metadata schema, as numbered steps (FORMAT.md §4). A step is never
 * edited once released: changes come as new steps. Every process applies the
 * missing ones at start; an advisory lock keeps concurrent starts from
 * applying a step twice.
 */
const migrations: { version: number; statements: string[] }[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE databases (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        dropped_at timestamptz,
        head_snapshot_id bigint,
        lease_epoch bigint NOT NULL DEFAULT 0,
        lease_owner text,
        lease_expires_at timestamptz
      )`,
      "CREATE UNIQUE INDEX databases_live_name ON databases (name) WHERE dropped_at IS NULL",
      `CREATE TABLE snapshots (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        database_id bigint NOT NULL REFERENCES databases (id),
        parent_id bigint,
        created_at timestamptz NOT NULL DEFAULT now(),
        length bigint NOT NULL,
        chain_depth integer NOT NULL,
        manifest bytea NOT NULL,
        epoch bigint NOT NULL,
        pruned_at timestamptz
      )`,
      "CREATE INDEX snapshots_database ON snapshots (database_id, id)",
      "CREATE INDEX snapshots_parent ON snapshots (parent_id)",
      `CREATE TABLE snapshot_names (
        database_id bigint NOT NULL REFERENCES databases (id),
        name text NOT NULL,
        snapshot_id bigint NOT NULL REFERENCES snapshots (id),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (database_id, name)
      )`,
      `CREATE TABLE layers (
        key text PRIMARY KEY,
        size bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        unreferenced_since timestamptz
      )`,
      `CREATE TABLE snapshot_layers (
        snapshot_id bigint NOT NULL REFERENCES snapshots (id),
        layer_key text NOT NULL REFERENCES layers (key),
        PRIMARY KEY (snapshot_id, layer_key)
      )`,
      "CREATE INDEX snapshot_layers_layer ON snapshot_layers (layer_key)",
    ],
  },
  {
    version: 2,
    statements: [
      // A transaction's unpublished writes (FORMAT.md §5.1): never a head, invisible to clients.
      "ALTER TABLE snapshots ADD COLUMN private boolean NOT NULL DEFAULT false",
    ],
  },
];

/** Any constant shared by every OpenDuck process: the advisory lock taken while migrating. */
const MIGRATION_LOCK = 7_265_436_842;

export const schemaVersion = migrations.at(-1)?.version ?? 0;

/** The newest migration applied, or undefined when none is (or the table is missing). */
async function appliedVersion(sql: SqlClient): Promise<number | undefined> {
  try {
    const [row] = await sql.query<{ version: number | null }>(
      "SELECT max(version) AS version FROM openduck_migrations",
    );
    return row?.version === null || row?.version === undefined ? undefined : Number(row.version);
  } catch {
    return undefined;
  }
}

/**
 * Brings the schema up to date. A process that starts against an up-to-date
 * schema (every start but the first after an upgrade) spends one query on it:
 * what a serverless worker does on each cold start.
 */
export async function migrate(sql: SqlClient): Promise<void> {
  const applied = await appliedVersion(sql);
  if (applied === schemaVersion) return;
  if (applied !== undefined && applied > schemaVersion) throw newerSchema(applied);
  await sql.query(
    "CREATE TABLE IF NOT EXISTS openduck_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
  );
  for (const migration of migrations) {
    await sql.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      const applied = await tx.query("SELECT 1 FROM openduck_migrations WHERE version = $1", [
        migration.version,
      ]);
      if (applied.length > 0) return;
      for (const statement of migration.statements) await tx.query(statement);
      await tx.query("INSERT INTO openduck_migrations (version) VALUES ($1)", [migration.version]);
    });
  }
  const newest = await appliedVersion(sql);
  if (newest !== undefined && newest > schemaVersion) throw newerSchema(newest);
}

function newerSchema(version: number): Error {
  return new Error(
    `the metadata database has schema version ${version}, newer than this OpenDuck (${schemaVersion}): upgrade OpenDuck`,
  );
}
