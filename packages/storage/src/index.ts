export type {
  DatabaseInfo,
  DatabaseStore,
  OpenedSnapshot,
  SnapshotInfo,
  WriteSession,
} from "./database-store.js";
export { StorageError, type StorageErrorCode } from "./errors.js";
export { FileDatabaseStore } from "./file-store/file-database-store.js";
export { validateDatabaseName } from "./names.js";
