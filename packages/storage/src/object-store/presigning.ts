import { StorageError } from "../errors.js";
import type { ObjectStore } from "./object-store.js";

/**
 * The store's `presign`, or an `unsupported` error (UNIMPLEMENTED to
 * clients) that ends with `instead`: what the client does without URLs.
 */
export function presignerOf(objects: ObjectStore, instead: string): NonNullable<ObjectStore["presign"]> {
  if (objects.presign === undefined) {
    throw new StorageError(
      "unsupported",
      `this deployment keeps its objects where clients cannot reach them (no presigned URLs): ${instead}`,
    );
  }
  return objects.presign.bind(objects);
}
