/**
 * How a DuckDB file splits into pages (FORMAT.md §1): page 0 is the three
 * 4 KiB headers, every further page one 256 KiB block, so a changed block is
 * exactly one changed page.
 */
export const HEADER_BYTES = 12288;
export const BLOCK_BYTES = 262144;

export function pageCount(length: number): number {
  if (length <= 0) return 0;
  return 1 + Math.ceil(Math.max(0, length - HEADER_BYTES) / BLOCK_BYTES);
}

/** Where page `index` starts in the file. */
export function pageOffset(index: number): number {
  return index === 0 ? 0 : HEADER_BYTES + (index - 1) * BLOCK_BYTES;
}

/** How many bytes page `index` holds in a file of `length` bytes. */
export function pageLength(index: number, length: number): number {
  const start = pageOffset(index);
  const end = Math.min(length, index === 0 ? HEADER_BYTES : start + BLOCK_BYTES);
  return Math.max(0, end - start);
}
