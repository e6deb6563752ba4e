import type { ServiceImpl } from "@connectrpc/connect";
import { toConnectError, type Worker } from "@openduck/engine";
import type { WorkerService } from "@openduck/protocol";

/** Serves a worker over the internal WorkerService. */
export function workerService(worker: Worker): ServiceImpl<typeof WorkerService> {
  return {
    async *execute(request, context) {
      try {
        yield* worker.execute(request, context.signal);
      } catch (error) {
        throw toConnectError(error);
      }
    },
    async stage(request) {
      try {
        return await worker.stage(request);
      } catch (error) {
        throw toConnectError(error);
      }
    },
    async presignStaged(request) {
      try {
        return await worker.presignStaged(request);
      } catch (error) {
        throw toConnectError(error);
      }
    },
  };
}
