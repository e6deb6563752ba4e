import { StorageError } from "../errors.js";
import type { SqlClient, SqlTransaction } from "./sql-client.js";

/** A database row, live or dropped. */
export interface DatabaseRow {
  id: bigint;
  name: string;
  createdAt: Date;
  droppedAt: Date | null;
  headSnapshotId: bigint;
}

/** A snapshot row without its manifest. */
export interface SnapshotRow {
  id: bigint;
  databaseId: bigint;
  parentId: bigint | null;
  createdAt: Date;
  length: number;
  chainDepth: number;
  /** A transaction's unpublished write (FORMAT.md §5.1). */
  private: boolean;
}

export interface NewSnapshot {
  databaseId: bigint;
  parentId: bigint | null;
  length: number;
  chainDepth: number;
  manifest: Uint8Array;
  epoch: bigint;
  /** Layers this snapshot introduces, with their sizes. */
  newLayers: { key: string; size: number }[];
  /** Every layer the snapshot's resolved manifest reads (FORMAT.md §4, snapshot_layers). */
  layerKeys: string[];
}

export interface Lease {
  databaseId: bigint;
  epoch: bigint;
  owner: string;
  headSnapshotId: bigint;
}

type Row = Record<string, unknown>;

function databaseRow(row: Row): DatabaseRow {
  return {
    id: BigInt(row.id as bigint),
    name: row.name as string,
    createdAt: row.created_at as Date,
    droppedAt: (row.dropped_at as Date | null) ?? null,
    headSnapshotId: BigInt(row.head_snapshot_id as bigint),
  };
}

function snapshotRow(row: Row): SnapshotRow {
  return {
    id: BigInt(row.id as bigint),
    databaseId: BigInt(row.database_id as bigint),
    parentId: row.parent_id === null ? null : BigInt(row.parent_id as bigint),
    createdAt: row.created_at as Date,
    length: Number(row.length),
    chainDepth: Number(row.chain_depth),
    private: row.private === true,
  };
}

const snapshotColumns = "id, database_id, parent_id, created_at, length, chain_depth, private";
const databaseColumns = "id, name, created_at, dropped_at, head_snapshot_id";

/**
 * The SQL of the metadata (FORMAT.md §4–§7), one function per question or
 * change, so the protocol reads in one place.
 */
export class Catalog {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async liveDatabase(name: string): Promise<DatabaseRow> {
    const [row] = await this.#sql.query(
      `SELECT ${databaseColumns} FROM databases WHERE name = $1 AND dropped_at IS NULL`,
      [name],
    );
    if (row === undefined) throw new StorageError("not_found", `database "${name}" does not exist`);
    return databaseRow(row);
  }

  /** A live database and its head snapshot, in one round trip: every query asks this. */
  async head(name: string): Promise<[DatabaseRow, SnapshotRow]> {
    const [row] = await this.#sql.query(
      `SELECT d.id, d.name, d.created_at, d.dropped_at, d.head_snapshot_id,
              s.database_id, s.parent_id, s.created_at AS snapshot_created_at, s.length, s.chain_depth, s.private
       FROM databases d JOIN snapshots s ON s.id = d.head_snapshot_id
       WHERE d.name = $1 AND d.dropped_at IS NULL`,
      [name],
    );
    if (row === undefined) throw new StorageError("not_found", `database "${name}" does not exist`);
    return [
      databaseRow(row),
      snapshotRow({ ...row, id: row.head_snapshot_id, created_at: row.snapshot_created_at }),
    ];
  }

  async liveDatabases(): Promise<DatabaseRow[]> {
    const rows = await this.#sql.query(
      `SELECT ${databaseColumns} FROM databases WHERE dropped_at IS NULL ORDER BY name`,
    );
    return rows.map(databaseRow);
  }

  /** Inserts a database with its first snapshot, in one transaction. */
  async createDatabase(
    name: string,
    first: Omit<NewSnapshot, "databaseId">,
  ): Promise<[DatabaseRow, SnapshotRow]> {
    return this.#sql.transaction(async (tx) => {
      const [existing] = await tx.query("SELECT 1 FROM databases WHERE name = $1 AND dropped_at IS NULL", [
        name,
      ]);
      if (existing !== undefined)
        throw new StorageError("already_exists", `database "${name}" already exists`);
      const [inserted] = await tx.query("INSERT INTO databases (name) VALUES ($1) RETURNING id", [name]);
      const databaseId = BigInt((inserted as Row).id as bigint);
      const snapshot = await insertSnapshot(tx, { ...first, databaseId }, false);
      const [database] = await tx.query(
        `UPDATE databases SET head_snapshot_id = $2 WHERE id = $1 RETURNING ${databaseColumns}`,
        [databaseId, snapshot.id],
      );
      return [databaseRow(database as Row), snapshot];
    });
  }

  async dropDatabase(name: string): Promise<void> {
    const rows = await this.#sql.query(
      "UPDATE databases SET dropped_at = now() WHERE name = $1 AND dropped_at IS NULL RETURNING id",
      [name],
    );
    if (rows.length === 0) throw new StorageError("not_found", `database "${name}" does not exist`);
  }

  /** Restores the most recently dropped database of that name. */
  async undropDatabase(name: string): Promise<DatabaseRow> {
    return this.#sql.transaction(async (tx) => {
      const [live] = await tx.query("SELECT 1 FROM databases WHERE name = $1 AND dropped_at IS NULL", [name]);
      if (live !== undefined) {
        throw new StorageError(
          "already_exists",
          `database "${name}" exists; only a dropped database can be undropped`,
        );
      }
      const [dropped] = await tx.query(
        "SELECT id FROM databases WHERE name = $1 AND dropped_at IS NOT NULL ORDER BY dropped_at DESC LIMIT 1 FOR UPDATE",
        [name],
      );
      if (dropped === undefined) {
        throw new StorageError(
          "not_found",
          `no dropped database "${name}" is kept (dropped too long ago, or never existed)`,
        );
      }
      const [row] = await tx.query(
        `UPDATE databases SET dropped_at = NULL WHERE id = $1 RETURNING ${databaseColumns}`,
        [(dropped as Row).id],
      );
      return databaseRow(row as Row);
    });
  }

  /** A database `target` whose first snapshot has the contents of `source`; no layer is touched. */
  async cloneDatabase(
    target: string,
    source: SnapshotRow,
    manifest: Uint8Array,
  ): Promise<[DatabaseRow, SnapshotRow]> {
    return this.#sql.transaction(async (tx) => {
      const [existing] = await tx.query("SELECT 1 FROM databases WHERE name = $1 AND dropped_at IS NULL", [
        target,
      ]);
      if (existing !== undefined)
        throw new StorageError("already_exists", `database "${target}" already exists`);
      const [inserted] = await tx.query("INSERT INTO databases (name) VALUES ($1) RETURNING id", [target]);
      const databaseId = BigInt((inserted as Row).id as bigint);
      const [snapshot] = await tx.query(
        `INSERT INTO snapshots (database_id, parent_id, length, chain_depth, manifest, epoch)
         VALUES ($1, $2, $3, $4, $5, 0) RETURNING ${snapshotColumns}`,
        [databaseId, source.id, source.length, source.chainDepth + 1, manifest],
      );
      const clone = snapshotRow(snapshot as Row);
      await tx.query(
        "INSERT INTO snapshot_layers (snapshot_id, layer_key) SELECT $1, layer_key FROM snapshot_layers WHERE snapshot_id = $2",
        [clone.id, source.id],
      );
      const [database] = await tx.query(
        `UPDATE databases SET head_snapshot_id = $2 WHERE id = $1 RETURNING ${databaseColumns}`,
        [databaseId, clone.id],
      );
      return [databaseRow(database as Row), clone];
    });
  }

  /**
   * The snapshot a client names: the head, an id (digits) or a name, of a
   * live database. A snapshot garbage collection stopped retaining stays
   * readable for `pinGraceMs`, for readers that pinned it before.
   */
  async resolveSnapshot(
    database: DatabaseRow,
    snapshot: string | undefined,
    pinGraceMs = 0,
  ): Promise<SnapshotRow> {
    let rows: Row[];
    if (snapshot === undefined || snapshot === "") {
      rows = await this.#sql.query(`SELECT ${snapshotColumns} FROM snapshots WHERE id = $1`, [
        database.headSnapshotId,
      ]);
    } else if (/^[0-9]{1,18}$/.test(snapshot)) {
      // A database's history starts at its creation or, for a clone, at the clone; transactions' private
      // snapshots are not part of it.
      rows = await this.#sql.query(
        `SELECT ${snapshotColumns} FROM snapshots WHERE id = $2 AND database_id = $1 AND NOT private`,
        [database.id, BigInt(snapshot)],
      );
    } else {
      rows = await this.#sql.query(
        `SELECT ${snapshotColumns.replaceAll(/(\w+)/g, "s.$1")} FROM snapshot_names n JOIN snapshots s ON s.id = n.snapshot_id
         WHERE n.database_id = $1 AND n.name = $2`,
        [database.id, snapshot],
      );
    }
    const [row] = rows;
    if (row === undefined) {
      throw new StorageError("not_found", `database "${database.name}" has no snapshot "${snapshot}"`);
    }
    return this.#readable(database, snapshotRow(row), pinGraceMs);
  }

  /**
   * A snapshot a transaction reads or writes on, its base (public) or one of
   * its private snapshots, with its live database: one round trip, since
   * every statement of a transaction asks.
   */
  async transactionSnapshot(
    name: string,
    id: bigint,
    pinGraceMs: number,
  ): Promise<[DatabaseRow, SnapshotRow]> {
    const [row] = await this.#sql.query(
      `SELECT d.id, d.name, d.created_at, d.dropped_at, d.head_snapshot_id,
              s.id AS snapshot_id, s.database_id, s.parent_id, s.created_at AS snapshot_created_at, s.length,
              s.chain_depth, s.private,
              (s.pruned_at IS NULL OR s.pruned_at > now() - $3 * interval '1 millisecond') AS readable
       FROM databases d LEFT JOIN snapshots s ON s.database_id = d.id AND s.id = $2
       WHERE d.name = $1 AND d.dropped_at IS NULL`,
      [name, id, pinGraceMs],
    );
    if (row === undefined) throw new StorageError("not_found", `database "${name}" does not exist`);
    const database = databaseRow(row);
    if (row.snapshot_id === null) {
      throw new StorageError("not_found", `database "${name}" has no snapshot "${id}"`);
    }
    const snapshot = snapshotRow({ ...row, id: row.snapshot_id, created_at: row.snapshot_created_at });
    if (row.readable !== true && snapshot.id !== database.headSnapshotId)
      throw notRetained(database, snapshot);
    return [database, snapshot];
  }

  /** The snapshot, unless garbage collection pruned it more than `pinGraceMs` ago. */
  async #readable(database: DatabaseRow, found: SnapshotRow, pinGraceMs: number): Promise<SnapshotRow> {
    if (found.id === database.headSnapshotId) return found;
    const [readable] = await this.#sql.query(
      "SELECT 1 FROM snapshots WHERE id = $1 AND (pruned_at IS NULL OR pruned_at > now() - $2 * interval '1 millisecond')",
      [found.id, pinGraceMs],
    );
    if (readable === undefined) throw notRetained(database, found);
    return found;
  }

  async snapshot(id: bigint): Promise<SnapshotRow> {
    const [row] = await this.#sql.query(`SELECT ${snapshotColumns} FROM snapshots WHERE id = $1`, [id]);
    if (row === undefined) throw new StorageError("not_found", `snapshot ${id} does not exist`);
    return snapshotRow(row);
  }

  /** The snapshot, its ancestors back to the nearest full manifest, with manifests, newest first. */
  async manifestChain(
    snapshotId: bigint,
  ): Promise<{ id: bigint; manifest: Uint8Array; chainDepth: number }[]> {
    const rows = await this.#sql.query(
      `WITH RECURSIVE chain AS (
         SELECT id, parent_id, chain_depth, manifest FROM snapshots WHERE id = $1
         UNION ALL
         SELECT s.id, s.parent_id, s.chain_depth, s.manifest FROM snapshots s
         JOIN chain c ON s.id = c.parent_id WHERE c.chain_depth > 0
       )
       SELECT id, chain_depth, manifest FROM chain ORDER BY chain_depth DESC`,
      [snapshotId],
    );
    return rows.map((row) => ({
      id: BigInt(row.id as bigint),
      manifest: row.manifest as Uint8Array,
      chainDepth: Number(row.chain_depth),
    }));
  }

  async snapshotsOf(database: DatabaseRow): Promise<(SnapshotRow & { names: string[] })[]> {
    const rows = await this.#sql.query(
      `SELECT ${snapshotColumns.replaceAll(/(\w+)/g, "s.$1")},
              coalesce(array_agg(n.name ORDER BY n.name) FILTER (WHERE n.name IS NOT NULL), '{}') AS names
       FROM snapshots s LEFT JOIN snapshot_names n ON n.snapshot_id = s.id AND n.database_id = $1
       WHERE s.database_id = $1 AND NOT s.private GROUP BY s.id ORDER BY s.id`,
      [database.id],
    );
    return rows.map((row) => ({ ...snapshotRow(row), names: row.names as string[] }));
  }

  async nameSnapshot(database: DatabaseRow, name: string, snapshot: SnapshotRow): Promise<void> {
    await this.#sql.transaction(async (tx) => {
      const [taken] = await tx.query(
        "SELECT snapshot_id FROM snapshot_names WHERE database_id = $1 AND name = $2",
        [database.id, name],
      );
      if (taken !== undefined) {
        throw new StorageError(
          "already_exists",
          `database "${database.name}" already has a snapshot named "${name}" (snapshot ${taken.snapshot_id})`,
        );
      }
      await tx.query("INSERT INTO snapshot_names (database_id, name, snapshot_id) VALUES ($1, $2, $3)", [
        database.id,
        name,
        snapshot.id,
      ]);
    });
  }

  /**
   * Takes the database's write lease if it is free or expired (FORMAT.md §5
   * step 1). Undefined when another writer holds it.
   */
  async acquireLease(database: string, owner: string, ttlMs: number): Promise<Lease | undefined> {
    const [row] = await this.#sql.query(
      `UPDATE databases
       SET lease_epoch = lease_epoch + 1, lease_owner = $2, lease_expires_at = now() + $3 * interval '1 millisecond'
       WHERE name = $1 AND dropped_at IS NULL AND (lease_owner IS NULL OR lease_expires_at < now())
       RETURNING id, lease_epoch, head_snapshot_id`,
      [database, owner, ttlMs],
    );
    if (row === undefined) return undefined;
    return {
      databaseId: BigInt(row.id as bigint),
      epoch: BigInt(row.lease_epoch as bigint),
      owner,
      headSnapshotId: BigInt(row.head_snapshot_id as bigint),
    };
  }

  /** Extends a lease that still holds; false when it was lost. An expired lease stays lost, taken over or not. */
  async renewLease(lease: Lease, ttlMs: number): Promise<boolean> {
    const rows = await this.#sql.query(
      `UPDATE databases SET lease_expires_at = now() + $4 * interval '1 millisecond'
       WHERE id = $1 AND lease_epoch = $2 AND lease_owner = $3 AND lease_expires_at > now() RETURNING id`,
      [lease.databaseId, lease.epoch, lease.owner, ttlMs],
    );
    return rows.length > 0;
  }

  async releaseLease(lease: Lease): Promise<void> {
    await this.#sql.query(
      `UPDATE databases SET lease_owner = NULL, lease_expires_at = NULL
       WHERE id = $1 AND lease_epoch = $2 AND lease_owner = $3`,
      [lease.databaseId, lease.epoch, lease.owner],
    );
  }

  /**
   * Publishes a snapshot if the head is still the writer's parent and its
   * lease still holds (FORMAT.md §5 step 4). `onLocked` runs inside the
   * transaction after the row lock, before anything is written.
   */
  async commitSnapshot(
    lease: Lease,
    snapshot: NewSnapshot,
    onLocked?: () => Promise<void>,
  ): Promise<SnapshotRow> {
    return this.#sql.transaction(async (tx) => {
      const [row] = await tx.query(
        "SELECT head_snapshot_id, lease_epoch, lease_owner, dropped_at FROM databases WHERE id = $1 FOR UPDATE",
        [lease.databaseId],
      );
      if (row === undefined || row.dropped_at !== null) {
        throw new StorageError(
          "not_found",
          "the database was dropped while the write ran; nothing was written",
        );
      }
      if (BigInt(row.lease_epoch as bigint) !== lease.epoch || row.lease_owner !== lease.owner) {
        throw new StorageError(
          "aborted",
          "this write lost its lease to another writer (it ran longer than the lease allows); nothing was written, retry it",
        );
      }
      if (BigInt(row.head_snapshot_id as bigint) !== snapshot.parentId) {
        throw new StorageError("aborted", "another write committed first; nothing was written, retry it");
      }
      await onLocked?.();
      const committed = await insertSnapshot(tx, snapshot, false);
      await tx.query(
        "UPDATE databases SET head_snapshot_id = $2, lease_owner = NULL, lease_expires_at = NULL WHERE id = $1",
        [lease.databaseId, committed.id],
      );
      return committed;
    });
  }

  /**
   * Records a transaction's write as a private snapshot (FORMAT.md §5.1):
   * no lease, no compare-and-swap, the head stays where it is.
   */
  async recordPrivateSnapshot(snapshot: NewSnapshot): Promise<SnapshotRow> {
    return this.#sql.transaction(async (tx) => {
      const [row] = await tx.query("SELECT dropped_at FROM databases WHERE id = $1", [snapshot.databaseId]);
      if (row === undefined || row.dropped_at !== null) {
        throw new StorageError(
          "not_found",
          "the database was dropped while the transaction ran; nothing was written",
        );
      }
      return insertSnapshot(tx, snapshot, true);
    });
  }

  async databaseOfSnapshot(snapshotId: bigint): Promise<DatabaseRow> {
    const [row] = await this.#sql.query(
      `SELECT ${databaseColumns.replaceAll(/(\w+)/g, "d.$1")} FROM databases d JOIN snapshots s ON s.database_id = d.id WHERE s.id = $1`,
      [snapshotId],
    );
    if (row === undefined) throw new StorageError("not_found", `snapshot ${snapshotId} does not exist`);
    return databaseRow(row);
  }
}

function notRetained(database: DatabaseRow, snapshot: SnapshotRow): StorageError {
  return new StorageError(
    "not_found",
    snapshot.private
      ? `snapshot ${snapshot.id} of database "${database.name}" belonged to a transaction that expired`
      : `snapshot ${snapshot.id} of database "${database.name}" is no longer retained (older than the retention window and unnamed)`,
  );
}

async function insertSnapshot(
  tx: SqlTransaction,
  snapshot: NewSnapshot,
  isPrivate: boolean,
): Promise<SnapshotRow> {
  const [row] = await tx.query(
    `INSERT INTO snapshots (database_id, parent_id, length, chain_depth, manifest, epoch, private)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${snapshotColumns}`,
    [
      snapshot.databaseId,
      snapshot.parentId,
      snapshot.length,
      snapshot.chainDepth,
      snapshot.manifest,
      snapshot.epoch,
      isPrivate,
    ],
  );
  const inserted = snapshotRow(row as Row);
  for (const layer of snapshot.newLayers) {
    await tx.query("INSERT INTO layers (key, size) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", [
      layer.key,
      layer.size,
    ]);
  }
  if (snapshot.layerKeys.length > 0) {
    await tx.query("INSERT INTO snapshot_layers (snapshot_id, layer_key) SELECT $1, unnest($2::text[])", [
      inserted.id,
      snapshot.layerKeys,
    ]);
  }
  return inserted;
}
