import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { PresignedStagedParts } from "./database-store.js";
import { StorageError } from "./errors.js";
import type { DatabaseRow } from "./metadata/catalog.js";
import { MAX_STAGED_PARTS, validateStagedPart, validateStagedPartRange, validateUploadId } from "./names.js";
import type { ObjectStore } from "./object-store/object-store.js";
import { presignerOf } from "./object-store/presigning.js";

/** Where staged parts live (FORMAT.md §9): `staged/<database id>/<upload id>-<part>`. */
export const STAGED_PREFIX = "staged/";

/**
 * The largest part a write reads. StageRows takes at most 5 MiB (one
 * request), but a client that PUTs parts to presigned URLs may send larger
 * ones, and nothing in S3 can limit a presigned PUT's size.
 */
export const MAX_STAGED_OBJECT_BYTES = 64 * 1024 * 1024;

/** How long a presigned part URL works: long enough to upload 64 parts of 64 MiB over a slow link. */
const PART_URL_LIFETIME_MS = 3600_000;

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

  /** URLs to PUT parts first … first + count - 1 to: the keys `put` writes. */
  async presign(
    database: DatabaseRow,
    uploadId: string,
    first: number,
    count: number,
  ): Promise<PresignedStagedParts> {
    validateUploadId(uploadId);
    validateStagedPartRange(first, count);
    const presign = presignerOf(this.#objects, "send the parts with StageRows instead");
    const seconds = PART_URL_LIFETIME_MS / 1000;
    const urls = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        presign(partKey(database, uploadId, first + i), "PUT", seconds),
      ),
    );
    return { urls, expiresInMs: PART_URL_LIFETIME_MS };
  }

  /**
   * Downloads parts 0 … parts-1 into `directory`; their paths, in part order.
   * A part larger than MAX_STAGED_OBJECT_BYTES is refused once downloaded,
   * before anything reads it.
   */
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
        let size: number;
        try {
          size = await this.#objects.download(partKey(database, uploadId, part), paths[part] as string);
        } catch (error) {
          next = parts;
          if (!(error instanceof StorageError && error.code === "not_found")) throw error;
          throw new StorageError(
            "failed_precondition",
            `part ${part} of upload ${uploadId} to database "${database.name}" is not staged: stage parts 0 to ${parts - 1} first, with StageRows or PUT to PrepareStagedParts URLs (staged rows are kept for a limited time)`,
          );
        }
        if (size > MAX_STAGED_OBJECT_BYTES) {
          next = parts;
          throw new StorageError(
            "invalid_argument",
            `part ${part} of upload ${uploadId} to database "${database.name}" is ${size} bytes, more than the ${MAX_STAGED_OBJECT_BYTES} a part may hold: split the rows into more parts`,
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
