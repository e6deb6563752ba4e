import { StorageError } from "./errors.js";

const databaseName = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Database names become DuckDB catalog names and object-store key parts, so
 * they are plain identifiers: a letter or underscore, then letters, digits
 * and underscores, at most 63 characters.
 */
export function validateDatabaseName(name: string): string {
  if (!databaseName.test(name)) {
    throw new StorageError(
      "invalid_argument",
      `invalid database name ${JSON.stringify(name)}: use a letter or underscore followed by letters, digits or underscores (at most 63 characters)`,
    );
  }
  return name;
}

const snapshotName = /^[A-Za-z_][A-Za-z0-9_.-]{0,62}$/;

/** Snapshot names start with a letter or underscore, so they never read as snapshot ids (digits). */
export function validateSnapshotName(name: string): string {
  if (!snapshotName.test(name)) {
    throw new StorageError(
      "invalid_argument",
      `invalid snapshot name ${JSON.stringify(name)}: use a letter or underscore followed by letters, digits, "_", "." or "-" (at most 63 characters)`,
    );
  }
  return name;
}

const uploadId = /^[0-9a-f]{32}$/;

/** Parts one upload may have: at 5 MiB each, half a terabyte. */
export const MAX_STAGED_PARTS = 100_000;

/** Upload ids name staged objects, so they are random lowercase hex the client draws, 32 characters. */
export function validateUploadId(id: string): string {
  if (!uploadId.test(id)) {
    throw new StorageError(
      "invalid_argument",
      `invalid upload id ${JSON.stringify(id)}: use 32 lowercase hexadecimal characters, drawn at random for each upload`,
    );
  }
  return id;
}

/** Parts are numbered 0, 1, 2, … up to MAX_STAGED_PARTS - 1. */
export function validateStagedPart(part: number): number {
  if (!Number.isInteger(part) || part < 0 || part >= MAX_STAGED_PARTS) {
    throw new StorageError(
      "invalid_argument",
      `part ${part} is out of range: an upload has parts 0 to ${MAX_STAGED_PARTS - 1}`,
    );
  }
  return part;
}

/** Part URLs one PrepareStagedParts call hands out. */
export const MAX_PRESIGNED_PARTS = 64;

/** Parts first … first + count - 1, with 1 to MAX_PRESIGNED_PARTS of them, all valid part numbers. */
export function validateStagedPartRange(first: number, count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PRESIGNED_PARTS) {
    throw new StorageError(
      "invalid_argument",
      `count ${count} is out of range: ask for 1 to ${MAX_PRESIGNED_PARTS} part URLs at a time`,
    );
  }
  validateStagedPart(first);
  if (first + count > MAX_STAGED_PARTS) {
    throw new StorageError(
      "invalid_argument",
      `parts ${first} to ${first + count - 1} are out of range: an upload has parts 0 to ${MAX_STAGED_PARTS - 1}`,
    );
  }
}
