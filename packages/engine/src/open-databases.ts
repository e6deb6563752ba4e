import type { DuckDBInstance } from "@duckdb/node-api";
import { IpcConnection } from "./ipc-connection.js";

interface Entry {
  instance: Promise<DuckDBInstance>;
  idle: IpcConnection[];
  users: number;
  lastUsed: number;
}

/**
 * Keeps recently used snapshots open, with connections ready to query them:
 * opening a DuckDB file, connecting and preparing cost far more than a small
 * query. Snapshot files never change, so an open instance stays valid for as
 * long as it is kept; the least recently used idle ones are closed beyond
 * `capacity`.
 */
export class OpenDatabases {
  readonly #entries = new Map<string, Entry>();
  readonly #capacity: number;
  readonly #open: (path: string) => Promise<DuckDBInstance>;

  constructor(capacity: number, open: (path: string) => Promise<DuckDBInstance>) {
    this.#capacity = capacity;
    this.#open = open;
  }

  /**
   * Lends a connection to the database file at `path`. Give it back with
   * `release(true)` when its query ran to the end, so the next query reuses
   * it; `release(false)` closes it.
   */
  async acquire(path: string): Promise<{ connection: IpcConnection; release: (reusable: boolean) => void }> {
    let entry = this.#entries.get(path);
    if (entry === undefined) {
      entry = { instance: this.#open(path), idle: [], users: 0, lastUsed: 0 };
      this.#entries.set(path, entry);
    }
    entry.users++;
    entry.lastUsed = performance.now();
    const current = entry;
    let connection: IpcConnection;
    try {
      connection = current.idle.pop() ?? (await IpcConnection.open(await current.instance));
    } catch (error) {
      current.users--;
      if (this.#entries.get(path) === current) this.#entries.delete(path);
      throw error;
    }
    let released = false;
    return {
      connection,
      release: (reusable) => {
        if (released) return;
        released = true;
        current.users--;
        if (reusable && this.#entries.get(path) === current) current.idle.push(connection);
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
    for (const [path, entry] of idle) {
      if (this.#entries.size <= this.#capacity) return;
      this.#entries.delete(path);
      void close(entry);
    }
  }
}

async function close(entry: Entry): Promise<void> {
  for (const connection of entry.idle.splice(0)) connection.close();
  const instance = await entry.instance.catch(() => undefined);
  instance?.closeSync();
}
