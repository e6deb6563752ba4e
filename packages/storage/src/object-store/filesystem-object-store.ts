import { randomUUID } from "node:crypto";
import { constants, type Dir } from "node:fs";
import { copyFile, link, mkdir, open, opendir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { StorageError } from "../errors.js";
import type { ObjectStore, StoredObject } from "./object-store.js";

/**
 * Objects as files under a root directory: key "a/b" is the file `<root>/a/b`.
 * Names beginning with "." belong to the store (files being written), so no
 * key segment may begin with one; and a key cannot be both an object and a
 * folder of other objects ("a" and "a/b").
 */
export class FilesystemObjectStore implements ObjectStore {
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    const path = this.#path(key);
    // Saves writing a large layer that is already there; link() below is
    // what actually decides.
    if (await this.#isObject(key, path)) return false;
    // link() fails with EEXIST instead of replacing an object another writer
    // put meanwhile.
    return this.#writeThrough(key, path, body, async (temporary) => {
      try {
        await link(temporary, path);
        return true;
      } catch (error) {
        if (errorCode(error) === "EEXIST") return false;
        throw error;
      }
    });
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const path = this.#path(key);
    await this.#isObject(key, path); // for its clear error when the key is a folder of objects
    // rename() replaces an existing object atomically: readers see the old bytes or the new ones.
    await this.#writeThrough(key, path, body, async (temporary) => {
      await rename(temporary, path);
      return true;
    });
  }

  async get(key: string): Promise<Uint8Array> {
    const path = this.#path(key);
    try {
      const bytes = await readFile(path);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      throw isAbsent(error) ? this.#notFound(key) : error;
    }
  }

  async download(key: string, path: string): Promise<number> {
    const source = this.#path(key);
    try {
      // Objects are never changed in place (put renames a new file over them), so a hard link is a copy that
      // costs nothing; across file systems, a reflink where the file system has them (btrfs, XFS), else bytes.
      await rm(path, { force: true });
      await link(source, path).catch(async (error: NodeJS.ErrnoException) => {
        if (error.code !== "EXDEV" && error.code !== "EPERM" && error.code !== "EMLINK") throw error;
        await copyFile(source, path, constants.COPYFILE_FICLONE);
      });
    } catch (error) {
      // ENOENT may also mean the destination's directory is missing.
      if (isAbsent(error) && !(await exists(source))) throw this.#notFound(key);
      throw error;
    }
    return (await stat(path)).size;
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    // Only the directory the prefix names can hold matches.
    const directory = prefix.slice(0, prefix.lastIndexOf("/") + 1);
    const segments = directory.split("/").slice(0, -1);
    if (!segments.every(isValidSegment)) return;
    for await (const object of this.#walk(join(this.#root, ...segments), directory)) {
      if (object.key.startsWith(prefix)) yield object;
    }
  }

  localPath(key: string): string {
    return this.#path(key);
  }

  async *#walk(dir: string, keyPrefix: string): AsyncGenerator<StoredObject> {
    let entries: Dir;
    try {
      entries = await opendir(dir);
    } catch (error) {
      // A directory that does not exist (yet, or any more) holds no objects.
      if (isAbsent(error)) return;
      throw error;
    }
    for await (const entry of entries) {
      if (entry.name.startsWith(".")) continue;
      const path = join(dir, entry.name);
      const key = keyPrefix + entry.name;
      if (entry.isDirectory()) {
        yield* this.#walk(path, `${key}/`);
      } else if (entry.isFile()) {
        const info = await stat(path).catch((error: unknown) => {
          if (errorCode(error) === "ENOENT") return undefined;
          throw error;
        });
        if (info) yield { key, size: info.size, lastModified: info.mtime };
      }
    }
  }

  /** Whether an object is at `path`; throws when the key clashes with a folder of objects. */
  async #isObject(key: string, path: string): Promise<boolean> {
    const existing = await stat(path).catch((error: unknown) => {
      if (errorCode(error) === "ENOENT") return undefined;
      // A parent of the key is itself an object.
      throw errorCode(error) === "ENOTDIR" ? this.#folderConflict(key) : error;
    });
    if (existing?.isDirectory()) throw this.#folderConflict(key);
    return existing !== undefined;
  }

  /**
   * Writes `body` whole and flushed under a temporary name beside `path`,
   * then lets `place` move it to its key: readers never see a partial
   * object, and a crash cannot leave an object whose bytes never reached the
   * disk (the commit that follows in the metadata relies on it).
   */
  async #writeThrough(
    key: string,
    path: string,
    body: Uint8Array,
    place: (temporary: string) => Promise<boolean>,
  ): Promise<boolean> {
    const dir = dirname(path);
    await mkdir(dir, { recursive: true }).catch((error: unknown) => {
      // Another writer put an object at a parent of the key meanwhile.
      throw errorCode(error) === "ENOTDIR" || errorCode(error) === "EEXIST"
        ? this.#folderConflict(key)
        : error;
    });
    const temporary = join(dir, `.${randomUUID()}.tmp`);
    try {
      const file = await open(temporary, "wx");
      try {
        await file.writeFile(body);
        await file.datasync();
      } finally {
        await file.close();
      }
      const placed = await place(temporary);
      if (placed) await syncDirectory(dir);
      return placed;
    } finally {
      await rm(temporary, { force: true });
    }
  }

  #path(key: string): string {
    if (key.includes("\0") || !key.split("/").every(isValidSegment)) {
      throw new StorageError(
        "invalid_argument",
        `invalid object key ${JSON.stringify(key)}: it must be relative, with no empty segment and none beginning with "."`,
      );
    }
    return join(this.#root, key);
  }

  /** S3 can hold both "a" and "a/b"; a file system cannot. */
  #folderConflict(key: string): StorageError {
    return new StorageError(
      "invalid_argument",
      `object key ${key} clashes with another key in ${this.#root}: one cannot be both an object and a folder of objects`,
    );
  }

  #notFound(key: string): StorageError {
    return new StorageError("not_found", `object ${key} not found in ${this.#root}`);
  }
}

/** Also rules out "." and "..": a key never leaves the root. */
function isValidSegment(segment: string): boolean {
  return segment.length > 0 && !segment.startsWith(".");
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isAbsent(error)) return false;
    throw error;
  }
}

/** ENOTDIR: a parent of the path is a file, so nothing is at the path. */
function isAbsent(error: unknown): boolean {
  return errorCode(error) === "ENOENT" || errorCode(error) === "ENOTDIR";
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
