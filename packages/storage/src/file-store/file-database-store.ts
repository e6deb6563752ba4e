import { randomUUID } from "node:crypto";
import { constants as fsConstants, readFileSync, statSync } from "node:fs";
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type {
  DatabaseInfo,
  DatabaseStore,
  OpenedSnapshot,
  SnapshotInfo,
  WriteSession,
} from "../database-store.js";
import { StorageError } from "../errors.js";
import { validateDatabaseName } from "../names.js";

/**
 * The simplest store that keeps the contract: every snapshot is a whole copy
 * of the database file under `<root>/databases/<name>/snapshots/<id>/`, and
 * `head` names the current one. Commits are serialized per database inside
 * this process; it is meant for one process owning its data directory.
 */
export class FileDatabaseStore implements DatabaseStore {
  readonly #root: string;
  readonly #commitLocks = new Map<string, Promise<unknown>>();

  constructor(root: string) {
    this.#root = root;
  }

  async createDatabase(name: string, initialFile: string): Promise<SnapshotInfo> {
    validateDatabaseName(name);
    const dir = this.#databaseDir(name);
    await mkdir(join(this.#root, "databases"), { recursive: true });
    try {
      await mkdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") {
        throw new StorageError("already_exists", `database "${name}" already exists`);
      }
      throw error;
    }
    const id = "1";
    await this.#placeSnapshot(name, id, initialFile);
    await this.#writeHead(name, id);
    return this.#snapshotInfo(name, id);
  }

  async listDatabases(): Promise<DatabaseInfo[]> {
    let names: string[];
    try {
      names = await readdir(join(this.#root, "databases"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const infos: DatabaseInfo[] = [];
    for (const name of names.sort()) {
      const head = await this.#readHead(name).catch(() => undefined);
      if (head === undefined) continue;
      const created = await stat(this.#databaseDir(name));
      infos.push({ name, headSnapshotId: head, createdAt: created.birthtime });
    }
    return infos;
  }

  async openSnapshot(database: string, snapshot?: string): Promise<OpenedSnapshot> {
    validateDatabaseName(database);
    const id = snapshot === undefined || snapshot === "" ? await this.#readHead(database) : snapshot;
    const path = this.#snapshotFile(database, id);
    // Every query resolves its snapshot here: one synchronous stat of a local file costs microseconds, where each
    // asynchronous file operation is a trip through libuv's thread pool.
    let created: Date;
    try {
      created = statSync(path).mtime;
    } catch {
      throw new StorageError("not_found", `database "${database}" has no snapshot "${id}"`);
    }
    return { snapshot: { database, id, createdAt: created }, path, release: () => {} };
  }

  async beginWrite(database: string): Promise<WriteSession> {
    const base = await this.openSnapshot(database);
    const scratch = join(this.#root, "scratch", randomUUID());
    await mkdir(scratch, { recursive: true });
    const path = join(scratch, `${database}.duckdb`);
    await copyFile(base.path, path, fsConstants.COPYFILE_FICLONE);
    const discard = () => rm(scratch, { recursive: true, force: true });
    return {
      base: base.snapshot,
      path,
      commit: () =>
        this.#serialized(database, async () => {
          const head = await this.#readHead(database);
          if (head !== base.snapshot.id) {
            await discard();
            throw new StorageError(
              "aborted",
              `database "${database}" changed while this write ran (head moved from ${base.snapshot.id} to ${head}); retry the statement`,
            );
          }
          const id = String(Number(head) + 1);
          await this.#placeSnapshot(database, id, path);
          await this.#writeHead(database, id);
          await discard();
          return this.#snapshotInfo(database, id);
        }),
      abort: discard,
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.#commitLocks.values());
  }

  #databaseDir(name: string): string {
    return join(this.#root, "databases", name);
  }

  #snapshotFile(name: string, id: string): string {
    if (!/^[0-9]+$/.test(id)) {
      throw new StorageError("not_found", `database "${name}" has no snapshot "${id}"`);
    }
    return join(this.#databaseDir(name), "snapshots", id, `${name}.duckdb`);
  }

  async #placeSnapshot(name: string, id: string, file: string): Promise<void> {
    const target = this.#snapshotFile(name, id);
    await mkdir(join(target, ".."), { recursive: true });
    await rename(file, target).catch(() => copyFile(file, target));
  }

  async #readHead(name: string): Promise<string> {
    try {
      return readFileSync(join(this.#databaseDir(name), "head"), "utf8").trim();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new StorageError("not_found", `database "${name}" does not exist`);
      }
      throw error;
    }
  }

  async #writeHead(name: string, id: string): Promise<void> {
    const head = join(this.#databaseDir(name), "head");
    const temp = `${head}.${randomUUID()}`;
    await writeFile(temp, `${id}\n`);
    await rename(temp, head);
  }

  async #snapshotInfo(database: string, id: string): Promise<SnapshotInfo> {
    const created = await stat(this.#snapshotFile(database, id));
    return { database, id, createdAt: created.mtime };
  }

  #serialized<T>(database: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#commitLocks.get(database) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.#commitLocks.set(
      database,
      next.catch(() => {}),
    );
    return next;
  }
}
