import { access } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { freeLoopbackPort, spawnTiedServer } from "./postgres-server.js";

const python = fileURLToPath(new URL("../../.venv/bin/python", import.meta.url));

export interface S3Server {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  stop(): Promise<void>;
}

/** moto accepts any static keys; the region only has to be consistent. */
export const s3TestCredentials = { accessKeyId: "test", secretAccessKey: "test" };
export const s3TestRegion = "us-east-1";

/**
 * Runs moto's S3-compatible server (from the pinned test packages in .venv)
 * on 127.0.0.1 and waits until it answers. It starts empty: tests create
 * their buckets.
 */
export async function startS3Server(): Promise<S3Server> {
  await access(python).catch(() => {
    throw new Error(`${python} is missing: run npm install (it runs test/python/setup-venv.sh)`);
  });
  const port = await freeLoopbackPort();
  const endpoint = `http://127.0.0.1:${port}`;
  const server = spawnTiedServer(python, ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
    signal: "TERM",
  });
  // moto logs every request; the start of it is enough to explain a failed start.
  let output = "";
  server.child.stderr?.on("data", (chunk: Buffer) => {
    if (output.length < 20_000) output += chunk.toString();
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.child.exitCode !== null) {
      throw new Error(`moto exited with ${server.child.exitCode} while starting:\n${output}`);
    }
    const answered = await fetch(`${endpoint}/moto-api/`).then(
      async (response) => {
        await response.arrayBuffer();
        return response.ok;
      },
      () => false,
    );
    if (answered) return { endpoint, stop: server.stop };
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`moto did not answer on ${endpoint} within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
