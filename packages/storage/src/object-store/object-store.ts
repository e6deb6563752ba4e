/**
 * Where layers live: a flat namespace of objects addressed by key (e.g.
 * "layers/<sha256>", immutable; "staged/…", replaceable; "results/…").
 * Implementations: a directory on the local file system, and S3 or any
 * S3-compatible server.
 */
export interface ObjectStore {
  /**
   * Writes the object unless one with this key exists. Returns whether it
   * wrote. Content-addressed keys make an existing object equal to `body`.
   */
  putIfAbsent(key: string, body: Uint8Array): Promise<boolean>;
  /** Writes the object, replacing one with this key (for objects that are not content-addressed). */
  put(key: string, body: Uint8Array): Promise<void>;
  /** The whole object. Throws StorageError "not_found" when it does not exist. */
  get(key: string): Promise<Uint8Array>;
  /**
   * Streams the object into a new local file at `path` (created, or
   * replaced), returning its size. Throws StorageError "not_found".
   */
  download(key: string, path: string): Promise<number>;
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with `prefix`, in no particular order. */
  list(prefix: string): AsyncIterable<StoredObject>;
  /**
   * A local file that holds the object's bytes, for stores that keep objects
   * on the local file system (readers then use it in place instead of
   * downloading); undefined for remote stores.
   */
  localPath(key: string): string | undefined;
  /**
   * A URL that lets anyone holding it GET or PUT the object, without
   * credentials, for `expiresInSeconds`: for stores clients can reach
   * (S3), so that large uploads and results bypass the gateway. Stores that
   * clients cannot reach (a local directory) leave it out.
   */
  presign?(key: string, method: "GET" | "PUT", expiresInSeconds: number): Promise<string>;
}

export interface StoredObject {
  key: string;
  size: number;
  lastModified: Date;
}
