import type { DuckDBInstance } from "@duckdb/node-api";

interface Entry {
  instance: Promise<DuckDBInstance>;
  users: number;
  lastUsed: number;
}

/**
 * Keeps recently used snapshots open: opening a DuckDB file costs far more
 * than a small query. Snapshot files never change, so an open instance stays
 * valid for as long as it is kept; the least recently used idle ones are
 * closed beyond `capacity`.
 */
export class OpenDatabases {
  readonly #entries = new Map<string, Entry>();
  readonly #capacity: number;
  readonly #open: (path: string) => Promise<DuckDBInstance>;

  constructor(capacity: number, open: (path: string) => Promise<DuckDBInstance>) {
    this.#capacity = capacity;
    this.#open = open;
  }

  /** Returns the instance for `path` and a function to call when done with it. */
  async acquire(path: string): Promise<{ instance: DuckDBInstance; release: () => void }> {
    let entry = this.#entries.get(path);
    if (entry === undefined) {
      entry = { instance: this.#open(path), users: 0, lastUsed: 0 };
      this.#entries.set(path, entry);
    }
    entry.users++;
    entry.lastUsed = performance.now();
    const current = entry;
    let instance: DuckDBInstance;
    try {
      instance = await current.instance;
    } catch (error) {
      current.users--;
      if (this.#entries.get(path) === current) this.#entries.delete(path);
      throw error;
    }
    let released = false;
    return {
      instance,
      release: () => {
        if (released) return;
        released = true;
        current.users--;
        this.#evict();
      },
    };
  }

  async closeAll(): Promise<void> {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    for (const entry of entries) {
      const instance = await entry.instance.catch(() => undefined);
      instance?.closeSync();
    }
  }

  #evict(): void {
    if (this.#entries.size <= this.#capacity) return;
    const idle = [...this.#entries.entries()]
      .filter(([, entry]) => entry.users === 0)
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [path, entry] of idle) {
      if (this.#entries.size <= this.#capacity) return;
      this.#entries.delete(path);
      void entry.instance.then(
        (instance) => instance.closeSync(),
        () => {},
      );
    }
  }
}
