import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Database, Snapshot } from "@openduck/protocol";
import { type AdminAccess, openAdministration } from "./admin-access.js";
import { UsageError } from "./settings.js";
import { storageConfig, storageOptions, storageUsage } from "./storage-config.js";
import { formatBytes, formatTable, formatTime } from "./table-output.js";

export const dbUsage = `openduck db create NAME [--from FILE]   create an empty database, or one holding a copy of the
                                   DuckDB database FILE (its tables, views and data; FILE is not changed)
openduck db list                   the live databases
openduck db drop NAME              drop a database (undrop brings it back during the retention window)
openduck db undrop NAME
openduck db clone SRC DST [--snapshot S]   a new database sharing SRC's data at its head or snapshot S
openduck db compact NAME           rewrite the head into a few fresh layers (new snapshot, same contents)

Options: --json (output for scripts), and STORAGE as for openduck serve. With
embedded metadata, a running openduck serve/worker on the same --data answers.

${storageUsage}`;

export const snapshotUsage = `openduck snapshot list DB [--json]      the snapshots of DB (every commit is one)
openduck snapshot create DB NAME [--snapshot S]   name the head (or snapshot S); named snapshots are kept

${storageUsage}`;

export const gcUsage = `openduck gc [--dry-run] [--json]

Deletes snapshots no longer retained and the layers no retained snapshot
reads, after their grace period, and staged rows no write read in time.
--dry-run reports without deleting.

${storageUsage}`;

const options = {
  ...storageOptions,
  json: { type: "boolean" },
  snapshot: { type: "string" },
  from: { type: "string" },
} as const;

interface Flags {
  json: boolean;
  snapshot: string;
  from: string;
}

async function withAdministration(
  args: string[],
  work: (access: AdminAccess, positionals: string[], flags: Flags) => Promise<void>,
): Promise<number> {
  const { values, positionals } = parseArgs({ args, options, allowPositionals: true });
  const access = await openAdministration(storageConfig(values));
  try {
    await work(access, positionals, {
      json: values.json ?? false,
      snapshot: values.snapshot ?? "",
      // A path relative to where the command runs, whichever process reads it.
      from: values.from === undefined ? "" : resolve(values.from),
    });
  } finally {
    await access.close();
  }
  return 0;
}

function argument(positionals: string[], index: number, what: string): string {
  const value = positionals[index];
  if (value === undefined) throw new UsageError(`missing ${what}`);
  return value;
}

function snapshotJson(snapshot: Snapshot) {
  return {
    id: snapshot.id,
    name: snapshot.names[0] ?? null,
    names: snapshot.names,
    createdAt: new Date(Number(snapshot.createdAtMs)).toISOString(),
    length: Number(snapshot.length),
    database: snapshot.database,
  };
}

function databaseJson(database: Database) {
  return {
    name: database.name,
    headSnapshotId: database.headSnapshotId,
    createdAt: new Date(Number(database.createdAtMs)).toISOString(),
  };
}

function print(json: boolean, value: unknown, text: string): void {
  console.log(json ? JSON.stringify(value, null, 2) : text);
}

export function dbCommand(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  return withAdministration(rest, async ({ client }, positionals, { json, snapshot, from }) => {
    switch (verb) {
      case "create": {
        const name = argument(positionals, 0, "NAME");
        const created = await client.createDatabase({ name, fromFile: from });
        print(
          json,
          created.snapshot && snapshotJson(created.snapshot),
          `created database ${name} (snapshot ${created.snapshot?.id})`,
        );
        return;
      }
      case "list": {
        const { databases } = await client.listDatabases({});
        print(
          json,
          databases.map(databaseJson),
          formatTable(
            ["NAME", "HEAD SNAPSHOT", "CREATED"],
            databases.map((database) => [
              database.name,
              database.headSnapshotId,
              formatTime(database.createdAtMs),
            ]),
          ),
        );
        return;
      }
      case "drop": {
        const name = argument(positionals, 0, "NAME");
        await client.dropDatabase({ name });
        print(
          json,
          { name, dropped: true },
          `dropped database ${name} (openduck db undrop ${name} brings it back)`,
        );
        return;
      }
      case "undrop": {
        const name = argument(positionals, 0, "NAME");
        const { database } = await client.undropDatabase({ name });
        print(json, database && databaseJson(database), `restored database ${name}`);
        return;
      }
      case "clone": {
        const source = argument(positionals, 0, "SRC");
        const target = argument(positionals, 1, "DST");
        const cloned = await client.cloneDatabase({ source, target, snapshot });
        print(
          json,
          cloned.snapshot && snapshotJson(cloned.snapshot),
          `cloned ${source}${snapshot ? ` at snapshot ${snapshot}` : ""} into ${target} (snapshot ${cloned.snapshot?.id})`,
        );
        return;
      }
      default:
        throw new UsageError(
          verb === undefined ? "missing a db command" : `unknown db command ${JSON.stringify(verb)}`,
        );
    }
  });
}

export function snapshotCommand(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  return withAdministration(rest, async ({ client }, positionals, { json, snapshot }) => {
    switch (verb) {
      case "list": {
        const database = argument(positionals, 0, "DB");
        const { snapshots } = await client.listSnapshots({ database });
        print(
          json,
          snapshots.map(snapshotJson),
          formatTable(
            ["ID", "NAMES", "CREATED", "SIZE"],
            snapshots.map((s) => [
              s.id,
              s.names.join(", "),
              formatTime(s.createdAtMs),
              formatBytes(Number(s.length)),
            ]),
          ),
        );
        return;
      }
      case "create": {
        const database = argument(positionals, 0, "DB");
        const name = argument(positionals, 1, "NAME");
        const created = await client.createSnapshot({ database, name, snapshot });
        print(
          json,
          created.snapshot && snapshotJson(created.snapshot),
          `named snapshot ${created.snapshot?.id} of ${database} "${name}"`,
        );
        return;
      }
      default:
        throw new UsageError(
          verb === undefined
            ? "missing a snapshot command"
            : `unknown snapshot command ${JSON.stringify(verb)}`,
        );
    }
  });
}

export async function gcCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...storageOptions, json: { type: "boolean" }, "dry-run": { type: "boolean" } },
  });
  const access = await openAdministration(storageConfig(values));
  try {
    const report = await access.client.collectGarbage({ dryRun: values["dry-run"] ?? false });
    const summary = {
      dryRun: report.dryRun,
      snapshotsDeleted: Number(report.snapshotsDeleted),
      databasesPurged: Number(report.databasesPurged),
      layersDeleted: Number(report.layersDeleted),
      orphansDeleted: Number(report.orphansDeleted),
      bytesDeleted: Number(report.bytesDeleted),
      stagedDeleted: Number(report.stagedDeleted),
      resultsDeleted: Number(report.resultsDeleted),
    };
    print(
      values.json ?? false,
      summary,
      `${report.dryRun ? "would delete" : "deleted"} ${summary.snapshotsDeleted} snapshots, ${summary.databasesPurged} dropped databases, ${summary.layersDeleted + summary.orphansDeleted} layers (${formatBytes(summary.bytesDeleted)}), ${summary.stagedDeleted} staged parts, ${summary.resultsDeleted} result parts`,
    );
  } finally {
    await access.close();
  }
  return 0;
}
