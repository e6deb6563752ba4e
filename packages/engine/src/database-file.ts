import { copyFile, open } from "node:fs/promises";
import { StorageError } from "@openduck/storage";

/** DuckDB's file header: 8 bytes of checksum, then the magic bytes. */
const MAGIC = Buffer.from("DUCK");
const MAGIC_OFFSET = 8;

/**
 * Copies the DuckDB database file `from` (and its WAL, if any) to `to`, after
 * checking that it is one: a clear error for a missing file or another kind.
 */
export async function copyDatabaseFile(from: string, to: string): Promise<void> {
  const header = Buffer.alloc(MAGIC_OFFSET + MAGIC.length);
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(from, "r");
  } catch (error) {
    throw new StorageError("invalid_argument", `cannot read ${from}: ${(error as Error).message}`);
  }
  try {
    await file.read(header, 0, header.length, 0);
  } finally {
    await file.close();
  }
  if (!header.subarray(MAGIC_OFFSET).equals(MAGIC)) {
    throw new StorageError("invalid_argument", `${from} is not a DuckDB database file`);
  }
  await copyFile(from, to);
  await copyFile(`${from}.wal`, `${to}.wal`).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
  });
}
