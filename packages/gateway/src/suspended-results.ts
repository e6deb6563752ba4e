import type { ExecuteResponse } from "@openduck/protocol";

/** A read that outgrew ExecuteQuery's inline limit, paused where it stopped. */
export interface SuspendedResult {
  /** Everything the worker sent so far: the header, then batches and progress. */
  received: ExecuteResponse[];
  /** The rest of the worker's answer. */
  rest: AsyncIterator<ExecuteResponse>;
  /** Stops the query on the worker. */
  stop: AbortController;
}

/**
 * Keeps reads that ExecuteQuery answered with a handle running (paused, by
 * backpressure) for the StreamResults call that follows, so the query runs
 * once. Nothing depends on it: a StreamResults that reaches another instance,
 * or comes after `ttlMs`, runs the query again from its handle.
 */
export class SuspendedResults {
  readonly #entries = new Map<string, { result: SuspendedResult; timer: NodeJS.Timeout }>();
  readonly #ttlMs: number;
  readonly #capacity: number;

  constructor(ttlMs = 30_000, capacity = 64) {
    this.#ttlMs = ttlMs;
    this.#capacity = capacity;
  }

  keep(id: string, result: SuspendedResult): void {
    if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#drop(oldest);
    }
    const timer = setTimeout(() => this.#drop(id), this.#ttlMs);
    timer.unref();
    this.#entries.set(id, { result, timer });
  }

  /** The result kept under `id`, which is no longer kept. */
  take(id: string): SuspendedResult | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    clearTimeout(entry.timer);
    this.#entries.delete(id);
    return entry.result;
  }

  /** False when `ttlMs` is 0: nothing is kept, as on a serverless gateway, whose instance freezes between calls. */
  get keeps(): boolean {
    return this.#ttlMs > 0;
  }

  get size(): number {
    return this.#entries.size;
  }

  #drop(id: string): void {
    const result = this.take(id);
    if (result === undefined) return;
    result.stop.abort(new Error("the query's handle was not streamed in time"));
    // Let the worker's generator run its cleanup (release the snapshot and connection).
    result.rest.return?.().catch(() => {});
  }
}
