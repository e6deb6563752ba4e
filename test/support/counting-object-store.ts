import type { ObjectStore, StoredObject } from "@openduck/storage";

/** An object store that counts what goes through it, to show what an operation costs. */
export class CountingObjectStore implements ObjectStore {
  puts = 0;
  bytesPut = 0;
  downloads = 0;
  /** Present only when the wrapped store presigns: its absence is how a store says it cannot. */
  readonly presign?: ObjectStore["presign"];
  readonly #inner: ObjectStore;

  constructor(inner: ObjectStore) {
    this.#inner = inner;
    if (inner.presign !== undefined) this.presign = inner.presign.bind(inner);
  }

  async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    this.puts++;
    this.bytesPut += body.byteLength;
    return this.#inner.putIfAbsent(key, body);
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    this.puts++;
    this.bytesPut += body.byteLength;
    return this.#inner.put(key, body);
  }

  get(key: string): Promise<Uint8Array> {
    return this.#inner.get(key);
  }

  async download(key: string, path: string): Promise<number> {
    this.downloads++;
    return this.#inner.download(key, path);
  }

  delete(key: string): Promise<void> {
    return this.#inner.delete(key);
  }

  list(prefix: string): AsyncIterable<StoredObject> {
    return this.#inner.list(prefix);
  }

  localPath(key: string): string | undefined {
    return this.#inner.localPath(key);
  }
}
