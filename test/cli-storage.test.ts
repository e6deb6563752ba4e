import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { OpenDuckClient } from "openduck";
import { afterAll, describe, expect, it } from "vitest";
import { runOpenDuck, serveReady, startOpenDuck } from "./support/openduck-process.js";
import { BackendServers, type TestStorage, testStorage } from "./support/storage-backends.js";

const servers = new BackendServers();
const storages: TestStorage[] = [];
afterAll(async () => {
  for (const storage of storages) await storage.cleanup();
  await servers.stop();
});

interface SnapshotJson {
  id: string;
  name: string | null;
  names: string[];
  createdAt: string;
  length: number;
}

describe.each([
  ["pglite", "filesystem"],
  ["postgres", "s3"],
] as const)("openduck db, snapshot and gc on %s metadata and %s objects", (metadata, objects) => {
  const cli = async (storage: TestStorage, ...args: string[]) => {
    const result = await runOpenDuck([...args, ...storage.args], storage.env);
    return { ...result, json: () => JSON.parse(result.stdout) as unknown };
  };

  it("manage databases and snapshots without a server", async () => {
    const storage = await testStorage(servers, metadata, objects);
    storages.push(storage);
    const created = await cli(storage, "db", "create", "sales");
    expect(created.stderr).toBe("");
    expect(created.stdout).toMatch(/^created database sales \(snapshot \d+\)/);
    expect((await cli(storage, "db", "create", "sales")).stderr).toMatch(/database "sales" already exists/);
    expect((await cli(storage, "db", "create", "bad-name")).code).toBe(1);

    const listed = await cli(storage, "db", "list", "--json");
    expect(listed.json()).toEqual([expect.objectContaining({ name: "sales" })]);
    expect((await cli(storage, "db", "list")).stdout).toMatch(/^NAME\s+HEAD SNAPSHOT\s+CREATED\nsales\s+\d+/);

    expect((await cli(storage, "snapshot", "create", "sales", "v1")).stdout).toMatch(
      /named snapshot \d+ of sales "v1"/,
    );
    const snapshots = (await cli(storage, "snapshot", "list", "sales", "--json")).json() as SnapshotJson[];
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]).toMatchObject({ name: "v1", names: ["v1"], length: expect.any(Number) });
    expect(Date.parse(snapshots[0]?.createdAt ?? "")).toBeGreaterThan(Date.now() - 600_000);

    expect((await cli(storage, "db", "clone", "sales", "sales_copy", "--snapshot", "v1")).code).toBe(0);
    expect((await cli(storage, "db", "drop", "sales_copy")).stdout).toMatch(/dropped database sales_copy/);
    const twice = await cli(storage, "db", "drop", "sales_copy");
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/database "sales_copy" does not exist/);
    expect((await cli(storage, "db", "undrop", "sales_copy")).code).toBe(0);
    expect(
      ((await cli(storage, "db", "list", "--json")).json() as { name: string }[]).map((d) => d.name),
    ).toEqual(["sales", "sales_copy"]);
    const gc = await cli(storage, "gc", "--dry-run", "--json");
    expect(gc.json()).toMatchObject({ dryRun: true, layersDeleted: 0 });
    expect((await cli(storage, "snapshot", "list", "nowhere")).stderr).toMatch(
      /database "nowhere" does not exist/,
    );
  }, 120_000);

  it("go through the running server that holds the data directory", async () => {
    const storage = await testStorage(servers, metadata, objects);
    storages.push(storage);
    const token = "cli-storage-token";
    const server = await startOpenDuck(["serve", "-d", "live", "--port", "0", ...storage.args], {
      env: { ...storage.env, OPENDUCK_TOKEN: token },
      ready: serveReady,
    });
    try {
      const client = new OpenDuckClient({ endpoint: server.url, token });
      await client.execute("live", "CREATE TABLE t AS SELECT 1 AS x");
      const before = (await cli(storage, "snapshot", "list", "live", "--json")).json() as SnapshotJson[];
      expect(before).toHaveLength(2);
      expect((await cli(storage, "db", "create", "made_by_cli")).code).toBe(0);
      await client.execute("made_by_cli", "CREATE TABLE u AS SELECT 2 AS y");
      const table = await client.table("made_by_cli", "SELECT y FROM u");
      expect(table.getChild("y")?.get(0)).toBe(2);
      expect((await cli(storage, "snapshot", "create", "live", "checkpoint")).code).toBe(0);
      const named = await client.table("live", "SELECT count(*) AS n FROM t", { snapshot: "checkpoint" });
      expect(named.getChild("n")?.get(0)).toBe(1n);

      // An existing DuckDB file becomes a database; the file itself stays as it was.
      const file = join(storage.dataDirectory, "existing.duckdb");
      const local = await DuckDBInstance.create(file);
      const connection = await local.connect();
      await connection.run("CREATE TABLE kept AS SELECT range AS i FROM range(1000)");
      connection.closeSync();
      local.closeSync();
      const beforeImport = await readFile(file);
      expect((await cli(storage, "db", "create", "imported", "--from", file)).code).toBe(0);
      const imported = await client.table(
        "imported",
        "SELECT count(*) AS n, sum(i)::BIGINT AS total FROM kept",
      );
      expect([imported.getChild("n")?.get(0), imported.getChild("total")?.get(0)]).toEqual([1000n, 499500n]);
      expect((await readFile(file)).equals(beforeImport)).toBe(true);
      const notDuckDB = await cli(
        storage,
        "db",
        "create",
        "broken",
        "--from",
        join(storage.dataDirectory, "nope"),
      );
      expect(notDuckDB.stderr).toMatch(/cannot read .*nope/);
      const text = join(storage.dataDirectory, "notes.txt");
      await writeFile(text, "not a database, but long enough to have a header");
      expect((await cli(storage, "db", "create", "broken", "--from", text)).stderr).toMatch(
        /notes\.txt is not a DuckDB database file/,
      );
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 120_000);
});
