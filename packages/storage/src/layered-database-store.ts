import { randomUUID } from "node:crypto";
import { mkdir, open as openFile, readFile, rm } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type {
  DatabaseInfo,
  DatabaseStore,
  GarbageReport,
  OpenedSnapshot,
  PresignedResultPart,
  PresignedStagedParts,
  SnapshotInfo,
  WriteSession,
} from "./database-store.js";
import { StorageError } from "./errors.js";
import { collectGarbage } from "./garbage-collector.js";
import { LayerCache } from "./layers/layer-cache.js";
import { layerKey, sha256, sha256Hex } from "./layers/layer-key.js";
import { attachPath, readDirtyPages, writePageTable } from "./layers/page-table.js";
import {
  decodeManifest,
  encodeManifest,
  type Manifest,
  manifestLayers,
  type PageEntry,
  type ResolvedManifest,
  resolveManifest,
} from "./manifest/manifest.js";
import { pageCount, pageLength, pageOffset } from "./manifest/page-layout.js";
import {
  Catalog,
  type DatabaseRow,
  type Lease,
  type NewSnapshot,
  type SnapshotRow,
} from "./metadata/catalog.js";
import { migrate } from "./metadata/migrations.js";
import type { SqlClient } from "./metadata/sql-client.js";
import { validateDatabaseName, validateSnapshotName } from "./names.js";
import type { ObjectStore } from "./object-store/object-store.js";
import { putResultPart } from "./result-parts.js";
import { StagedRows } from "./staged-rows.js";

/** Points in the commit protocol, reported to `onCommitPhase` (crash tests stop writers there). */
export type CommitPhase = "checkpointed" | "uploading" | "uploaded" | "committing";

export interface LayeredStoreOptions {
  sql: SqlClient;
  objects: ObjectStore;
  /** Local scratch: cached layers, page tables, write sessions. */
  workDirectory: string;
  /** Bound on the local layer cache. Default 10 GiB. */
  cacheBytes?: number;
  /** A writer that stops renewing its lease loses it after this long. Default 30 s. */
  leaseTtlMs?: number;
  /** How long a write waits for another write to finish. Default 60 s. */
  leaseWaitMs?: number;
  /** Unnamed snapshots and dropped databases are kept this long. Default 7 days. */
  retentionMs?: number;
  /** Unreferenced layers are kept this long, for writers and readers in flight. Default 1 hour. */
  gracePeriodMs?: number;
  /** A transaction's private snapshots are kept this long (its token's lifetime). Default 24 hours. */
  transactionLifetimeMs?: number;
  /** Staged rows are kept this long. Default 1 hour. */
  stagingLifetimeMs?: number;
  /** Result parts and their URLs last this long. Default 1 hour (at least a query handle's lifetime). */
  resultLifetimeMs?: number;
  onCommitPhase?: (phase: CommitPhase) => Promise<void>;
}

/** Pages per layer (FORMAT.md §2): 64 MiB. */
const LAYER_PAGES = 256;
/** A chain of this many deltas gets a full manifest next (FORMAT.md §3). */
const MAX_CHAIN = 32;
const RESOLVED_CACHE_ENTRIES = 64;
/** How long StageRows trusts a database lookup (see #stagingDatabase). */
const STAGING_LOOKUP_MS = 5000;
/** A head reading more layers than this is compacted after the commit (each open layer is a file descriptor). */
const COMPACT_ABOVE_LAYERS = 64;

/** How a write session's commit becomes a snapshot: the fenced commit of a head, or a transaction's private one. */
interface SnapshotRecorder {
  epoch: bigint;
  record(snapshot: NewSnapshot, phase: (phase: CommitPhase) => Promise<void>): Promise<SnapshotRow>;
  /** Runs once the session is finished; `committed` says whether record() succeeded. */
  end(committed: boolean): Promise<void>;
}

/**
 * Differential storage (FORMAT.md): snapshots are manifests in Postgres,
 * pages live in immutable layers in an object store, one fenced writer per
 * database commits with a compare-and-swap on the head.
 */
export class LayeredDatabaseStore implements DatabaseStore {
  readonly #sql: SqlClient;
  readonly #catalog: Catalog;
  readonly #objects: ObjectStore;
  readonly #layers: LayerCache;
  readonly #staged: StagedRows;
  readonly #work: string;
  readonly #options: Required<Omit<LayeredStoreOptions, "onCommitPhase">> &
    Pick<LayeredStoreOptions, "onCommitPhase">;
  readonly #owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #resolved = new Map<bigint, ResolvedManifest>();
  readonly #stagingLookups = new Map<string, { row: DatabaseRow; until: number }>();
  readonly #compacting = new Map<string, Promise<unknown>>();

  private constructor(options: LayeredStoreOptions) {
    this.#options = {
      cacheBytes: 10 * 2 ** 30,
      leaseTtlMs: 30_000,
      leaseWaitMs: 60_000,
      retentionMs: 7 * 24 * 3600_000,
      gracePeriodMs: 3600_000,
      transactionLifetimeMs: 24 * 3600_000,
      stagingLifetimeMs: 3600_000,
      resultLifetimeMs: 3600_000,
      ...options,
    };
    this.#sql = options.sql;
    this.#catalog = new Catalog(options.sql);
    this.#objects = options.objects;
    this.#staged = new StagedRows(options.objects);
    this.#work = options.workDirectory;
    this.#layers = new LayerCache(
      options.objects,
      join(options.workDirectory, "layers"),
      this.#options.cacheBytes,
    );
  }

  /** Opens the store, bringing the metadata schema up to date. */
  static async open(options: LayeredStoreOptions): Promise<LayeredDatabaseStore> {
    await migrate(options.sql);
    await mkdir(options.workDirectory, { recursive: true });
    return new LayeredDatabaseStore(options);
  }

  async createDatabase(name: string, initialFile: string): Promise<SnapshotInfo> {
    validateDatabaseName(name);
    const bytes = await readFile(initialFile);
    const pages = Array.from({ length: pageCount(bytes.byteLength) }, (_, page) => page);
    const { entries, newLayers } = await this.#writeLayers(pages, bytes.byteLength, async (page) =>
      bytes.subarray(pageOffset(page), pageOffset(page) + pageLength(page, bytes.byteLength)),
    );
    const manifest: Manifest = { length: bytes.byteLength, kind: "full", entries };
    const resolved = resolveManifest(manifest, undefined);
    const [database, snapshot] = await this.#catalog.createDatabase(name, {
      parentId: null,
      length: bytes.byteLength,
      chainDepth: 0,
      manifest: encodeManifest(manifest),
      epoch: 0n,
      newLayers,
      layerKeys: manifestLayers(resolved).map(layerKey),
    });
    this.#remember(snapshot.id, resolved);
    return snapshotInfo(database, snapshot, []);
  }

  async listDatabases(): Promise<DatabaseInfo[]> {
    return (await this.#catalog.liveDatabases()).map((row) => ({
      name: row.name,
      headSnapshotId: String(row.headSnapshotId),
      createdAt: row.createdAt,
    }));
  }

  async dropDatabase(name: string): Promise<void> {
    validateDatabaseName(name);
    this.#stagingLookups.delete(name);
    await this.#catalog.dropDatabase(name);
  }

  async undropDatabase(name: string): Promise<DatabaseInfo> {
    validateDatabaseName(name);
    const row = await this.#catalog.undropDatabase(name);
    return { name: row.name, headSnapshotId: String(row.headSnapshotId), createdAt: row.createdAt };
  }

  async cloneDatabase(source: string, target: string, snapshot?: string): Promise<SnapshotInfo> {
    validateDatabaseName(source);
    validateDatabaseName(target);
    const database = await this.#catalog.liveDatabase(source);
    const from = await this.#catalog.resolveSnapshot(database, snapshot);
    const empty = encodeManifest({ length: from.length, kind: "delta", entries: [] });
    const [clone, first] = await this.#catalog.cloneDatabase(target, from, empty);
    return snapshotInfo(clone, first, []);
  }

  async listSnapshots(name: string): Promise<SnapshotInfo[]> {
    validateDatabaseName(name);
    const database = await this.#catalog.liveDatabase(name);
    return (await this.#catalog.snapshotsOf(database)).map((row) => snapshotInfo(database, row, row.names));
  }

  async nameSnapshot(name: string, snapshotName: string, snapshot?: string): Promise<SnapshotInfo> {
    validateDatabaseName(name);
    validateSnapshotName(snapshotName);
    const database = await this.#catalog.liveDatabase(name);
    const row = await this.#catalog.resolveSnapshot(database, snapshot);
    await this.#catalog.nameSnapshot(database, snapshotName, row);
    return snapshotInfo(database, row, [snapshotName]);
  }

  async resolveSnapshot(name: string, snapshot?: string): Promise<SnapshotInfo> {
    validateDatabaseName(name);
    if (snapshot === undefined || snapshot === "") {
      const [database, head] = await this.#catalog.head(name);
      return snapshotInfo(database, head, []);
    }
    const database = await this.#catalog.liveDatabase(name);
    const resolved = await this.#catalog.resolveSnapshot(database, snapshot, this.#pinGraceMs());
    return snapshotInfo(database, resolved, []);
  }

  async transactionSnapshot(name: string, id: string): Promise<SnapshotInfo> {
    validateDatabaseName(name);
    const [database, row] = await this.#catalog.transactionSnapshot(name, snapshotId(id), this.#pinGraceMs());
    return snapshotInfo(database, row, []);
  }

  async openSnapshot(snapshot: SnapshotInfo): Promise<OpenedSnapshot> {
    const manifest = await this.#resolve(BigInt(snapshot.id));
    const pinned = await this.#layers.acquire(manifestLayers(manifest), snapshot.database);
    try {
      const directory = join(this.#work, "snapshots", snapshot.id);
      await mkdir(directory, { recursive: true });
      const path = join(directory, `${snapshot.database}.duckdb`);
      await writePageTable(path, manifest, pinned.paths);
      return { snapshot, attachPath: attachPath(path), release: pinned.release };
    } catch (error) {
      pinned.release();
      throw error;
    }
  }

  async beginWrite(name: string): Promise<WriteSession> {
    validateDatabaseName(name);
    const database = await this.#catalog.liveDatabase(name);
    const lease = await this.#acquireLease(database);
    const renewal = setInterval(() => {
      void this.#catalog.renewLease(lease, this.#options.leaseTtlMs).catch(() => undefined);
    }, this.#options.leaseTtlMs / 3);
    renewal.unref();
    const end = async (committed: boolean) => {
      clearInterval(renewal);
      if (!committed) await this.#catalog.releaseLease(lease).catch(() => undefined);
    };
    let base: SnapshotRow;
    try {
      base = await this.#catalog.snapshot(lease.headSnapshotId);
    } catch (error) {
      await end(false);
      throw error;
    }
    return this.#writeSession(database, base, {
      epoch: lease.epoch,
      record: (snapshot, phase) => this.#catalog.commitSnapshot(lease, snapshot, () => phase("committing")),
      end,
    });
  }

  async beginPrivateWrite(name: string, tipId: string): Promise<WriteSession> {
    validateDatabaseName(name);
    const [database, tip] = await this.#catalog.transactionSnapshot(
      name,
      snapshotId(tipId),
      this.#pinGraceMs(),
    );
    // Private snapshots are no one's head, so transactions never wait for each other or for writers here;
    // publish() decides which of them commits.
    return this.#writeSession(database, tip, {
      epoch: 0n,
      record: (snapshot) => this.#catalog.recordPrivateSnapshot(snapshot),
      end: async () => {},
    });
  }

  async publish(name: string, baseId: string, tipId: string): Promise<SnapshotInfo> {
    validateDatabaseName(name);
    const [database, head] = await this.#catalog.head(name);
    const [baseSnapshot, tipSnapshot] = [snapshotId(baseId), snapshotId(tipId)];
    // A transaction that only read commits whatever happened meanwhile: there is nothing of it to lose.
    if (tipSnapshot === baseSnapshot) return snapshotInfo(database, head, []);
    const conflict = (headId: bigint) =>
      new StorageError(
        "aborted",
        `another write committed to database "${name}" (snapshot ${headId}) since this transaction began at snapshot ${baseSnapshot}; nothing of the transaction was written`,
      );
    // A commit that only rewrote the base's pages into other layers (a compaction) changed nothing the
    // transaction read: the transaction goes on top of it. Any other commit is a conflict.
    const unchangedSinceBase = async (headId: bigint) =>
      headId === baseSnapshot || sameContents(await this.#resolve(baseSnapshot), await this.#resolve(headId));
    // Fails at once, without waiting for the lease, when the head already moved.
    if (!(await unchangedSinceBase(head.id))) throw conflict(head.id);
    const grace = this.#pinGraceMs();
    const [[, base], [, tip]] = await Promise.all([
      this.#catalog.transactionSnapshot(name, baseSnapshot, grace),
      this.#catalog.transactionSnapshot(name, tipSnapshot, grace),
    ]);
    if (base.private || !tip.private) {
      throw new StorageError(
        "invalid_argument",
        `snapshots ${baseSnapshot} and ${tipSnapshot} of database "${name}" are not a transaction's base and private tip`,
      );
    }
    const contents = await this.#resolve(tip.id);
    const lease = await this.#acquireLease(database);
    try {
      if (!(await unchangedSinceBase(lease.headSnapshotId))) throw conflict(lease.headSnapshotId);
      const parentRow = await this.#catalog.snapshot(lease.headSnapshotId);
      const parent = await this.#resolve(parentRow.id);
      // The layers are in the store already (each private write uploaded its own): only metadata is written.
      const changed = contents.pages.filter((entry, page) => {
        const previous = parent.pages[page];
        return (
          previous === undefined || previous.length !== entry.length || !sameHash(previous.hash, entry.hash)
        );
      });
      const delta: Manifest = { length: contents.length, kind: "delta", entries: changed };
      const resolved = resolveManifest(delta, parent);
      const full = parentRow.chainDepth + 1 >= MAX_CHAIN;
      const manifest: Manifest = full
        ? { length: contents.length, kind: "full", entries: resolved.pages }
        : delta;
      const committed = await this.#catalog.commitSnapshot(lease, {
        databaseId: database.id,
        parentId: parentRow.id,
        length: contents.length,
        chainDepth: full ? 0 : parentRow.chainDepth + 1,
        manifest: encodeManifest(manifest),
        epoch: lease.epoch,
        newLayers: [],
        layerKeys: manifestLayers(resolved).map(layerKey),
      });
      this.#committed(database, committed, resolved);
      return snapshotInfo(database, committed, []);
    } catch (error) {
      await this.#catalog.releaseLease(lease).catch(() => undefined);
      throw error;
    }
  }

  async stageRows(name: string, uploadId: string, part: number, bytes: Uint8Array): Promise<void> {
    validateDatabaseName(name);
    await this.#staged.put(await this.#stagingDatabase(name), uploadId, part, bytes);
  }

  /**
   * The database parts are staged for. An upload sends many parts in a row: its database is looked up once
   * per STAGING_LOOKUP_MS, not once per part (a part staged for a database dropped meanwhile is never read:
   * the write that names it looks the database up again).
   */
  async #stagingDatabase(name: string): Promise<DatabaseRow> {
    const known = this.#stagingLookups.get(name);
    if (known !== undefined && known.until > Date.now()) return known.row;
    const row = await this.#catalog.liveDatabase(name);
    this.#stagingLookups.set(name, { row, until: Date.now() + STAGING_LOOKUP_MS });
    if (this.#stagingLookups.size > RESOLVED_CACHE_ENTRIES) {
      const oldest = this.#stagingLookups.keys().next().value;
      if (oldest !== undefined) this.#stagingLookups.delete(oldest);
    }
    return row;
  }

  async fetchStaged(name: string, uploadId: string, parts: number, directory: string): Promise<string[]> {
    validateDatabaseName(name);
    return this.#staged.fetch(await this.#catalog.liveDatabase(name), uploadId, parts, directory);
  }

  async dropStaged(name: string, uploadId: string): Promise<void> {
    validateDatabaseName(name);
    await this.#staged.drop(await this.#catalog.liveDatabase(name), uploadId);
  }

  async presignStagedParts(
    name: string,
    uploadId: string,
    firstPart: number,
    count: number,
  ): Promise<PresignedStagedParts> {
    validateDatabaseName(name);
    return this.#staged.presign(await this.#stagingDatabase(name), uploadId, firstPart, count);
  }

  putResultPart(bytes: Uint8Array): Promise<PresignedResultPart> {
    return putResultPart(this.#objects, bytes, this.#options.resultLifetimeMs);
  }

  async collectGarbage(options: { dryRun?: boolean } = {}): Promise<GarbageReport> {
    return collectGarbage(this.#sql, this.#objects, {
      dryRun: options.dryRun ?? false,
      retentionMs: this.#options.retentionMs,
      gracePeriodMs: this.#options.gracePeriodMs,
      transactionLifetimeMs: this.#options.transactionLifetimeMs,
      stagingLifetimeMs: this.#options.stagingLifetimeMs,
      resultLifetimeMs: this.#options.resultLifetimeMs,
    });
  }

  /**
   * Rewrites the head's pages into fresh layers, committed as a new snapshot
   * with the same contents and a full manifest (FORMAT.md §8). Reads then
   * open a few large layers instead of one per commit; the old layers become
   * garbage once no retained snapshot reads them.
   */
  async compact(name: string): Promise<SnapshotInfo> {
    validateDatabaseName(name);
    const [database, head] = await this.#catalog.head(name);
    const parent = await this.#resolve(head.id);
    // The layers are written without the lease, so writers are not held up while pages are copied; the commit
    // then takes the lease and succeeds only if no write committed meanwhile.
    const pinned = await this.#layers.acquire(manifestLayers(parent), name);
    let written: { entries: PageEntry[]; newLayers: { key: string; size: number }[] };
    try {
      written = await this.#writeLayers(
        parent.pages.map((entry) => entry.page),
        parent.length,
        async (page) => {
          const entry = parent.pages[page] as PageEntry;
          const bytes = await readLayerPage(pinned.paths, entry, entry.length);
          if (!sameHash(sha256(bytes), entry.hash)) {
            throw new StorageError("data_loss", `page ${page} of database "${name}" does not match its hash`);
          }
          return bytes;
        },
      );
    } finally {
      pinned.release();
    }
    const manifest: Manifest = { length: parent.length, kind: "full", entries: written.entries };
    const resolved = resolveManifest(manifest, undefined);
    const lease = await this.#acquireLease(database);
    try {
      const committed = await this.#catalog.commitSnapshot(lease, {
        databaseId: database.id,
        parentId: head.id,
        length: parent.length,
        chainDepth: 0,
        manifest: encodeManifest(manifest),
        epoch: lease.epoch,
        newLayers: written.newLayers,
        layerKeys: manifestLayers(resolved).map(layerKey),
      });
      this.#remember(committed.id, resolved);
      return snapshotInfo(database, committed, []);
    } catch (error) {
      await this.#catalog.releaseLease(lease).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Waits for work a commit started in the background (a compaction). A
   * serverless worker waits for it before its invocation ends, since the
   * instance is frozen between invocations.
   */
  async settled(): Promise<void> {
    await Promise.all(this.#compacting.values());
  }

  async close(): Promise<void> {
    await this.settled();
    await this.#sql.close();
  }

  async #acquireLease(database: DatabaseRow): Promise<Lease> {
    const deadline = Date.now() + this.#options.leaseWaitMs;
    const owner = `${this.#owner}:${randomUUID().slice(0, 8)}`;
    for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
      const lease = await this.#catalog.acquireLease(database.name, owner, this.#options.leaseTtlMs);
      if (lease !== undefined) return lease;
      if (Date.now() > deadline) {
        throw new StorageError(
          "aborted",
          `database "${database.name}" is busy: another write held it for over ${this.#options.leaseWaitMs / 1000} s; retry later`,
        );
      }
      // Still live? A dropped database would otherwise make us wait out the deadline.
      await this.#catalog.liveDatabase(database.name);
      await new Promise((resolve) => setTimeout(resolve, wait * (0.5 + Math.random())));
    }
  }

  /**
   * A write session on snapshot `base`: DuckDB writes through the page
   * table at `attachPath`, and commit() hands its changed pages to `recorder`.
   */
  async #writeSession(
    database: DatabaseRow,
    base: SnapshotRow,
    recorder: SnapshotRecorder,
  ): Promise<WriteSession> {
    const directory = join(this.#work, "writes", randomUUID());
    let pinned: { paths: Map<string, string>; release: () => void } | undefined;
    const finish = async (committed: boolean) => {
      pinned?.release();
      await recorder.end(committed);
      await rm(directory, { recursive: true, force: true });
    };
    try {
      const parent = await this.#resolve(base.id);
      pinned = await this.#layers.acquire(manifestLayers(parent), database.name);
      await mkdir(directory, { recursive: true });
      const path = join(directory, `${database.name}.duckdb`);
      await writePageTable(path, parent, pinned.paths);
      const paths = pinned.paths;
      let done = false;
      return {
        base: snapshotInfo(database, base, []),
        attachPath: attachPath(path),
        commit: async () => {
          if (done) throw new Error("this write session is already finished");
          done = true;
          try {
            const committed = await this.#commit(database, base, parent, path, paths, recorder);
            await finish(true);
            return committed;
          } catch (error) {
            await finish(false);
            throw error;
          }
        },
        abort: async () => {
          if (done) return;
          done = true;
          await finish(false);
        },
      };
    } catch (error) {
      await finish(false);
      throw error;
    }
  }

  /** FORMAT.md §5 steps 3 and 4 for the write at `path`, whose parent is `base`, resolved as `parent`. */
  async #commit(
    database: DatabaseRow,
    base: SnapshotRow,
    parent: ResolvedManifest,
    path: string,
    parentLayers: Map<string, string>,
    recorder: SnapshotRecorder,
  ): Promise<SnapshotInfo> {
    const phase = this.#options.onCommitPhase ?? (async () => {});
    await phase("checkpointed");
    const dirty = (await readDirtyPages(path)) ?? { length: parent.length, pages: [] };
    const count = pageCount(dirty.length);
    const inOverlay = new Set(dirty.pages);
    const written = new Set(dirty.pages.filter((page) => page < count));
    // A page DuckDB did not write but whose length the new file length changes must be restated.
    for (let page = 0; page < Math.min(count, parent.pages.length); page++) {
      if (parent.pages[page]?.length !== pageLength(page, dirty.length)) written.add(page);
    }
    for (let page = parent.pages.length; page < count; page++) written.add(page);
    const overlay = await openFile(`${path}.overlay`, "r").catch(() => undefined);
    try {
      const readPage = async (page: number): Promise<Uint8Array> => {
        const length = pageLength(page, dirty.length);
        const bytes = Buffer.alloc(length);
        if (inOverlay.has(page) && overlay !== undefined) {
          await overlay.read(bytes, 0, length, pageOffset(page));
          return bytes;
        }
        const entry = parent.pages[page];
        return entry === undefined ? bytes : readLayerPage(parentLayers, entry, length);
      };
      const { entries, newLayers } = await this.#writeLayers(
        [...written].sort((a, b) => a - b),
        dirty.length,
        async (page) => {
          const bytes = await readPage(page);
          const previous = parent.pages[page];
          const unchanged =
            previous !== undefined &&
            previous.length === bytes.byteLength &&
            sameHash(previous.hash, sha256(bytes));
          return unchanged ? undefined : bytes;
        },
        phase,
      );
      await phase("uploaded");
      const full = base.chainDepth + 1 >= MAX_CHAIN;
      const delta: Manifest = { length: dirty.length, kind: "delta", entries };
      const resolved = resolveManifest(delta, parent);
      const manifest: Manifest = full
        ? { length: dirty.length, kind: "full", entries: resolved.pages }
        : delta;
      const committed = await recorder.record(
        {
          databaseId: database.id,
          parentId: base.id,
          length: dirty.length,
          chainDepth: full ? 0 : base.chainDepth + 1,
          manifest: encodeManifest(manifest),
          epoch: recorder.epoch,
          newLayers,
          layerKeys: manifestLayers(resolved).map(layerKey),
        },
        phase,
      );
      this.#committed(database, committed, resolved);
      return snapshotInfo(database, committed, []);
    } finally {
      await overlay?.close();
    }
  }

  /**
   * Packs pages into layers of at most LAYER_PAGES, puts them, and returns
   * their manifest entries. `read` gives a page's bytes, or undefined for a
   * page that turned out unchanged. One layer's pages are in memory at a time.
   */
  async #writeLayers(
    pages: number[],
    length: number,
    read: (page: number) => Promise<Uint8Array | undefined>,
    phase: (phase: CommitPhase) => Promise<void> = async () => {},
  ): Promise<{ entries: PageEntry[]; newLayers: { key: string; size: number }[] }> {
    const entries: PageEntry[] = [];
    const newLayers: { key: string; size: number }[] = [];
    let group: [number, Uint8Array][] = [];
    const flush = async () => {
      if (group.length === 0) return;
      const layer = Buffer.concat(group.map(([, bytes]) => bytes));
      const hash = sha256Hex(layer);
      let offset = 0;
      for (const [page, bytes] of group) {
        entries.push({ page, layer: hash, offset, length: bytes.byteLength, hash: sha256(bytes) });
        offset += bytes.byteLength;
      }
      group = [];
      await phase("uploading");
      await this.#objects.putIfAbsent(layerKey(hash), layer);
      await this.#layers.add(hash, layer);
      newLayers.push({ key: layerKey(hash), size: layer.byteLength });
    };
    for (const page of pages) {
      const bytes = await read(page);
      if (bytes === undefined) continue;
      if (bytes.byteLength !== pageLength(page, length)) throw new Error(`page ${page} has the wrong length`);
      group.push([page, bytes]);
      if (group.length === LAYER_PAGES) await flush();
    }
    await flush();
    return { entries, newLayers };
  }

  /**
   * Compaction after a commit, off the writer's path. Losing the race to a
   * newer commit (aborted) is fine: the next commit tries again.
   */
  #compactInBackground(name: string): void {
    if (this.#compacting.has(name)) return;
    const compaction = this.compact(name)
      .catch((error: unknown) => {
        if (!(error instanceof StorageError && error.code === "aborted")) {
          console.error(`openduck: compacting database "${name}" failed: ${(error as Error).message}`);
        }
      })
      .finally(() => this.#compacting.delete(name));
    this.#compacting.set(name, compaction);
  }

  /** The resolved manifest of a snapshot; immutable, so cached. */
  async #resolve(snapshotId: bigint): Promise<ResolvedManifest> {
    const cached = this.#resolved.get(snapshotId);
    if (cached !== undefined) return cached;
    const chain = await this.#catalog.manifestChain(snapshotId);
    if (chain.length === 0) throw new StorageError("not_found", `snapshot ${snapshotId} does not exist`);
    // Oldest first: the full manifest, then each delta on it. Start from the newest one already resolved.
    chain.sort((a, b) => a.chainDepth - b.chainDepth);
    let start = 0;
    let resolved: ResolvedManifest | undefined;
    for (let index = chain.length - 1; index >= 0; index--) {
      const known = this.#resolved.get((chain[index] as { id: bigint }).id);
      if (known !== undefined) {
        resolved = known;
        start = index + 1;
        break;
      }
    }
    for (const link of chain.slice(start)) {
      resolved = resolveManifest(decodeManifest(link.manifest), resolved);
      this.#remember(link.id, resolved);
    }
    return resolved as ResolvedManifest;
  }

  /** Remembers a new snapshot's manifest and, for a head that reads many layers, starts a compaction. */
  #committed(database: DatabaseRow, snapshot: SnapshotRow, manifest: ResolvedManifest): void {
    this.#remember(snapshot.id, manifest);
    if (!snapshot.private && manifestLayers(manifest).length > COMPACT_ABOVE_LAYERS) {
      this.#compactInBackground(database.name);
    }
  }

  /** Half the grace period: a reader that pins a pruned snapshot late still finishes before its layers go. */
  #pinGraceMs(): number {
    return this.#options.gracePeriodMs / 2;
  }

  #remember(snapshotId: bigint, manifest: ResolvedManifest): void {
    this.#resolved.delete(snapshotId);
    this.#resolved.set(snapshotId, manifest);
    if (this.#resolved.size > RESOLVED_CACHE_ENTRIES) {
      const oldest = this.#resolved.keys().next().value;
      if (oldest !== undefined) this.#resolved.delete(oldest);
    }
  }
}

/** A snapshot id as the engine passes it on (decimal digits). */
function snapshotId(id: string): bigint {
  if (!/^[0-9]{1,18}$/.test(id)) {
    throw new StorageError(
      "invalid_argument",
      `invalid snapshot id ${JSON.stringify(id)}: expected decimal digits`,
    );
  }
  return BigInt(id);
}

function snapshotInfo(database: DatabaseRow, row: SnapshotRow, names: string[]): SnapshotInfo {
  return { database: database.name, id: String(row.id), createdAt: row.createdAt, length: row.length, names };
}

/** A page's bytes from its local layer file, in a buffer of `length` (zero-filled past the page's own length). */
async function readLayerPage(
  layerPaths: Map<string, string>,
  entry: PageEntry,
  length: number,
): Promise<Buffer> {
  const bytes = Buffer.alloc(length);
  const source = await openFile(layerPaths.get(entry.layer) ?? "", "r");
  try {
    await source.read(bytes, 0, Math.min(length, entry.length), entry.offset);
  } finally {
    await source.close();
  }
  return bytes;
}

/** Whether two snapshots hold the same bytes (their pages may live in different layers). */
function sameContents(a: ResolvedManifest, b: ResolvedManifest): boolean {
  return (
    a.length === b.length &&
    a.pages.length === b.pages.length &&
    a.pages.every((entry, page) => {
      const other = b.pages[page];
      return other !== undefined && other.length === entry.length && sameHash(other.hash, entry.hash);
    })
  );
}

function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}
