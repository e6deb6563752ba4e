import { randomUUID } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import type { ResolvedManifest } from "../manifest/manifest.js";

/**
 * The files shared with the extension's `odpages:` file system (see
 * extension/README.md): DuckDB opens `odpages:<path>` and reads the pages
 * that `<path>.pages` locates in local layer files; a writable open records
 * the pages it changed in `<path>.dirty` and their bytes in `<path>.overlay`.
 */
const PAGE_TABLE_MAGIC = 0x5450444f;
const DIRTY_MAGIC = 0x5044444f;
const VERSION = 1;

export function attachPath(path: string): string {
  return `odpages:${path}`;
}

/** Writes `<path>.pages` for `manifest`, whose layers are at `layerPaths` (hash → file). */
export async function writePageTable(
  path: string,
  manifest: ResolvedManifest,
  layerPaths: Map<string, string>,
): Promise<void> {
  const sources = [...new Set(manifest.pages.map((entry) => entry.layer))];
  const ordinals = new Map(sources.map((hash, index) => [hash, index]));
  const encodedPaths = sources.map((hash) => {
    const file = layerPaths.get(hash);
    if (file === undefined) throw new Error(`layer ${hash} has no local file`);
    return Buffer.from(file, "utf8");
  });
  const size =
    16 +
    4 +
    encodedPaths.reduce((total, bytes) => total + 4 + bytes.byteLength, 0) +
    4 +
    manifest.pages.length * 16;
  const buffer = Buffer.alloc(size);
  let at = 0;
  at = buffer.writeUInt32LE(PAGE_TABLE_MAGIC, at);
  at = buffer.writeUInt32LE(VERSION, at);
  at = buffer.writeBigUInt64LE(BigInt(manifest.length), at);
  at = buffer.writeUInt32LE(encodedPaths.length, at);
  for (const bytes of encodedPaths) {
    at = buffer.writeUInt32LE(bytes.byteLength, at);
    at += bytes.copy(buffer, at);
  }
  at = buffer.writeUInt32LE(manifest.pages.length, at);
  for (const entry of manifest.pages) {
    at = buffer.writeUInt32LE(ordinals.get(entry.layer) ?? 0, at);
    at = buffer.writeBigUInt64LE(BigInt(entry.offset), at);
    at = buffer.writeUInt32LE(entry.length, at);
  }
  const temporary = `${path}.pages.${randomUUID()}`;
  await writeFile(temporary, buffer);
  await rename(temporary, `${path}.pages`);
}

/** What a writable open changed: the file's final length and the pages written, ascending. */
export interface DirtyPages {
  length: number;
  pages: number[];
}

export async function readDirtyPages(path: string): Promise<DirtyPages | undefined> {
  let buffer: Buffer;
  try {
    buffer = await readFile(`${path}.dirty`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  if (
    buffer.byteLength < 20 ||
    buffer.readUInt32LE(0) !== DIRTY_MAGIC ||
    buffer.readUInt32LE(4) !== VERSION
  ) {
    throw new Error(`${path}.dirty is not a dirty-page list this version understands`);
  }
  const length = Number(buffer.readBigUInt64LE(8));
  const count = buffer.readUInt32LE(16);
  if (buffer.byteLength !== 20 + count * 4) throw new Error(`${path}.dirty has the wrong size`);
  const pages = Array.from({ length: count }, (_, index) => buffer.readUInt32LE(20 + index * 4));
  return { length, pages };
}
