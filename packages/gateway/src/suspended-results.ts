import { randomUUID } from "node:crypto";
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

  /**
   * Keeps `result` running for a StreamResults and returns the id it is kept
   * under; with a `ttlMs` of 0 (a serverless gateway, whose instance freezes
   * between calls) stops it at once and returns "".
   */
  keep(result: SuspendedResult): string {
    if (this.#ttlMs === 0) {
      stop(result, "results are not kept between calls here");
      return "";
    }
    if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#drop(oldest);
    }
    const id = randomUUID();
    const timer = setTimeout(() => this.#drop(id), this.#ttlMs);
    timer.unref();
    this.#entries.set(id, { result, timer });
    return id;
  }

  /** The result kept under `id`, which is no longer kept. */
  take(id: string): SuspendedResult | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    clearTimeout(entry.timer);
    this.#entries.delete(id);
    return entry.result;
  }

  get size(): number {
    return this.#entries.size;
  }

  #drop(id: string): void {
    const result = this.take(id);
    if (result !== undefined) stop(result, "the query's handle was not streamed in time");
  }
}

function stop(result: SuspendedResult, reason: string): void {
  result.stop.abort(new Error(reason));
  // Let the worker's generator run its cleanup (release the snapshot and connection).
  result.rest.return?.().catch(() => {});
}
