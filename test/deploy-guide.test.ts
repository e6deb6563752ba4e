import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BackendServers, type TestStorage, testStorage } from "./support/storage-backends.js";

// DEPLOY.md promises that each of its shell commands is run by the tests, except the two that need an AWS
// account. This test runs them, in order, in one shell, against a real PostgreSQL server (through the Neon
// driver) and an S3-compatible server: the values the operator would fill in (the Neon URL, the bucket output)
// are this test's; everything else runs as written.

const run = promisify(execFile);
const repository = fileURLToPath(new URL("..", import.meta.url));
/** Commands that need AWS: `sst deploy` is the guide's subject, `sst remove` its inverse. */
const needsAws = [/^npx sst deploy --stage prod$/, /^npx sst remove --stage prod$/];
/** Builds that other tests run: `npm test` builds the extension, test/infra.test.ts runs build:functions. */
const builtElsewhere = ["npm run build:extension", "npm run build:functions"];
const servers = new BackendServers();
let storage: TestStorage;

/** The shell commands of DEPLOY.md's ```sh blocks, in order. */
async function guideCommands(): Promise<string[]> {
  const guide = await readFile(new URL("../DEPLOY.md", import.meta.url), "utf8");
  return [...guide.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) =>
    (block[1] ?? "")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#")),
  );
}

beforeAll(async () => {
  storage = await testStorage(servers, "postgres", "s3");
}, 120_000);

afterAll(async () => {
  await storage?.cleanup();
  await servers.stop();
});

it("runs every command of DEPLOY.md but sst deploy/remove, against a real PostgreSQL and S3 server", async () => {
  const commands = await guideCommands();
  expect(commands.length).toBeGreaterThan(8);
  const flag = (name: string) => storage.args[storage.args.indexOf(name) + 1] ?? "";
  // What the operator fills in: the Neon URL and the deploy's bucket output.
  const filledIn: Record<string, string> = {
    OPENDUCK_NEON_URL: flag("--postgres-url"),
    OPENDUCK_BUCKET: flag("--s3-bucket"),
  };
  const script = ["set -euo pipefail"];
  const skipped: string[] = [];
  for (const command of commands) {
    const assignment = /^export (\w+)=/.exec(command);
    if (needsAws.some((pattern) => pattern.test(command))) skipped.push(command);
    else if (builtElsewhere.includes(command)) skipped.push(command);
    else if (assignment?.[1] !== undefined && assignment[1] in filledIn) {
      script.push(`export ${assignment[1]}='${filledIn[assignment[1]]}'`);
    } else script.push(`echo "\\$ ${command.replaceAll('"', '\\"').replaceAll("$", "\\$")}"`, command);
  }
  expect(skipped.sort()).toEqual([
    ...builtElsewhere,
    "npx sst deploy --stage prod",
    "npx sst remove --stage prod",
  ]);
  const scripts = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8")).scripts;
  expect(Object.keys(scripts)).toEqual(expect.arrayContaining(["build:extension", "build:functions"]));
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's ${#…}, the token's length (not its value).
  script.push('echo "token length ${#OPENDUCK_TOKEN}"');
  const { stdout } = await run("bash", ["-c", script.join("\n")], {
    cwd: repository,
    // The S3-compatible server's endpoint and credentials, and the WebSocket proxy in front of PostgreSQL, come
    // from the environment, where the CLI reads them; the commands themselves stay as DEPLOY.md has them.
    env: {
      ...process.env,
      ...storage.env,
      OPENDUCK_S3_ENDPOINT: flag("--s3-endpoint"),
      AWS_REGION: "us-east-1",
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  expect(stdout).toContain("token length 64");
  const section = (command: string) => stdout.split(`$ ${command}`)[1]?.split("\n$ ")[0] ?? "";
  expect(section("npx openduck db list")).toMatch(/\bmydb\b/);
  expect(section("npx openduck snapshot list mydb")).toMatch(/\b1\b/);
  expect(section("npx openduck gc --dry-run")).toMatch(/would delete .* staged parts, \d+ result parts/);
}, 180_000);
