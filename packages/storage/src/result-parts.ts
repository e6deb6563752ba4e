import { randomUUID } from "node:crypto";
import type { PresignedResultPart } from "./database-store.js";
import type { ObjectStore } from "./object-store/object-store.js";
import { presignerOf } from "./object-store/presigning.js";

/** Where result parts live (FORMAT.md §10): `results/<random uuid>`. */
export const RESULTS_PREFIX = "results/";

/**
 * Writes rows of a result as an object and hands out a URL to GET it for
 * `lifetimeMs`, after which garbage collection deletes the object. Checks
 * that the store can presign before writing anything.
 */
export async function putResultPart(
  objects: ObjectStore,
  bytes: Uint8Array,
  lifetimeMs: number,
): Promise<PresignedResultPart> {
  const presign = presignerOf(objects, "results are streamed instead");
  const key = `${RESULTS_PREFIX}${randomUUID()}`;
  await objects.put(key, bytes);
  // Presigned URLs last whole seconds; rounded down, the URL expires about when garbage collection may delete it.
  const seconds = Math.max(1, Math.floor(lifetimeMs / 1000));
  return { url: await presign(key, "GET", seconds), expiresInMs: seconds * 1000 };
}
