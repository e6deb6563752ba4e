import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { temporaryDirectory } from "./support/openduck-process.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const buf = join(root, "node_modules", ".bin", "buf");
const committed = join(root, "packages", "protocol", "src", "gen");
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

function files(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else found.set(relative(dir, path), readFileSync(path, "utf8"));
    }
  };
  walk(dir);
  return found;
}

describe("the wire protocol", () => {
  it("passes buf lint", () => {
    expect(() => execFileSync(buf, ["lint"], { cwd: root, stdio: "pipe" })).not.toThrow();
  });

  it("has its generated TypeScript up to date (run `npm run generate`)", async () => {
    const [out, remove] = await temporaryDirectory("openduck-gen-");
    cleanups.push(remove);
    execFileSync(buf, ["generate", "-o", out], { cwd: root, stdio: "pipe" });
    const fresh = files(join(out, "packages", "protocol", "src", "gen"));
    expect(fresh.size).toBeGreaterThan(0);
    expect(files(committed)).toEqual(fresh);
  });
});
