import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { StorageError } from "./errors.js";
import type { DatabaseRow } from "./metadata/catalog.js";
import { MAX_STAGED_PARTS, validateStagedPart, validateUploadId } from "./names.js";
import type { ObjectStore } from "./object-store/object-store.js";

/** Where staged parts live (FORMAT.md §9): `staged/<database id>/<upload id>-<part>`. */
export const STAGED_PREFIX = "staged/";

/** Parts downloaded at a time: enough to hide an object store's latency. */
const PARALLEL_DOWNLOADS = 4;

/**
 * Rows a client stages in parts (each one Arrow IPC stream) for a later
 * write to read. Keys use the database's id, not its name: a database
 * dropped and created again under the same name does not see the old one's
 * uploads. A part staged again replaces the previous one.
 */
export class StagedRows {
  readonly #objects: ObjectStore;

  constructor(objects: ObjectStore) {
    this.#objects = objects;
  }

  async put(database: DatabaseRow, uploadId: string, part: number, bytes: Uint8Array): Promise<void> {
    validateUploadId(uploadId);
    validateStagedPart(part);
    await this.#objects.put(partKey(database, uploadId, part), bytes);
  }

  /** Downloads parts 0 … parts-1 into `directory`; their paths, in part order. */
  async fetch(database: DatabaseRow, uploadId: string, parts: number, directory: string): Promise<string[]> {
    validateUploadId(uploadId);
    if (!Number.isInteger(parts) || parts < 1 || parts > MAX_STAGED_PARTS) {
      throw new StorageError(
        "invalid_argument",
        `upload ${uploadId} names ${parts} parts: an upload has 1 to ${MAX_STAGED_PARTS}`,
      );
    }
    await mkdir(directory, { recursive: true });
    const paths = Array.from({ length: parts }, (_, part) => join(directory, `${uploadId}-${part}.arrow`));
    let next = 0;
    const download = async () => {
      while (next < parts) {
        const part = next++;
        try {
          await this.#objects.download(partKey(database, uploadId, part), paths[part] as string);
        } catch (error) {
          next = parts;
          if (!(error instanceof StorageError && error.code === "not_found")) throw error;
          throw new StorageError(
            "failed_precondition",
            `part ${part} of upload ${uploadId} to database "${database.name}" is not staged: stage parts 0 to ${parts - 1} with StageRows first (staged rows are kept for a limited time)`,
          );
        }
      }
    };
    // Every download finishes before a failure is reported, so the caller can remove the directory for good.
    const outcomes = await Promise.allSettled(
      Array.from({ length: Math.min(PARALLEL_DOWNLOADS, parts) }, download),
    );
    const failed = outcomes.find((outcome) => outcome.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    return paths;
  }

  async drop(database: DatabaseRow, uploadId: string): Promise<void> {
    validateUploadId(uploadId);
    for await (const object of this.#objects.list(`${uploadPrefix(database)}${uploadId}-`)) {
      await this.#objects.delete(object.key);
    }
  }
}

function uploadPrefix(database: DatabaseRow): string {
  return `${STAGED_PREFIX}${database.id}/`;
}

function partKey(database: DatabaseRow, uploadId: string, part: number): string {
  return `${uploadPrefix(database)}${uploadId}-${part}`;
}
