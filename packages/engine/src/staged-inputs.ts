import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import type { StagedRows } from "@openduck/protocol";
import type { DatabaseStore } from "@openduck/storage";

/**
 * The staged uploads one statement reads (ExecuteRequest.staged), fetched
 * into a scratch directory of their own: the extension's openduck_staged
 * reads them there by upload id.
 */
export class StagedInputs {
  /** Upload id → its parts' local paths, in part order. */
  readonly paths: ReadonlyMap<string, string[]>;
  readonly #store: DatabaseStore;
  readonly #database: string;
  readonly #directory: string;

  private constructor(
    store: DatabaseStore,
    database: string,
    directory: string,
    paths: Map<string, string[]>,
  ) {
    this.#store = store;
    this.#database = database;
    this.#directory = directory;
    this.paths = paths;
  }

  static async fetch(
    store: DatabaseStore,
    database: string,
    uploads: StagedRows[],
    scratch: string,
  ): Promise<StagedInputs> {
    const directory = join(scratch, "staged", randomUUID());
    const paths = new Map<string, string[]>();
    const inputs = new StagedInputs(store, database, directory, paths);
    if (new Set(uploads.map((upload) => upload.uploadId)).size !== uploads.length) {
      throw new ConnectError("an upload id is named twice in `staged`", Code.InvalidArgument);
    }
    try {
      for (const upload of uploads) {
        paths.set(
          upload.uploadId,
          await store.fetchStaged(database, upload.uploadId, upload.parts, directory),
        );
      }
    } catch (error) {
      await inputs.remove();
      throw error;
    }
    return inputs;
  }

  /**
   * Deletes the uploads from the store once the statement that read them
   * committed: they served their purpose. A failure is left to garbage
   * collection, which deletes forgotten uploads anyway.
   */
  async drop(): Promise<void> {
    for (const uploadId of this.paths.keys()) {
      await this.#store.dropStaged(this.#database, uploadId).catch(() => undefined);
    }
  }

  /** Removes the local copies. */
  async remove(): Promise<void> {
    await rm(this.#directory, { recursive: true, force: true });
  }
}
