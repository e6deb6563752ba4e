import { Code, ConnectError } from "@connectrpc/connect";

export interface Envelope {
  flags: number;
  data: Uint8Array;
}

/** Splits a byte stream of Connect envelopes (flags byte, 4-byte big-endian length, data) into envelopes. */
export async function* envelopes(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Envelope> {
  let buffer: Uint8Array = new Uint8Array(0);
  for await (const chunk of chunks) {
    buffer = buffer.byteLength === 0 ? chunk : concat(buffer, chunk);
    for (;;) {
      if (buffer.byteLength < 5) break;
      const length = new DataView(buffer.buffer, buffer.byteOffset + 1, 4).getUint32(0);
      if (buffer.byteLength < 5 + length) break;
      yield { flags: buffer[0] ?? 0, data: buffer.subarray(5, 5 + length) };
      buffer = buffer.subarray(5 + length);
    }
  }
  if (buffer.byteLength > 0) {
    throw new ConnectError(
      `the worker function's answer broke off inside a message (${buffer.byteLength} bytes left over)`,
      Code.Unavailable,
    );
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
