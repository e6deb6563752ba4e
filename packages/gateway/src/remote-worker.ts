import { type Client, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import type { Worker } from "@openduck/engine";
import {
  abortableFetch,
  type ExecuteRequest,
  type ExecuteResponse,
  type PresignStagedRequest,
  type PresignStagedResponse,
  type StageRequest,
  type StageResponse,
  WorkerService,
} from "@openduck/protocol";

/** A worker in another process, reached over the internal WorkerService. */
export class RemoteWorker implements Worker {
  readonly url: string;
  readonly #client: Client<typeof WorkerService>;

  constructor(url: string, secret: string) {
    this.url = url;
    const authorize: Interceptor = (next) => (request) => {
      request.header.set("authorization", `Bearer ${secret}`);
      return next(request);
    };
    this.#client = createClient(
      WorkerService,
      createConnectTransport({
        baseUrl: url,
        useBinaryFormat: true,
        interceptors: [authorize],
        fetch: abortableFetch((input, init) => globalThis.fetch(input, init)),
      }),
    );
  }

  async *execute(request: ExecuteRequest, signal: AbortSignal): AsyncGenerator<ExecuteResponse> {
    try {
      yield* this.#client.execute(request, { signal });
    } catch (error) {
      throw withoutMetadata(error);
    }
  }

  async stage(request: StageRequest): Promise<StageResponse> {
    try {
      return await this.#client.stage(request);
    } catch (error) {
      throw withoutMetadata(error);
    }
  }

  async presignStaged(request: PresignStagedRequest): Promise<PresignStagedResponse> {
    try {
      return await this.#client.presignStaged(request);
    } catch (error) {
      throw withoutMetadata(error);
    }
  }
}

/**
 * Keeps the code and message only: the error's metadata holds the worker's HTTP headers, which must not become
 * the headers of the gateway's response.
 */
function withoutMetadata(error: unknown): ConnectError {
  const cause = ConnectError.from(error);
  return new ConnectError(cause.rawMessage, cause.code);
}
