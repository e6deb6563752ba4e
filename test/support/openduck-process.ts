import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../packages/openduck/bin/openduck.js", import.meta.url));

export interface OpenDuckProcess {
  /** The URL the process printed it listens on. */
  url: string;
  pid: number;
  output(): string;
  /** Peak resident memory since the last resetPeakRss() (or the start), in bytes (Linux VmHWM). */
  peakRss(): Promise<number>;
  /** Starts measuring peak memory afresh (Linux: clear_refs 5 resets VmHWM). */
  resetPeakRss(): Promise<void>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs the real `openduck` CLI as a child process and waits until it prints
 * the URL it serves.
 */
export async function startOpenDuck(
  args: string[],
  options: { env?: Record<string, string>; ready: RegExp },
): Promise<OpenDuckProcess> {
  const child: ChildProcess = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`openduck ${args[0]} did not start:\n${output}`)),
      30_000,
    );
    const check = () => {
      const match = options.ready.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        child.stdout?.off("data", check);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`openduck ${args[0]} exited with ${code}:\n${output}`));
    });
  });
  const pid = child.pid ?? 0;
  return {
    url,
    pid,
    output: () => output,
    resetPeakRss: () => writeFile(`/proc/${pid}/clear_refs`, "5"),
    peakRss: async () => {
      const status = await readFile(`/proc/${pid}/status`, "utf8");
      const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
      return Number(kb) * 1024;
    },
    stop: () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

/** A fresh data directory, removed by the returned function. */
export async function temporaryDirectory(prefix: string): Promise<[string, () => Promise<void>]> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return [dir, () => rm(dir, { recursive: true, force: true })];
}

export const serveReady = /endpoint: (http:\/\/\S+)/;
export const workerReady = /worker at (http:\/\/\S+) registered/;

export interface ServedDatabase extends OpenDuckProcess {
  /** Its data directory: `openduck` commands given `--data` with it go through this server. */
  dataDirectory: string;
}

/**
 * `openduck serve -d mydb` on a free port over a fresh data directory, with
 * `token` as OPENDUCK_TOKEN. `stop()` also removes the directory.
 */
export async function serveTestDatabase(
  token: string,
  options: { args?: string[]; env?: Record<string, string> } = {},
): Promise<ServedDatabase> {
  const [dir, remove] = await temporaryDirectory("openduck-test-");
  const server = await startOpenDuck(
    ["serve", "-d", "mydb", "--port", "0", "--data", dir, ...(options.args ?? [])],
    {
      env: { OPENDUCK_TOKEN: token, ...options.env },
      ready: serveReady,
    },
  ).catch(async (error: unknown) => {
    await remove();
    throw error;
  });
  return {
    ...server,
    dataDirectory: dir,
    stop: async () => {
      const code = await server.stop();
      await remove();
      return code;
    },
  };
}

/** Runs one `openduck` command to completion: its exit code and output. */
export function runOpenDuck(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
