/**
 * The storage contract the engine relies on. A database is one DuckDB
 * database file; every committed write produces a new immutable snapshot of
 * it. Readers open a snapshot as a path DuckDB attaches (through the
 * extension's `odpages:` file system) that stays unchanged until they release
 * it; a writer gets a private, writable view of the head and commits it as
 * the next snapshot only if nobody committed in between. A multi-statement
 * transaction writes private snapshots on its base, then publishes its last
 * one as the next snapshot, under the same condition.
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
  /**
   * A snapshot a transaction runs on: its base, or one of its private
   * snapshots (which resolveSnapshot never returns). Throws `not_found`.
   */
  transactionSnapshot(database: string, id: string): Promise<SnapshotInfo>;
  /**
   * Starts a transaction's write on a private, writable view of snapshot
   * `tipId` (public or private). Its commit() records a private snapshot
   * whose parent is the tip: no lease, no wait, the head does not move.
   */
  beginPrivateWrite(database: string, tipId: string): Promise<WriteSession>;
  /**
   * Commits a transaction: a new head with the contents of `tipId`, whose
   * parent is `baseId`, only if the head is still `baseId` (`aborted`
   * otherwise, and nothing of the transaction is visible). A transaction
   * that wrote nothing (tip = base) returns the head.
   */
  publish(database: string, baseId: string, tipId: string): Promise<SnapshotInfo>;
  /** Stores one part (an Arrow IPC stream) of an upload; staging a part again replaces it. */
  stageRows(database: string, uploadId: string, part: number, bytes: Uint8Array): Promise<void>;
  /**
   * Downloads parts 0 … parts-1 of an upload into `directory`; their paths.
   * A missing part is `failed_precondition`.
   */
  fetchStaged(database: string, uploadId: string, parts: number, directory: string): Promise<string[]>;
  /** Deletes an upload's parts (garbage collection deletes forgotten ones). */
  dropStaged(database: string, uploadId: string): Promise<void>;
  /**
   * URLs a client PUTs parts `firstPart` … `firstPart + count - 1` of an
   * upload to, itself (1 to 64 parts): the parts `stageRows` would store.
   * Throws `unsupported` when the object store cannot presign.
   */
  presignStagedParts(
    database: string,
    uploadId: string,
    firstPart: number,
    count: number,
  ): Promise<PresignedStagedParts>;
  /**
   * Keeps rows of a result (Arrow IPC messages) as an object for a while and
   * answers with a URL to GET it. Throws `unsupported`, before writing
   * anything, when the object store cannot presign.
   */
  putResultPart(bytes: Uint8Array): Promise<PresignedResultPart>;
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

export interface PresignedStagedParts {
  /** One URL per part, in part order. */
  urls: string[];
  expiresInMs: number;
}

export interface PresignedResultPart {
  url: string;
  expiresInMs: number;
}

export interface GarbageReport {
  dryRun: boolean;
  snapshotsDeleted: number;
  databasesPurged: number;
  layersDeleted: number;
  bytesDeleted: number;
  orphansDeleted: number;
  /** Staged parts older than the staging lifetime. */
  stagedDeleted: number;
  /** Result parts older than the result lifetime. */
  resultsDeleted: number;
}
