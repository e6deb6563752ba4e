import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../../extension/test/node_client.mjs", import.meta.url));
// Named here rather than through @openduck/engine, which would load DuckDB into the test process.
const extension = fileURLToPath(
  new URL("../../extension/build/release/openduck.duckdb_extension", import.meta.url),
);

/** A value as node_client.mjs sends it: integers beyond JSON's as {"$int": "…"}, decimals as {"$decimal": "…"}. */
export type ClientValue =
  | null
  | boolean
  | number
  | string
  | { $int: string }
  | { $decimal: string }
  | ClientValue[];

/**
 * A DuckDB user in another process: one `@duckdb/node-api` connection with
 * the OpenDuck extension loaded (extension/test/node_client.mjs, which the
 * extension's own tests drive too). Statements run one after another.
 */
export class DuckDBClientProcess {
  readonly #child = spawn(process.execPath, [script, extension], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  readonly #pending = new Map<
    number,
    { resolve: (rows: ClientValue[][]) => void; reject: (e: Error) => void }
  >();
  #next = 1;

  constructor() {
    const lines = createInterface({ input: this.#child.stdout });
    lines.on("line", (line) => {
      const answer = JSON.parse(line) as { id: number; rows?: ClientValue[][]; error?: string };
      const pending = this.#pending.get(answer.id);
      this.#pending.delete(answer.id);
      if (answer.error !== undefined) pending?.reject(new Error(answer.error));
      else pending?.resolve(answer.rows ?? []);
    });
    this.#child.once("exit", (code) => {
      for (const { reject } of this.#pending.values())
        reject(new Error(`the DuckDB client exited with ${code}`));
      this.#pending.clear();
    });
  }

  execute(sql: string): Promise<ClientValue[][]> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.stdin.write(`${JSON.stringify({ id, op: "execute", sql })}\n`);
    });
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.stdin.end();
    await exited;
  }
}

/** A BIGINT-like value from the client as a number (exact below 2^53). */
export function integer(value: ClientValue | undefined): number {
  if (typeof value === "number") return value;
  if (value !== null && typeof value === "object" && "$int" in value) return Number(value.$int);
  throw new Error(`not an integer: ${JSON.stringify(value)}`);
}
