import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import {
  FilesystemObjectStore,
  LayeredDatabaseStore,
  type LayeredStoreOptions,
  NeonSqlClient,
  type ObjectStore,
  PGliteSqlClient,
  S3ObjectStore,
  type SqlClient,
} from "@openduck/storage";
import { type NeonWebSocketProxy, startNeonWebSocketProxy } from "./neon-websocket-proxy.js";
import { temporaryDirectory } from "./openduck-process.js";
import { type PostgresServer, startPostgres } from "./postgres-server.js";
import { type S3Server, s3TestCredentials, s3TestRegion, startS3Server } from "./s3-server.js";

export type MetadataBackend = "pglite" | "postgres";
export type ObjectBackend = "filesystem" | "s3";

/** Every combination the storage acceptance tests run on. */
export const storageMatrix: [MetadataBackend, ObjectBackend][] = [
  ["pglite", "filesystem"],
  ["pglite", "s3"],
  ["postgres", "filesystem"],
  ["postgres", "s3"],
];

/** The servers one test file needs, started lazily and stopped together. */
export class BackendServers {
  #postgres: Promise<[PostgresServer, NeonWebSocketProxy]> | undefined;
  #s3: Promise<S3Server> | undefined;

  postgres(): Promise<[PostgresServer, NeonWebSocketProxy]> {
    this.#postgres ??= Promise.all([startPostgres(), startNeonWebSocketProxy()]);
    return this.#postgres;
  }

  s3(): Promise<S3Server> {
    this.#s3 ??= startS3Server();
    return this.#s3;
  }

  async stop(): Promise<void> {
    const postgres = await this.#postgres?.catch(() => undefined);
    await Promise.all([
      ...(postgres ?? []).map((server) => server.stop()),
      (await this.#s3?.catch(() => undefined))?.stop(),
    ]);
  }
}

/** A private storage location on one backend combination: its own data directory, database and bucket. */
export interface TestStorage {
  label: string;
  dataDirectory: string;
  /** Storage flags and environment for `openduck` processes. */
  args: string[];
  env: Record<string, string>;
  /** Another handle on the same object store, e.g. to count writes or damage an object. */
  objects(): ObjectStore;
  /**
   * Opens the store in this process, over `objects` when given (e.g. a
   * wrapper that counts) and with its own local cache when `work` names one.
   * Stores opened here share one metadata connection (PGlite allows one per
   * process), closed by cleanup().
   */
  open(
    options?: Partial<Omit<LayeredStoreOptions, "sql" | "workDirectory">> & { work?: string },
  ): Promise<LayeredDatabaseStore>;
  cleanup(): Promise<void>;
}

export async function testStorage(
  servers: BackendServers,
  metadata: MetadataBackend,
  objects: ObjectBackend,
): Promise<TestStorage> {
  const [dataDirectory, removeData] = await temporaryDirectory("openduck-storage-");
  const args = ["--data", dataDirectory];
  const env: Record<string, string> = {};
  let sql: () => Promise<SqlClient> = () => PGliteSqlClient.open(join(dataDirectory, "metadata"));
  if (metadata === "postgres") {
    const [server, proxy] = await servers.postgres();
    const admin = new NeonSqlClient({ connectionString: server.url, webSocketProxy: proxy.host });
    const name = `t_${randomUUID().replaceAll("-", "")}`;
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.close();
    const url = server.url.replace(/\/openduck$/, `/${name}`);
    args.push("--postgres-url", url);
    env.OPENDUCK_POSTGRES_WS_PROXY = proxy.host;
    sql = async () => new NeonSqlClient({ connectionString: url, webSocketProxy: proxy.host });
  }
  let objectStore: () => ObjectStore = () => new FilesystemObjectStore(join(dataDirectory, "objects"));
  if (objects === "s3") {
    const s3 = await servers.s3();
    const bucket = `openduck-${randomUUID().slice(0, 8)}`;
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3TestRegion,
      credentials: s3TestCredentials,
      forcePathStyle: true,
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
    args.push(
      "--s3-bucket",
      bucket,
      "--s3-endpoint",
      s3.endpoint,
      "--s3-prefix",
      "deployment/",
      "--s3-region",
      s3TestRegion,
    );
    Object.assign(env, {
      AWS_ACCESS_KEY_ID: s3TestCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3TestCredentials.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    });
    objectStore = () =>
      new S3ObjectStore({
        bucket,
        prefix: "deployment/",
        endpoint: s3.endpoint,
        region: s3TestRegion,
        credentials: s3TestCredentials,
        forcePathStyle: true,
      });
  }
  let shared: Promise<SqlClient> | undefined;
  return {
    label: `${metadata} + ${objects}`,
    dataDirectory,
    args,
    env,
    objects: objectStore,
    open: async ({ work, ...options } = {}) => {
      shared ??= sql();
      const client = await shared;
      return LayeredDatabaseStore.open({
        sql: {
          query: client.query.bind(client),
          transaction: client.transaction.bind(client),
          close: async () => {},
        },
        objects: objectStore(),
        workDirectory: join(dataDirectory, work ?? "work"),
        ...options,
      });
    },
    cleanup: async () => {
      await (await shared)?.close();
      await removeData();
    },
  };
}
