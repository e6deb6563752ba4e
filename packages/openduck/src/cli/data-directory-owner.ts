import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Who holds a data directory with embedded metadata, and where to reach it when it serves. */
export interface Owner {
  pid: number;
  /** Base URL of the process's AdminService, when it serves one. */
  url?: string;
  /** The cluster secret that AdminService wants. */
  secret?: string;
}

function ownerFile(dataDirectory: string): string {
  return join(dataDirectory, "owner.json");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The live process holding the directory, if any. */
export function currentOwner(dataDirectory: string): Owner | undefined {
  try {
    const owner = JSON.parse(readFileSync(ownerFile(dataDirectory), "utf8")) as Owner;
    return owner.pid !== process.pid && alive(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

export interface Claim {
  /** Tells other commands where this process serves AdminService. */
  advertise(url: string, secret: string): void;
  release(): void;
}

/**
 * PGlite lets one process at a time open the embedded metadata, so a process
 * that opens it claims the data directory first. Returns the claim, or the
 * live owner when another process holds it. The owner file is private: it
 * holds the secret other commands use to reach the owner.
 */
export function claimDataDirectory(dataDirectory: string): Claim | Owner {
  mkdirSync(dataDirectory, { recursive: true });
  const path = ownerFile(dataDirectory);
  for (;;) {
    try {
      writeFileSync(path, JSON.stringify({ pid: process.pid }), { flag: "wx", mode: 0o600 });
      const release = () => {
        if (currentOwner(dataDirectory) === undefined) rmSync(path, { force: true });
      };
      process.once("exit", release);
      return {
        advertise: (url, secret) =>
          writeFileSync(path, JSON.stringify({ pid: process.pid, url, secret }), { mode: 0o600 }),
        release,
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = currentOwner(dataDirectory);
      if (owner !== undefined) return owner;
      rmSync(path, { force: true });
    }
  }
}
