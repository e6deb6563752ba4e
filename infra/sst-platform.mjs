// Makes sure `.sst/platform` (SST's components and the types sst.config.ts is checked against) is installed
// and current, running `sst install` only when needed. Offline apart from the npm registry: SST is told not
// to download Pulumi or bun, and installs the platform's packages with npm.
// Used by `npm run typecheck:infra` and test/infra.test.ts.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const platform = join(root, ".sst", "platform");

const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));

/** Why an install is needed, or undefined when the platform is current. */
function staleness() {
  if (!existsSync(join(platform, "node_modules"))) return "not installed";
  if (!existsSync(join(platform, "config.d.ts"))) return "no config.d.ts";
  const sstVersion = readJson(join(root, "node_modules", "sst", "package.json")).version;
  const platformVersion = readFileSync(join(platform, "version"), "utf8").trim();
  if (platformVersion !== sstVersion) return `platform ${platformVersion}, sst ${sstVersion}`;
  const lockPath = join(root, ".sst", "provider-lock.json");
  if (!existsSync(lockPath)) return "no provider lock";
  // The aws provider version sst.config.ts pins (test/infra.test.ts checks the lock against app() itself).
  const pinned = readFileSync(join(root, "sst.config.ts"), "utf8").match(
    /aws: \{ version: "([^"]+)" \}/,
  )?.[1];
  const locked = readJson(lockPath).find((entry) => entry.name === "aws")?.version;
  if (pinned !== undefined && locked !== pinned) return `aws provider ${locked}, pinned ${pinned}`;
  return undefined;
}

const reason = staleness();
if (reason !== undefined) {
  console.error(`sst install (${reason})`);
  const result = spawnSync(join(root, "node_modules", ".bin", "sst"), ["install"], {
    cwd: root,
    stdio: "inherit",
    env: {
      ...process.env,
      SST_SKIP_DEPENDENCY_CHECK: "true",
      SST_NO_BUN: "1",
      SST_TELEMETRY_DISABLED: "1",
      // `sst install` evaluates app(), which needs a stage; nothing stage-specific is installed.
      SST_STAGE: process.env.SST_STAGE ?? "install",
    },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  const still = staleness();
  if (still !== undefined) {
    console.error(`sst install left .sst/platform stale: ${still}`);
    process.exit(1);
  }
}
