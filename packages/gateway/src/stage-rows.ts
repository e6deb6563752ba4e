import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { toConnectError, type Worker } from "@openduck/engine";
import {
  type PrepareStagedPartsRequest,
  type PrepareStagedPartsResponse,
  PrepareStagedPartsResponseSchema,
  PresignStagedRequestSchema,
  StageRequestSchema,
  type StageRowsRequest,
  type StageRowsResponse,
  StageRowsResponseSchema,
} from "@openduck/protocol";
import {
  validateDatabaseName,
  validateStagedPart,
  validateStagedPartRange,
  validateUploadId,
} from "@openduck/storage";

/** The largest part: one request must stay under Lambda's 6 MB, framing and headers included. */
export const MAX_STAGED_PART_BYTES = 5 * 1024 * 1024;

/** ExecutionService.StageRows: checks the part, then a worker stores it. */
export function stageRows(worker: Worker): (request: StageRowsRequest) => Promise<StageRowsResponse> {
  return async (request) => {
    try {
      validateDatabaseName(request.database);
      validateUploadId(request.uploadId);
      validateStagedPart(request.part);
    } catch (error) {
      throw toConnectError(error);
    }
    if (request.arrowIpc.byteLength === 0) {
      throw new ConnectError("arrow_ipc is empty: a part is one Arrow IPC stream", Code.InvalidArgument);
    }
    if (request.arrowIpc.byteLength > MAX_STAGED_PART_BYTES) {
      throw new ConnectError(
        `a part holds at most ${MAX_STAGED_PART_BYTES} bytes of Arrow IPC, this one ${request.arrowIpc.byteLength}: split the rows into more parts`,
        Code.ResourceExhausted,
      );
    }
    const staged = await worker.stage(
      create(StageRequestSchema, {
        database: request.database,
        uploadId: request.uploadId,
        part: request.part,
        arrowIpc: request.arrowIpc,
      }),
    );
    return create(StageRowsResponseSchema, { bytes: staged.bytes });
  };
}

/**
 * ExecutionService.PrepareStagedParts: checks the request, then a worker
 * presigns the parts' URLs; the parts' bytes never pass through the gateway.
 */
export function prepareStagedParts(
  worker: Worker,
): (request: PrepareStagedPartsRequest) => Promise<PrepareStagedPartsResponse> {
  return async (request) => {
    try {
      validateDatabaseName(request.database);
      validateUploadId(request.uploadId);
      validateStagedPartRange(request.firstPart, request.count);
    } catch (error) {
      throw toConnectError(error);
    }
    const presigned = await worker.presignStaged(
      create(PresignStagedRequestSchema, {
        database: request.database,
        uploadId: request.uploadId,
        firstPart: request.firstPart,
        count: request.count,
      }),
    );
    return create(PrepareStagedPartsResponseSchema, {
      urls: presigned.urls,
      expiresInMs: presigned.expiresInMs,
    });
  };
}
