import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { Worker } from "@openduck/engine";
import type {
  ExecuteRequest,
  ExecuteResponse,
  PresignStagedRequest,
  PresignStagedResponse,
  StageRequest,
  StageResponse,
  WorkerRegistryService,
} from "@openduck/protocol";
import { RemoteWorker } from "./remote-worker.js";

interface Registration {
  worker: RemoteWorker;
  expiresAt: number;
}

/**
 * The workers that announced themselves to this gateway. Each registration
 * lapses after `ttlMs` unless renewed; queries go round-robin over the live
 * ones.
 */
export class WorkerRegistry implements Worker {
  readonly #registrations = new Map<string, Registration>();
  readonly #secret: string;
  readonly #ttlMs: number;
  #next = 0;

  constructor(secret: string, ttlMs = 15_000) {
    this.#secret = secret;
    this.#ttlMs = ttlMs;
  }

  register(url: string, now = Date.now()): number {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConnectError(`worker URL ${JSON.stringify(url)} is not a URL`, Code.InvalidArgument);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new ConnectError(
        `worker URL must be http or https, not ${parsed.protocol}`,
        Code.InvalidArgument,
      );
    }
    const existing = this.#registrations.get(parsed.href);
    this.#registrations.set(parsed.href, {
      worker: existing?.worker ?? new RemoteWorker(parsed.href, this.#secret),
      expiresAt: now + this.#ttlMs,
    });
    return this.#ttlMs;
  }

  liveWorkers(now = Date.now()): string[] {
    return [...this.#registrations.values()].filter((r) => r.expiresAt >= now).map((r) => r.worker.url);
  }

  execute(request: ExecuteRequest, signal: AbortSignal): AsyncIterable<ExecuteResponse> {
    return this.#choose().execute(request, signal);
  }

  stage(request: StageRequest): Promise<StageResponse> {
    return this.#choose().stage(request);
  }

  presignStaged(request: PresignStagedRequest): Promise<PresignStagedResponse> {
    return this.#choose().presignStaged(request);
  }

  service(): ServiceImpl<typeof WorkerRegistryService> {
    return {
      register: (request) => ({ ttlMs: this.register(request.url) }),
    };
  }

  /** The next live worker, round-robin. */
  #choose(): RemoteWorker {
    const now = Date.now();
    const live = [...this.#registrations.values()].filter((r) => r.expiresAt >= now);
    const chosen = live[this.#next++ % Math.max(1, live.length)];
    if (chosen === undefined) {
      throw new ConnectError(
        "no worker is registered with this gateway: start one with `openduck worker --gateway <this gateway's URL>`",
        Code.Unavailable,
      );
    }
    return chosen.worker;
  }
}
