export type {
  DatabaseInfo,
  DatabaseStore,
  GarbageReport,
  OpenedSnapshot,
  PresignedResultPart,
  PresignedStagedParts,
  SnapshotInfo,
  WriteSession,
} from "./database-store.js";
export { StorageError, type StorageErrorCode } from "./errors.js";
export {
  type CommitPhase,
  LayeredDatabaseStore,
  type LayeredStoreOptions,
} from "./layered-database-store.js";
export { NeonSqlClient, type NeonSqlClientOptions } from "./metadata/neon-sql-client.js";
export { PGliteSqlClient } from "./metadata/pglite-sql-client.js";
export type { SqlClient, SqlTransaction } from "./metadata/sql-client.js";
export {
  validateDatabaseName,
  validateSnapshotName,
  validateStagedPart,
  validateStagedPartRange,
  validateUploadId,
} from "./names.js";
export { FilesystemObjectStore } from "./object-store/filesystem-object-store.js";
export type { ObjectStore, StoredObject } from "./object-store/object-store.js";
export { S3ObjectStore, type S3ObjectStoreOptions } from "./object-store/s3-object-store.js";
export { MAX_STAGED_OBJECT_BYTES } from "./staged-rows.js";
