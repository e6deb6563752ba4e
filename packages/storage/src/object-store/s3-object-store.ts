import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { StorageError } from "../errors.js";
import type { ObjectStore, StoredObject } from "./object-store.js";

export interface S3ObjectStoreOptions {
  bucket: string;
  /** The folder of the bucket that holds this deployment's objects ("" or e.g. "openduck/prod"). */
  prefix: string;
  /** An S3-compatible server instead of AWS, e.g. http://127.0.0.1:9000. */
  endpoint?: string;
  /** Default: the SDK's (AWS_REGION, the profile). */
  region?: string;
  /** Default: the SDK's provider chain (environment, profile, instance or function role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Bucket in the path instead of the host name, as most S3-compatible servers want. */
  forcePathStyle?: boolean;
}

/** How often a put-if-absent retries after S3 reports a concurrent conditional write of the key. */
const conflictRetries = 5;

/** Objects in an S3 bucket (or on an S3-compatible server), under a prefix. */
export class S3ObjectStore implements ObjectStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(options: S3ObjectStoreOptions) {
    this.#bucket = options.bucket;
    const folder = options.prefix.replace(/^\/+|\/+$/g, "");
    this.#prefix = folder === "" ? "" : `${folder}/`;
    this.#client = new S3Client({
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(options.region === undefined ? {} : { region: options.region }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      ...(options.forcePathStyle === undefined ? {} : { forcePathStyle: options.forcePathStyle }),
      // Layers carry their own SHA-256, checked on every read, so the SDK's
      // default CRC checksums add nothing; and their aws-chunked uploads are
      // mishandled by S3-compatible servers.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
  }

  async putIfAbsent(key: string, body: Uint8Array): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#client.send(
          new PutObjectCommand({ Bucket: this.#bucket, Key: this.#key(key), Body: body, IfNoneMatch: "*" }),
        );
        return true;
      } catch (error) {
        if (statusOf(error) === 412) return false;
        // 409: another conditional write of this key is in flight. Whether it
        // succeeds is unknown, so this one retries (AWS's advice) rather than
        // report an object that may never exist.
        if (statusOf(error) === 409 && attempt < conflictRetries) {
          await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
          continue;
        }
        throw this.#failure("put", key, error);
      }
    }
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    try {
      await this.#client.send(
        new PutObjectCommand({ Bucket: this.#bucket, Key: this.#key(key), Body: body }),
      );
    } catch (error) {
      throw this.#failure("put", key, error);
    }
  }

  async get(key: string): Promise<Uint8Array> {
    const body = await this.#getBody(key);
    try {
      return await body.transformToByteArray();
    } catch (error) {
      throw this.#failure("get", key, error);
    }
  }

  async download(key: string, path: string): Promise<number> {
    const body = await this.#getBody(key);
    if (!(body instanceof Readable)) {
      throw new Error(`S3 get of ${this.#describe(key)}: the SDK returned no Node.js stream`);
    }
    const file = createWriteStream(path);
    try {
      await pipeline(body, file);
    } catch (error) {
      await rm(path, { force: true });
      throw this.#failure("download", key, error);
    }
    return file.bytesWritten;
  }

  async delete(key: string): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }));
    } catch (error) {
      throw this.#failure("delete", key, error);
    }
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    const pages = paginateListObjectsV2(
      { client: this.#client },
      { Bucket: this.#bucket, Prefix: this.#key(prefix) },
    );
    try {
      for await (const page of pages) {
        for (const object of page.Contents ?? []) {
          if (object.Key === undefined) continue;
          yield {
            key: object.Key.slice(this.#prefix.length),
            size: object.Size ?? 0,
            lastModified: object.LastModified ?? new Date(0),
          };
        }
      }
    } catch (error) {
      throw this.#failure("list", prefix, error);
    }
  }

  localPath(): undefined {
    return undefined;
  }

  /**
   * Signed locally with the store's credentials (no request to S3). With
   * temporary credentials (a function's role) the URL also stops working
   * when they expire.
   */
  async presign(key: string, method: "GET" | "PUT", expiresInSeconds: number): Promise<string> {
    const object = { Bucket: this.#bucket, Key: this.#key(key) };
    const options = { expiresIn: expiresInSeconds };
    try {
      return method === "GET"
        ? await getSignedUrl(this.#client, new GetObjectCommand(object), options)
        : await getSignedUrl(this.#client, new PutObjectCommand(object), options);
    } catch (error) {
      throw this.#failure(`presign (${method})`, key, error);
    }
  }

  async #getBody(key: string): Promise<NonNullable<GetObjectCommandOutput["Body"]>> {
    try {
      const response = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: this.#key(key) }),
      );
      if (response.Body === undefined) throw new Error("the response has no body");
      return response.Body;
    } catch (error) {
      if (error instanceof S3ServiceException && error.name === "NoSuchKey") {
        throw new StorageError("not_found", `object ${this.#describe(key)} not found`);
      }
      throw this.#failure("get", key, error);
    }
  }

  #key(key: string): string {
    return this.#prefix + key;
  }

  #describe(key: string): string {
    return `s3://${this.#bucket}/${this.#key(key)}`;
  }

  /** Names the operation and the object, keeping the SDK's error (a network failure, a missing bucket) as the cause. */
  #failure(operation: string, key: string, error: unknown): Error {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return new Error(`S3 ${operation} of ${this.#describe(key)} failed: ${reason}`, { cause: error });
  }
}

function statusOf(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}
