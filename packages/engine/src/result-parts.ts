import { create } from "@bufbuild/protobuf";
import { type ArrowBatch, type ExecuteResponse, ExecuteResponseSchema } from "@openduck/protocol";
import { type DatabaseStore, StorageError } from "@openduck/storage";

/**
 * Batches are written as a result part once this many bytes of them
 * gathered: large enough that a part's request to the object store is cheap
 * next to its transfer, small enough to hold in memory. A result smaller
 * than this stays inline.
 */
const RESULT_PART_BYTES = 8 * 1024 * 1024;

/**
 * A read's messages (ExecuteRequest.result_parts) with its batches written
 * as result parts: consecutive batches, in order, until they reach
 * RESULT_PART_BYTES (so a part exceeds it by less than a batch; the last
 * part may be smaller), answered with a URL instead of their rows. A result
 * that never reaches RESULT_PART_BYTES keeps its batches. The header, progress and the
 * end pass unchanged, and so does everything of a write (its result is
 * small and held until the commit) or of a store that cannot presign.
 */
export async function* inResultParts(
  messages: AsyncIterable<ExecuteResponse> | Iterable<ExecuteResponse>,
  store: Pick<DatabaseStore, "putResultPart">,
): AsyncGenerator<ExecuteResponse> {
  let grouping = false;
  let wroteParts = false;
  const pending: ArrowBatch[] = [];
  let bytes = 0;
  for await (const message of messages) {
    const { payload } = message;
    if (payload.case === "header") grouping = !payload.value.write;
    if (!grouping || (payload.case !== "batch" && payload.case !== "end")) {
      yield message;
      continue;
    }
    if (payload.case === "batch") {
      pending.push(payload.value);
      bytes += payload.value.ipc.byteLength;
      if (bytes < RESULT_PART_BYTES) continue;
    }
    // A part is full, or the result ended.
    if (pending.length > 0) {
      const small = payload.case === "end" && !wroteParts;
      const part = small ? undefined : await resultPart(store, pending, bytes);
      if (part === undefined) {
        // Small enough to stay inline, or the store cannot presign: then the rest passes through as well.
        grouping = false;
        for (const batch of pending) {
          yield create(ExecuteResponseSchema, { payload: { case: "batch", value: batch } });
        }
      } else {
        wroteParts = true;
        yield part;
      }
      pending.length = 0;
      bytes = 0;
    }
    if (payload.case === "end") yield message;
  }
}

/** Writes the batches as one part; undefined when the store cannot presign. */
async function resultPart(
  store: Pick<DatabaseStore, "putResultPart">,
  batches: ArrowBatch[],
  bytes: number,
): Promise<ExecuteResponse | undefined> {
  const body = new Uint8Array(bytes);
  let offset = 0;
  let rows = 0n;
  for (const batch of batches) {
    body.set(batch.ipc, offset);
    offset += batch.ipc.byteLength;
    rows += batch.rowCount;
  }
  try {
    const { url, expiresInMs } = await store.putResultPart(body);
    return create(ExecuteResponseSchema, {
      payload: {
        case: "resultPart",
        value: { url, byteLength: BigInt(bytes), rowCount: rows, expiresInMs: BigInt(expiresInMs) },
      },
    });
  } catch (error) {
    if (error instanceof StorageError && error.code === "unsupported") return undefined;
    throw error;
  }
}
