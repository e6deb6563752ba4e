import { type ChildProcess, execFile, spawn } from "node:child_process";
import { access, chown, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface PostgresServer {
  /** postgresql://openduck:…@127.0.0.1:<port>/openduck (password authentication over TCP). */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL server for one test file: a fresh cluster in a
 * temporary directory, listening on 127.0.0.1 only, with a superuser and a
 * database both named `openduck`. `stop()` shuts it down and removes the
 * directory.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = await findPostgresBinaries();
  const owner = await clusterOwner();
  const root = await mkdtemp(join(tmpdir(), "openduck-pg-"));
  let server: TiedServer | undefined;
  const cleanUp = async () => {
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  };
  try {
    const data = join(root, "data");
    const password = "openduck-test";
    const passwordFile = join(root, "password");
    await writeFile(passwordFile, password, { mode: 0o600 });
    if (owner) {
      await chown(root, owner.uid, owner.gid);
      await chown(passwordFile, owner.uid, owner.gid);
    }
    // Password (SCRAM) authentication over TCP, as on Neon, so that the
    // driver's SCRAM code is exercised; the Unix socket, in the private
    // temporary directory, trusts (for createdb).
    await runAs(owner, join(bin, "initdb"), [
      ...["--pgdata", data, "--username", "openduck", "--pwfile", passwordFile],
      ...["--auth-host", "scram-sha-256", "--auth-local", "trust"],
      ...["--encoding", "UTF8", "--locale", "C", "--no-sync"],
    ]);
    const port = await freeLoopbackPort();
    const started = spawnTiedServer(
      join(bin, "postgres"),
      [
        ...["-D", data, "-c", "listen_addresses=127.0.0.1", "-c", `port=${port}`],
        ...["-c", `unix_socket_directories=${root}`],
        // A throwaway cluster: durability only costs test time.
        ...["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
      ],
      // Fast shutdown: rolls back open sessions instead of waiting for them to end.
      { signal: "INT", owner },
    );
    server = started;
    await waitForOutput(started.child, "database system is ready to accept connections", "PostgreSQL");
    await runAs(owner, join(bin, "createdb"), ["--host", root, "--port", String(port), "openduck"], {
      PGUSER: "openduck",
    });
    return { url: `postgresql://openduck:${password}@127.0.0.1:${port}/openduck`, port, stop: cleanUp };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no TCP address for a free port");
  return address.port;
}

export interface TiedServer {
  /** The shell that runs the server; the server's stderr is its stderr. */
  child: ChildProcess;
  /** Sends the server its signal and resolves when it has exited; does nothing the second time. */
  stop(): Promise<void>;
}

/**
 * Runs a server that cannot outlive this process, however this process ends
 * (vitest may SIGKILL its workers): a shell starts the server and waits on a
 * pipe from this process; when the pipe closes, by stop() or by this process
 * exiting, the shell sends the server `signal` and exits with it.
 */
export function spawnTiedServer(
  command: string,
  args: string[],
  options: { signal: "INT" | "TERM"; owner?: { uid: number; gid: number } | undefined },
): TiedServer {
  // An asynchronous list's stdin is /dev/null, so the watcher reads the pipe through fd 3.
  const script = `exec 3<&0; "$@" & server=$!; (read -r _ <&3; kill -${options.signal} "$server" 2>/dev/null) & wait "$server"`;
  const child = spawn("/bin/sh", ["-c", script, "sh", command, ...args], {
    stdio: ["pipe", "ignore", "pipe"],
    ...(options.owner ?? {}),
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    stop: async () => {
      child.stdin?.end();
      await exited;
    },
  };
}

/** Resolves once the child's stderr contains `ready`; rejects if it exits first or takes 30 s. */
function waitForOutput(child: ChildProcess, ready: string, name: string): Promise<void> {
  let output = "";
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: Error) => {
      clearTimeout(timer);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      // Keeps draining stderr, so that a server that logs more never blocks on a full pipe.
      child.stderr?.resume();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(
      () => settle(new Error(`${name} did not start within 30 s:\n${output}`)),
      30_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) settle();
    };
    const onExit = (code: number | null) =>
      settle(new Error(`${name} exited with ${code} while starting:\n${output}`));
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

/**
 * Debian's postgresql package keeps the server binaries out of PATH, under
 * /usr/lib/postgresql/<major>/bin; other installs have them in PATH or where
 * pg_config says.
 */
async function findPostgresBinaries(): Promise<string> {
  const candidates: string[] = [];
  const versions = await readdir("/usr/lib/postgresql").catch(() => []);
  const majors = versions.filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  for (const major of majors) candidates.push(`/usr/lib/postgresql/${major}/bin`);
  const pgConfig = await run("pg_config", ["--bindir"]).catch(() => undefined);
  if (pgConfig) candidates.push(pgConfig.stdout.trim());
  for (const dir of (process.env.PATH ?? "").split(":")) if (dir) candidates.push(dir);
  for (const dir of candidates) {
    const found = await Promise.all(
      ["initdb", "postgres", "createdb"].map((name) =>
        access(join(dir, name)).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (found.every(Boolean)) return dir;
  }
  throw new Error(
    "PostgreSQL server binaries (initdb, postgres, createdb) not found: run .ci/run or apt-get install postgresql",
  );
}

/** initdb and postgres refuse to run as root: as root, the cluster belongs to the postgres OS user. */
async function clusterOwner(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const entry = await run("getent", ["passwd", "postgres"]).catch(() => undefined);
  const [, , uid, gid] = entry?.stdout.trim().split(":") ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error(
      "running as root, PostgreSQL needs the postgres OS user: run .ci/run or apt-get install postgresql",
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}

async function runAs(
  owner: { uid: number; gid: number } | undefined,
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<void> {
  try {
    await run(command, args, { ...(owner ?? {}), env: { ...process.env, ...env } });
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    throw new Error(`${command} failed: ${failure.stderr || failure.message}`);
  }
}
