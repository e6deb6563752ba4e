import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { StorageError } from "../errors.js";
import type { ObjectStore } from "../object-store/object-store.js";
import { layerKey } from "./layer-key.js";

interface CachedLayer {
  path: string;
  size: number;
  pins: number;
  lastUsed: number;
}

/**
 * Verified local copies of layers, for DuckDB to read pages from. Layers are
 * immutable, so a cached layer is valid forever; the cache is bounded by
 * size, evicting the least recently used layers no open snapshot pins. A
 * store that keeps objects locally is read in place: its layers are only
 * verified, once per process.
 */
export class LayerCache {
  readonly #store: ObjectStore;
  readonly #directory: string;
  readonly #capacityBytes: number;
  readonly #layers = new Map<string, CachedLayer>();
  readonly #loading = new Map<string, Promise<CachedLayer>>();
  #bytes = 0;
  #indexed: Promise<void> | undefined;

  constructor(store: ObjectStore, directory: string, capacityBytes: number) {
    this.#store = store;
    this.#directory = directory;
    this.#capacityBytes = capacityBytes;
  }

  /**
   * Local files for these layers (by hash), pinned until `release`. A layer
   * whose bytes do not match its hash fails with data_loss naming it and
   * `database`.
   */
  async acquire(
    hashes: string[],
    database: string,
  ): Promise<{ paths: Map<string, string>; release: () => void }> {
    await this.#ready();
    const acquired: CachedLayer[] = [];
    try {
      for (const hash of hashes) {
        const layer = await this.#load(hash, database);
        layer.pins++;
        layer.lastUsed = performance.now();
        acquired.push(layer);
      }
    } catch (error) {
      for (const layer of acquired) layer.pins--;
      throw error;
    }
    let released = false;
    return {
      paths: new Map(hashes.map((hash, index) => [hash, (acquired[index] as CachedLayer).path])),
      release: () => {
        if (released) return;
        released = true;
        for (const layer of acquired) layer.pins--;
        void this.#evict();
      },
    };
  }

  /**
   * Keeps a layer this process just wrote, so that reading the snapshot it
   * committed fetches nothing. A store read in place needs no copy.
   */
  async add(hash: string, bytes: Uint8Array): Promise<void> {
    if (this.#layers.has(hash) || this.#store.localPath(layerKey(hash)) !== undefined) return;
    await this.#ready();
    const path = join(this.#directory, hash);
    const temporary = join(this.#directory, `${hash}.${randomUUID()}.part`);
    await writeFile(temporary, bytes);
    await rename(temporary, path);
    this.#layers.set(hash, { path, size: bytes.byteLength, pins: 0, lastUsed: performance.now() });
    this.#bytes += bytes.byteLength;
    await this.#evict();
  }

  /** Bytes held in the cache directory (not counting layers read in place). */
  get cachedBytes(): number {
    return this.#bytes;
  }

  async #load(hash: string, database: string): Promise<CachedLayer> {
    const cached = this.#layers.get(hash);
    if (cached !== undefined) return cached;
    let loading = this.#loading.get(hash);
    if (loading === undefined) {
      loading = this.#fetch(hash, database).finally(() => this.#loading.delete(hash));
      this.#loading.set(hash, loading);
    }
    return loading;
  }

  async #fetch(hash: string, database: string): Promise<CachedLayer> {
    const key = layerKey(hash);
    const local = this.#store.localPath(key);
    if (local !== undefined) {
      const size = await verify(local, hash, database).catch((error: unknown) => {
        throw missingOrCorrupt(error, key, database);
      });
      const layer = { path: local, size, pins: 0, lastUsed: 0 };
      this.#layers.set(hash, layer);
      return layer;
    }
    const path = join(this.#directory, hash);
    const temporary = join(this.#directory, `${hash}.${randomUUID()}.part`);
    try {
      await this.#store.download(key, temporary).catch((error: unknown) => {
        throw missingOrCorrupt(error, key, database);
      });
      const size = await verify(temporary, hash, database);
      await rename(temporary, path);
      const layer = { path, size, pins: 0, lastUsed: 0 };
      this.#layers.set(hash, layer);
      this.#bytes += size;
      return layer;
    } finally {
      await rm(temporary, { force: true });
    }
  }

  #ready(): Promise<void> {
    this.#indexed ??= this.#index();
    return this.#indexed;
  }

  /** Adopts layers a previous process left in the cache directory: only verified layers were ever renamed there. */
  async #index(): Promise<void> {
    await mkdir(this.#directory, { recursive: true });
    for (const name of await readdir(this.#directory)) {
      const path = join(this.#directory, name);
      if (!/^[0-9a-f]{64}$/.test(name)) {
        if (name.endsWith(".part")) await rm(path, { force: true });
        continue;
      }
      const { size } = await stat(path);
      this.#layers.set(name, { path, size, pins: 0, lastUsed: 0 });
      this.#bytes += size;
    }
  }

  async #evict(): Promise<void> {
    if (this.#bytes <= this.#capacityBytes) return;
    const idle = [...this.#layers.entries()]
      .filter(([, layer]) => layer.pins === 0 && layer.path.startsWith(this.#directory))
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [hash, layer] of idle) {
      if (this.#bytes <= this.#capacityBytes) return;
      this.#layers.delete(hash);
      this.#bytes -= layer.size;
      await rm(layer.path, { force: true });
    }
  }
}

async function verify(path: string, hash: string, database: string): Promise<number> {
  const digest = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    digest.update(chunk as Buffer);
    size += (chunk as Buffer).byteLength;
  }
  if (digest.digest("hex") !== hash) {
    throw new StorageError(
      "data_loss",
      `layer ${layerKey(hash)} of database "${database}" is corrupt: its bytes do not match its hash. The data is not served; restore the object from a backup`,
    );
  }
  return size;
}

function missingOrCorrupt(error: unknown, key: string, database: string): unknown {
  if (error instanceof StorageError && error.code === "not_found") {
    return new StorageError(
      "data_loss",
      `layer ${key} of database "${database}" is missing from the object store`,
    );
  }
  if ((error as NodeJS.ErrnoException).code === "ENOENT") {
    return new StorageError(
      "data_loss",
      `layer ${key} of database "${database}" is missing from the object store`,
    );
  }
  return error;
}
