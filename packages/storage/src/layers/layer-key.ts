import { createHash } from "node:crypto";

/** Object-store key of the layer whose bytes hash to `hash` (FORMAT.md §2). */
export function layerKey(hash: string): string {
  return `layers/${hash}`;
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return createHash("sha256").update(bytes).digest();
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
