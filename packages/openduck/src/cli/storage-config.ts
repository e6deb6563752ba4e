import { join } from "node:path";
import {
  FilesystemObjectStore,
  LayeredDatabaseStore,
  type LayeredStoreOptions,
  NeonSqlClient,
  PGliteSqlClient,
  S3ObjectStore,
} from "@openduck/storage";
import { resolveDataDirectory } from "./settings.js";

/** The flags that say where databases live; every command that touches storage takes them. */
export const storageOptions = {
  data: { type: "string" },
  "postgres-url": { type: "string" },
  "s3-bucket": { type: "string" },
  "s3-endpoint": { type: "string" },
  "s3-prefix": { type: "string" },
  "s3-region": { type: "string" },
} as const;

export const storageUsage = `STORAGE (embedded by default: PGlite and a file object store under --data):
  --data DIR            local data: embedded metadata and objects, caches ($OPENDUCK_DATA_DIR, ./.openduck)
  --postgres-url URL    metadata in PostgreSQL/Neon instead ($OPENDUCK_POSTGRES_URL)
  --s3-bucket NAME      layers in S3 instead ($OPENDUCK_S3_BUCKET; credentials from the AWS environment)
  --s3-endpoint URL     an S3-compatible server ($OPENDUCK_S3_ENDPOINT)
  --s3-prefix PREFIX    key prefix inside the bucket ($OPENDUCK_S3_PREFIX)
  --s3-region REGION    ($OPENDUCK_S3_REGION, $AWS_REGION)`;

export interface StorageFlags {
  data?: string;
  "postgres-url"?: string;
  "s3-bucket"?: string;
  "s3-endpoint"?: string;
  "s3-prefix"?: string;
  "s3-region"?: string;
}

export interface StorageConfig {
  dataDirectory: string;
  /** Postgres/Neon; undefined means PGlite embedded in the data directory. */
  postgresUrl: string | undefined;
  s3:
    | { bucket: string; endpoint: string | undefined; prefix: string; region: string | undefined }
    | undefined;
}

export function storageConfig(flags: StorageFlags, env = process.env): StorageConfig {
  const bucket = flags["s3-bucket"] ?? env.OPENDUCK_S3_BUCKET;
  return {
    dataDirectory: resolveDataDirectory(flags.data, env),
    postgresUrl: flags["postgres-url"] ?? env.OPENDUCK_POSTGRES_URL,
    s3:
      bucket === undefined
        ? undefined
        : {
            bucket,
            endpoint: flags["s3-endpoint"] ?? env.OPENDUCK_S3_ENDPOINT,
            prefix: flags["s3-prefix"] ?? env.OPENDUCK_S3_PREFIX ?? "",
            region: flags["s3-region"] ?? env.OPENDUCK_S3_REGION ?? env.AWS_REGION,
          },
  };
}

/** A one-line description for banners; never includes credentials. */
export function describeStorage(config: StorageConfig): string {
  const metadata =
    config.postgresUrl === undefined
      ? "embedded metadata"
      : `Postgres at ${new URL(config.postgresUrl).host}`;
  const objects = config.s3 === undefined ? "local objects" : `s3://${config.s3.bucket}/${config.s3.prefix}`;
  return `${config.dataDirectory} (${metadata}, ${objects})`;
}

/** Whether the metadata is PGlite, which one process at a time may open. */
export function isEmbedded(config: StorageConfig): boolean {
  return config.postgresUrl === undefined;
}

/**
 * Opens the store the configuration describes: PGlite under `<data>/metadata`
 * and objects under `<data>/objects` unless Postgres or S3 are configured;
 * local scratch (layer cache, write sessions) always under `<data>/work`.
 */
export async function openStore(
  config: StorageConfig,
  options: Pick<LayeredStoreOptions, "onCommitPhase"> = {},
  env = process.env,
): Promise<LayeredDatabaseStore> {
  const sql =
    config.postgresUrl === undefined
      ? await PGliteSqlClient.open(join(config.dataDirectory, "metadata"))
      : new NeonSqlClient({
          connectionString: config.postgresUrl,
          ...(env.OPENDUCK_POSTGRES_WS_PROXY ? { webSocketProxy: env.OPENDUCK_POSTGRES_WS_PROXY } : {}),
        });
  const objects =
    config.s3 === undefined
      ? new FilesystemObjectStore(join(config.dataDirectory, "objects"))
      : new S3ObjectStore({
          bucket: config.s3.bucket,
          prefix: config.s3.prefix,
          ...(config.s3.endpoint ? { endpoint: config.s3.endpoint, forcePathStyle: true } : {}),
          ...(config.s3.region ? { region: config.s3.region } : {}),
        });
  try {
    return await LayeredDatabaseStore.open({
      sql,
      objects,
      workDirectory: join(config.dataDirectory, "work"),
      ...(env.OPENDUCK_LEASE_TTL_MS ? { leaseTtlMs: Number(env.OPENDUCK_LEASE_TTL_MS) } : {}),
      ...options,
    });
  } catch (error) {
    await sql.close();
    throw error;
  }
}
