/**
 * Why a storage operation failed, in the terms of the execution protocol's
 * error codes, so every layer above can report it without guessing.
 */
export type StorageErrorCode =
  | "not_found"
  | "already_exists"
  | "invalid_argument"
  | "aborted"
  | "data_loss"
  | "failed_precondition"
  /** The deployment cannot do this (e.g. hand out URLs of a store clients cannot reach). */
  | "unsupported";

export class StorageError extends Error {
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string) {
    super(message);
    this.name = "StorageError";
    this.code = code;
  }
}
