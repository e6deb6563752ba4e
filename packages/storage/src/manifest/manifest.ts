import { StorageError } from "../errors.js";
import { pageCount, pageLength } from "./page-layout.js";

/** Where one page's bytes are: a layer, an offset in it, and their hash. */
export interface PageEntry {
  page: number;
  /** Hex SHA-256 of the layer (its content address). */
  layer: string;
  offset: number;
  length: number;
  /** SHA-256 of the page's bytes. */
  hash: Uint8Array;
}

/** A snapshot's manifest as stored (FORMAT.md §3): all pages, or the pages that changed on the parent. */
export interface Manifest {
  length: number;
  kind: "full" | "delta";
  entries: PageEntry[];
}

/** A fully resolved manifest: entry i is page i. */
export interface ResolvedManifest {
  length: number;
  pages: PageEntry[];
}

const MAGIC = 0x464d444f;
const VERSION = 1;
const HASH_BYTES = 32;
const ENTRY_BYTES = 4 + 4 + 8 + 4 + HASH_BYTES;

export function encodeManifest(manifest: Manifest): Uint8Array {
  const layers = [...new Set(manifest.entries.map((entry) => entry.layer))];
  const ordinals = new Map(layers.map((layer, index) => [layer, index]));
  const size = 4 + 4 + 8 + 4 + 4 + layers.length * HASH_BYTES + 4 + manifest.entries.length * ENTRY_BYTES;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  let at = 0;
  const u32 = (value: number) => {
    view.setUint32(at, value, true);
    at += 4;
  };
  const u64 = (value: number) => {
    view.setBigUint64(at, BigInt(value), true);
    at += 8;
  };
  const hash = (value: Uint8Array) => {
    bytes.set(value, at);
    at += HASH_BYTES;
  };
  u32(MAGIC);
  u32(VERSION);
  u64(manifest.length);
  u32(manifest.kind === "full" ? 0 : 1);
  u32(layers.length);
  for (const layer of layers) hash(Buffer.from(layer, "hex"));
  const entries = [...manifest.entries].sort((a, b) => a.page - b.page);
  u32(entries.length);
  for (const entry of entries) {
    u32(entry.page);
    u32(ordinals.get(entry.layer) ?? 0);
    u64(entry.offset);
    u32(entry.length);
    hash(entry.hash);
  }
  return bytes;
}

export function decodeManifest(bytes: Uint8Array): Manifest {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const need = (count: number) => {
    if (at + count > bytes.byteLength) throw corrupt("it ends early");
  };
  const u32 = () => {
    need(4);
    const value = view.getUint32(at, true);
    at += 4;
    return value;
  };
  const u64 = () => {
    need(8);
    const value = Number(view.getBigUint64(at, true));
    at += 8;
    return value;
  };
  const hash = () => {
    need(HASH_BYTES);
    const value = bytes.slice(at, at + HASH_BYTES);
    at += HASH_BYTES;
    return value;
  };
  if (u32() !== MAGIC) throw corrupt("its magic number is wrong");
  const version = u32();
  if (version !== VERSION) throw corrupt(`version ${version} is not supported`);
  const length = u64();
  const kind = u32() === 0 ? "full" : "delta";
  const layers = Array.from({ length: u32() }, () => Buffer.from(hash()).toString("hex"));
  const entries: PageEntry[] = Array.from({ length: u32() }, () => {
    const page = u32();
    const layer = layers[u32()];
    if (layer === undefined) throw corrupt("an entry names a layer it does not list");
    return { page, layer, offset: u64(), length: u32(), hash: hash() };
  });
  if (at !== bytes.byteLength) throw corrupt("it has trailing bytes");
  return { length, kind, entries };
}

function corrupt(why: string): StorageError {
  return new StorageError("data_loss", `a snapshot manifest is corrupt: ${why}`);
}

/** Applies a manifest to its parent's resolved manifest (none for a full one). */
export function resolveManifest(manifest: Manifest, parent: ResolvedManifest | undefined): ResolvedManifest {
  const count = pageCount(manifest.length);
  let pages: PageEntry[];
  if (manifest.kind === "full") {
    pages = new Array<PageEntry>(count);
  } else {
    if (parent === undefined) throw corrupt("a delta manifest has no parent");
    pages = parent.pages.slice(0, count);
  }
  for (const entry of manifest.entries) {
    if (entry.page >= count) throw corrupt(`page ${entry.page} lies beyond the file's ${count} pages`);
    pages[entry.page] = entry;
  }
  for (let page = 0; page < count; page++) {
    const entry = pages[page];
    if (entry === undefined) throw corrupt(`page ${page} is in no layer`);
    if (entry.length !== pageLength(page, manifest.length)) {
      throw corrupt(
        `page ${page} has ${entry.length} bytes where the file length implies ${pageLength(page, manifest.length)}`,
      );
    }
  }
  return { length: manifest.length, pages };
}

/** The distinct layers a resolved manifest reads. */
export function manifestLayers(manifest: ResolvedManifest): string[] {
  return [...new Set(manifest.pages.map((entry) => entry.layer))];
}
