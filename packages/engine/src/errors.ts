import { Code, ConnectError } from "@connectrpc/connect";
import { StorageError, type StorageErrorCode } from "@openduck/storage";

const storageCodes: Record<StorageErrorCode, Code> = {
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  invalid_argument: Code.InvalidArgument,
  aborted: Code.Aborted,
  data_loss: Code.DataLoss,
  failed_precondition: Code.FailedPrecondition,
  unsupported: Code.Unimplemented,
};

/**
 * DuckDB reports errors as "<Kind> Error: <message>". The kind decides the
 * protocol code; the message reaches the user unchanged.
 */
const duckdbKinds: [RegExp, Code][] = [
  [/^Permission Error/, Code.PermissionDenied],
  [/^INTERRUPT Error|^Interrupted/, Code.Canceled],
  [/^Out of Memory Error/, Code.ResourceExhausted],
  [/^(Transaction|TransactionContext) Error/, Code.Aborted],
  [/^(FATAL|INTERNAL) Error/, Code.Internal],
  [/^IO Error/, Code.Internal],
];

/** Turns anything thrown below the gateway into the ConnectError clients see. */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof StorageError) return new ConnectError(error.message, storageCodes[error.code]);
  const message = error instanceof Error ? error.message : String(error);
  for (const [pattern, code] of duckdbKinds) {
    if (pattern.test(message)) return new ConnectError(message, code);
  }
  if (/^[A-Za-z ]+ Error: /.test(message)) return new ConnectError(message, Code.InvalidArgument);
  return new ConnectError(message, Code.Internal);
}
