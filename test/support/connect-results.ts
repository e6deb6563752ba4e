import { ConnectError } from "@connectrpc/connect";
import { tableFromIPC } from "apache-arrow";

/** Rows of an Arrow IPC stream (a schema message, then batches) as plain objects. */
export function arrowRows(...messages: Uint8Array[]): Record<string, unknown>[] {
  const table = tableFromIPC(Buffer.concat(messages));
  return table.toArray().map((row) => row.toJSON() as Record<string, unknown>);
}

/** The ConnectError `work` fails with; throws if it succeeds. */
export async function failure(work: Promise<unknown>): Promise<ConnectError> {
  try {
    await work;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected a failure");
}
