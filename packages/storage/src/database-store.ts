/**
 * The storage contract the engine relies on. A database is one DuckDB
 * database file; every committed write produces a new immutable snapshot of
 * it. Readers open a snapshot as a local file that stays unchanged until they
 * release it; a writer gets a private copy of the head, changes it, and
 * commits it as the next snapshot only if nobody committed in between.
 */
export interface DatabaseStore {
  /** Registers a new database whose first snapshot is the DuckDB file at `initialFile`. */
  createDatabase(name: string, initialFile: string): Promise<SnapshotInfo>;
  listDatabases(): Promise<DatabaseInfo[]>;
  /**
   * Makes a snapshot readable as a local file: the head, or the snapshot a
   * client pinned by id. Throws `not_found` for an unknown database or
   * snapshot.
   */
  openSnapshot(database: string, snapshot?: string): Promise<OpenedSnapshot>;
  /** Starts a write on a private copy of the database's head. */
  beginWrite(database: string): Promise<WriteSession>;
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
}

export interface OpenedSnapshot {
  snapshot: SnapshotInfo;
  /** A DuckDB database file to open read-only; unchanged until release(). */
  path: string;
  release(): void;
}

export interface WriteSession {
  /** The snapshot the write started from. */
  base: SnapshotInfo;
  /** A private, writable copy of the base's DuckDB file. */
  path: string;
  /**
   * Publishes the file at `path` (checkpointed and closed by the caller) as
   * the database's next snapshot. Throws `aborted` when another write
   * committed first; nothing of this write is visible then.
   */
  commit(): Promise<SnapshotInfo>;
  /** Discards the write; safe to call after commit() or more than once. */
  abort(): Promise<void>;
}
