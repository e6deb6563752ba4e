import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { StorageError } from "../errors.js";
import { decodeManifest, encodeManifest, type PageEntry, resolveManifest } from "./manifest.js";
import { BLOCK_BYTES, HEADER_BYTES, pageCount, pageLength, pageOffset } from "./page-layout.js";

const layerA = "a".repeat(64);
const layerB = "b".repeat(64);

function entry(page: number, layer: string, length: number): PageEntry {
  return {
    page,
    layer,
    offset: page * 1000,
    length,
    hash: new Uint8Array(createHash("sha256").update(`${layer}${page}`).digest()),
  };
}

describe("page layout", () => {
  it("puts DuckDB's headers in page 0 and each block in a page of its own", () => {
    expect(pageCount(0)).toBe(0);
    expect(pageCount(HEADER_BYTES)).toBe(1);
    expect(pageCount(HEADER_BYTES + BLOCK_BYTES)).toBe(2);
    expect(pageCount(HEADER_BYTES + BLOCK_BYTES + 1)).toBe(3);
    expect(pageOffset(0)).toBe(0);
    expect(pageOffset(1)).toBe(HEADER_BYTES);
    expect(pageOffset(3)).toBe(HEADER_BYTES + 2 * BLOCK_BYTES);
    expect(pageLength(0, 100)).toBe(100);
    expect(pageLength(1, HEADER_BYTES + BLOCK_BYTES)).toBe(BLOCK_BYTES);
    expect(pageLength(2, HEADER_BYTES + BLOCK_BYTES + 7)).toBe(7);
  });
});

describe("manifests", () => {
  const length = HEADER_BYTES + 2 * BLOCK_BYTES;
  const full = {
    length,
    kind: "full" as const,
    entries: [entry(0, layerA, HEADER_BYTES), entry(1, layerA, BLOCK_BYTES), entry(2, layerB, BLOCK_BYTES)],
  };

  it("round-trip through their encoding", () => {
    expect(decodeManifest(encodeManifest(full))).toEqual(full);
    const delta = { length, kind: "delta" as const, entries: [] };
    expect(decodeManifest(encodeManifest(delta))).toEqual(delta);
  });

  it("resolve a delta on its parent, growing and shrinking the file", () => {
    const parent = resolveManifest(full, undefined);
    const grown = resolveManifest(
      {
        length: length + BLOCK_BYTES,
        kind: "delta",
        entries: [entry(3, layerB, BLOCK_BYTES), entry(0, layerB, HEADER_BYTES)],
      },
      parent,
    );
    expect(grown.pages.map((page) => page.layer)).toEqual([layerB, layerA, layerB, layerB]);
    const shrunk = resolveManifest({ length: HEADER_BYTES + BLOCK_BYTES, kind: "delta", entries: [] }, grown);
    expect(shrunk.pages).toHaveLength(2);
  });

  it("refuse to resolve what does not describe every page exactly", () => {
    expect(() => resolveManifest({ ...full, entries: full.entries.slice(1) }, undefined)).toThrow(
      /page 0 is in no layer/,
    );
    expect(() => resolveManifest({ ...full, length: length + 1 }, undefined)).toThrow(StorageError);
    expect(() => resolveManifest({ length, kind: "delta", entries: [] }, undefined)).toThrow(/no parent/);
  });

  it("detect corrupt encodings as data loss", () => {
    const bytes = encodeManifest(full);
    for (const broken of [
      bytes.slice(0, 10),
      bytes.slice(0, -1),
      Uint8Array.of(...bytes, 0),
      Uint8Array.from(bytes, (b, i) => (i === 0 ? b ^ 1 : b)),
    ]) {
      const error = (() => {
        try {
          decodeManifest(broken);
        } catch (caught) {
          return caught as StorageError;
        }
      })();
      expect(error?.code).toBe("data_loss");
    }
  });
});
