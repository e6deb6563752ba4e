import type { DuckDBInstance } from "@duckdb/node-api";
import { IpcConnection } from "./ipc-connection.js";

/** An open snapshot: the DuckDB instance over it, and what to release once it is closed. */
export interface OpenDatabase {
  instance: DuckDBInstance;
  database: string;
  release(): void;
}

interface Entry {
  open: Promise<OpenDatabase>;
  idle: IpcConnection[];
  users: number;
  lastUsed: number;
}

/**
 * Keeps recently used snapshots open, with connections ready to query them:
 * fetching layers, opening DuckDB, connecting and preparing cost far more
 * than a small query. Snapshots never change, so an open one stays valid for
 * as long as it is kept; the least recently used idle ones are closed beyond
 * `capacity`.
 */
export class OpenDatabases {
  readonly #entries = new Map<string, Entry>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /**
   * Lends a connection to the snapshot `key`, opening it with `open` unless
   * it is open. Give it back with `release(true)` when its query ran to the
   * end, so the next query reuses it; `release(false)` closes it.
   */
  async acquire(
    key: string,
    open: () => Promise<OpenDatabase>,
  ): Promise<{ connection: IpcConnection; release: (reusable: boolean) => void }> {
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { open: open(), idle: [], users: 0, lastUsed: 0 };
      this.#entries.set(key, entry);
    }
    entry.users++;
    entry.lastUsed = performance.now();
    const current = entry;
    let connection: IpcConnection;
    try {
      const database = await current.open;
      connection = current.idle.pop() ?? (await IpcConnection.open(database.instance, database.database));
    } catch (error) {
      current.users--;
      if (this.#entries.get(key) === current) this.#entries.delete(key);
      throw error;
    }
    let released = false;
    return {
      connection,
      release: (reusable) => {
        if (released) return;
        released = true;
        current.users--;
        if (reusable && this.#entries.get(key) === current) current.idle.push(connection);
        else connection.close();
        this.#evict();
      },
    };
  }

  async closeAll(): Promise<void> {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    for (const entry of entries) await close(entry);
  }

  #evict(): void {
    if (this.#entries.size <= this.#capacity) return;
    const idle = [...this.#entries.entries()]
      .filter(([, entry]) => entry.users === 0)
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    for (const [key, entry] of idle) {
      if (this.#entries.size <= this.#capacity) return;
      this.#entries.delete(key);
      void close(entry);
    }
  }
}

async function close(entry: Entry): Promise<void> {
  for (const connection of entry.idle.splice(0)) connection.close();
  const database = await entry.open.catch(() => undefined);
  database?.instance.closeSync();
  database?.release();
}
