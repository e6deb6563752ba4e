/**
 * The storage contract the engine relies on. A database is one DuckDB
 * database file; every committed write produces a new immutable snapshot of
 * it. Readers open a snapshot as a path DuckDB attaches (through the
 * extension's `odpages:` file system) that stays unchanged until they release
 * it; a writer gets a private, writable view of the head and commits it as
 * the next snapshot only if nobody committed in between.
 */
export interface DatabaseStore {
  /** Registers a new database whose first snapshot is the DuckDB file at `initialFile`. */
  createDatabase(name: string, initialFile: string): Promise<SnapshotInfo>;
  listDatabases(): Promise<DatabaseInfo[]>;
  /** Drops a database; `undropDatabase` brings it back within the retention window. */
  dropDatabase(name: string): Promise<void>;
  undropDatabase(name: string): Promise<DatabaseInfo>;
  /** A new database with the contents of `source` at `snapshot` (default: its head), sharing its layers. */
  cloneDatabase(source: string, target: string, snapshot?: string): Promise<SnapshotInfo>;
  listSnapshots(database: string): Promise<SnapshotInfo[]>;
  /** Gives a snapshot (default: the head) a name to pin it by; named snapshots are retained. */
  nameSnapshot(database: string, name: string, snapshot?: string): Promise<SnapshotInfo>;
  /**
   * The snapshot a client asks for: the head, or one pinned by id or name.
   * Throws `not_found` for an unknown database or snapshot.
   */
  resolveSnapshot(database: string, snapshot?: string): Promise<SnapshotInfo>;
  /** Makes a snapshot readable: fetches and verifies its layers. */
  openSnapshot(snapshot: SnapshotInfo): Promise<OpenedSnapshot>;
  /** Starts a write on a private, writable view of the database's head, waiting while another write holds it. */
  beginWrite(database: string): Promise<WriteSession>;
  /** Rewrites the head into a few fresh layers, as a new snapshot with the same contents (FORMAT.md §8). */
  compact(database: string): Promise<SnapshotInfo>;
  /** Deletes what no retained snapshot needs (FORMAT.md §7). */
  collectGarbage(options?: { dryRun?: boolean }): Promise<GarbageReport>;
  close(): Promise<void>;
}

export interface DatabaseInfo {
  name: string;
  headSnapshotId: string;
  createdAt: Date;
}

export interface SnapshotInfo {
  database: string;
  id: string;
  createdAt: Date;
  /** The DuckDB file's size in bytes. */
  length: number;
  names: string[];
}

export interface OpenedSnapshot {
  snapshot: SnapshotInfo;
  /** What DuckDB attaches, READ_ONLY: unchanged until release(). */
  attachPath: string;
  release(): void;
}

export interface WriteSession {
  /** The snapshot the write started from. */
  base: SnapshotInfo;
  /** What DuckDB attaches, writable; its changes stay private until commit(). */
  attachPath: string;
  /**
   * Publishes what DuckDB wrote (checkpointed and closed by the caller) as
   * the database's next snapshot. Throws `aborted` when another write
   * committed first or the lease was lost; nothing of this write is visible
   * then.
   */
  commit(): Promise<SnapshotInfo>;
  /** Discards the write; safe to call after commit() or more than once. */
  abort(): Promise<void>;
}

export interface GarbageReport {
  dryRun: boolean;
  snapshotsDeleted: number;
  databasesPurged: number;
  layersDeleted: number;
  bytesDeleted: number;
  orphansDeleted: number;
}
