import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { toConnectError } from "@openduck/engine";
import {
  type AdminService,
  type Database,
  DatabaseSchema,
  type Snapshot,
  SnapshotSchema,
} from "@openduck/protocol";
import type { DatabaseInfo, DatabaseStore, SnapshotInfo } from "@openduck/storage";

/** What administration needs: the store, and a way to create a database (an empty DuckDB file takes DuckDB). */
export interface Administration {
  store: DatabaseStore;
  /** An empty database, or one starting as a copy of the DuckDB file `from` on this machine. */
  createDatabase(name: string, from?: string): Promise<SnapshotInfo>;
}

function snapshotMessage(snapshot: SnapshotInfo): Snapshot {
  return create(SnapshotSchema, {
    database: snapshot.database,
    id: snapshot.id,
    createdAtMs: BigInt(snapshot.createdAt.getTime()),
    length: BigInt(snapshot.length),
    names: snapshot.names,
  });
}

function databaseMessage(database: DatabaseInfo): Database {
  return create(DatabaseSchema, {
    name: database.name,
    headSnapshotId: database.headSnapshotId,
    createdAtMs: BigInt(database.createdAt.getTime()),
  });
}

function required(value: string, field: string): string {
  if (value.trim() === "") throw new ConnectError(`${field} is required`, Code.InvalidArgument);
  return value;
}

async function reported<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toConnectError(error);
  }
}

/** The AdminService over a store; errors carry the storage codes (not_found, already_exists, …). */
export function adminService(admin: Administration): ServiceImpl<typeof AdminService> {
  const { store } = admin;
  return {
    createDatabase: (request) =>
      reported(async () => ({
        snapshot: snapshotMessage(
          await admin.createDatabase(required(request.name, "name"), request.fromFile || undefined),
        ),
      })),
    listDatabases: () =>
      reported(async () => ({ databases: (await store.listDatabases()).map(databaseMessage) })),
    dropDatabase: (request) =>
      reported(async () => {
        await store.dropDatabase(required(request.name, "name"));
        return {};
      }),
    undropDatabase: (request) =>
      reported(async () => ({
        database: databaseMessage(await store.undropDatabase(required(request.name, "name"))),
      })),
    cloneDatabase: (request) =>
      reported(async () => ({
        snapshot: snapshotMessage(
          await store.cloneDatabase(
            required(request.source, "source"),
            required(request.target, "target"),
            request.snapshot || undefined,
          ),
        ),
      })),
    compactDatabase: (request) =>
      reported(async () => ({
        snapshot: snapshotMessage(await store.compact(required(request.name, "name"))),
      })),
    listSnapshots: (request) =>
      reported(async () => ({
        snapshots: (await store.listSnapshots(required(request.database, "database"))).map(snapshotMessage),
      })),
    createSnapshot: (request) =>
      reported(async () => ({
        snapshot: snapshotMessage(
          await store.nameSnapshot(
            required(request.database, "database"),
            required(request.name, "name"),
            request.snapshot || undefined,
          ),
        ),
      })),
    collectGarbage: (request) =>
      reported(async () => {
        const report = await store.collectGarbage({ dryRun: request.dryRun });
        return {
          dryRun: report.dryRun,
          snapshotsDeleted: BigInt(report.snapshotsDeleted),
          databasesPurged: BigInt(report.databasesPurged),
          layersDeleted: BigInt(report.layersDeleted),
          bytesDeleted: BigInt(report.bytesDeleted),
          orphansDeleted: BigInt(report.orphansDeleted),
          stagedDeleted: BigInt(report.stagedDeleted),
          resultsDeleted: BigInt(report.resultsDeleted),
        };
      }),
  };
}
