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
