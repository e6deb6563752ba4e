import type {
  ExecuteRequest,
  ExecuteResponse,
  PresignStagedRequest,
  PresignStagedResponse,
  StageRequest,
  StageResponse,
} from "@openduck/protocol";

/**
 * Runs SQL for a gateway. The stream starts with a header, then batches and
 * progress, and ends with an end message; any failure is thrown as a
 * ConnectError whose code the gateway passes on to the client. Aborting
 * `signal` stops the query.
 */
export interface Worker {
  execute(request: ExecuteRequest, signal: AbortSignal): AsyncIterable<ExecuteResponse>;
  /** Stores one part of staged rows for a later execute to read. */
  stage(request: StageRequest): Promise<StageResponse>;
  /** URLs the client PUTs parts of staged rows to itself; UNIMPLEMENTED when the store cannot hand them out. */
  presignStaged(request: PresignStagedRequest): Promise<PresignStagedResponse>;
}
