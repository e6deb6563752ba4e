import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  type S3Server,
  s3TestCredentials,
  s3TestRegion,
  startS3Server,
} from "../../../../test/support/s3-server.js";
import { StorageError } from "../errors.js";
import { FilesystemObjectStore } from "./filesystem-object-store.js";
import type { ObjectStore, StoredObject } from "./object-store.js";
import { S3ObjectStore } from "./s3-object-store.js";

interface StoreUnderTest {
  name: string;
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  /** A store with nothing in it. */
  open(): Promise<ObjectStore>;
  /** Whether a put-if-absent race has exactly one winner (S3-compatible test servers may let several win). */
  exclusivePuts: boolean;
  /** Whether clients can reach its objects through presigned URLs. */
  presigns: boolean;
}

let s3: S3Server | undefined;
const bucket = "openduck-test";
let stores = 0;

const filesystem: StoreUnderTest = {
  name: "filesystem",
  setUp: async () => {},
  tearDown: async () => {},
  open: async () => new FilesystemObjectStore(await scratchDirectory()),
  exclusivePuts: true,
  presigns: false,
};

const s3Store: StoreUnderTest = {
  name: "s3 (moto)",
  setUp: async () => {
    s3 = await startS3Server();
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3TestRegion,
      credentials: s3TestCredentials,
      forcePathStyle: true,
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
  },
  tearDown: async () => {
    await s3?.stop();
  },
  // Every test gets a folder of its own in the one bucket.
  open: async () =>
    new S3ObjectStore({
      bucket,
      prefix: `deployment-${++stores}`,
      endpoint: s3?.endpoint ?? "",
      region: s3TestRegion,
      credentials: s3TestCredentials,
      forcePathStyle: true,
    }),
  exclusivePuts: false,
  presigns: true,
};

const scratch: string[] = [];
async function scratchDirectory(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "openduck-object-store-"));
  scratch.push(dir);
  return dir;
}

afterEach(async () => {
  await Promise.all(scratch.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

async function collect(objects: AsyncIterable<StoredObject>): Promise<StoredObject[]> {
  const all: StoredObject[] = [];
  for await (const object of objects) all.push(object);
  return all.sort((a, b) => (a.key < b.key ? -1 : 1));
}

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

describe.each([filesystem, s3Store])("$name object store", (kind) => {
  let store: ObjectStore;

  beforeAll(() => kind.setUp());
  afterAll(() => kind.tearDown());
  beforeEach(async () => {
    store = await kind.open();
  });

  test("puts, gets, downloads and deletes an object", async () => {
    expect(await store.putIfAbsent("layers/abc", bytes("hello"))).toBe(true);
    expect(await store.get("layers/abc")).toEqual(bytes("hello"));

    const dir = await scratchDirectory();
    const destination = join(dir, "copy");
    await writeFile(destination, "an older, longer file that the download replaces");
    expect(await store.download("layers/abc", destination)).toBe(5);
    expect(new Uint8Array(await readFile(destination))).toEqual(bytes("hello"));

    await store.delete("layers/abc");
    await expect(store.get("layers/abc")).rejects.toMatchObject({ code: "not_found" });
    await store.delete("layers/abc");
  });

  test("put-if-absent never replaces an object", async () => {
    expect(await store.putIfAbsent("k", bytes("first"))).toBe(true);
    expect(await store.putIfAbsent("k", bytes("second"))).toBe(false);
    expect(await store.get("k")).toEqual(bytes("first"));
  });

  test("put replaces an object, leaving no temporary behind", async () => {
    await store.put("staged/1/u-0", bytes("first"));
    await store.put("staged/1/u-0", bytes("second, longer"));
    expect(await store.get("staged/1/u-0")).toEqual(bytes("second, longer"));
    expect((await collect(store.list("staged/"))).map((object) => object.key)).toEqual(["staged/1/u-0"]);
  });

  test("concurrent put-if-absent of one key leaves one whole object", async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => new Uint8Array(256 * 1024).fill(i + 1));
    const wrote = await Promise.all(bodies.map((body) => store.putIfAbsent("layers/race", body)));
    const stored = await store.get("layers/race");
    const winners = bodies.filter((_, i) => wrote[i]);
    expect(winners.length).toBeGreaterThanOrEqual(1);
    if (kind.exclusivePuts) {
      expect(winners).toHaveLength(1);
      expect(stored).toEqual(winners[0]);
    } else {
      expect(winners.some((body) => Buffer.from(body).equals(stored))).toBe(true);
    }
  });

  test("a missing object is not_found, naming the key", async () => {
    const dir = await scratchDirectory();
    const attempts = [
      () => store.get("layers/missing"),
      () => store.download("layers/missing", join(dir, "x")),
    ];
    for (const attempt of attempts) {
      const error = await attempt().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).toBeInstanceOf(StorageError);
      expect(error).toMatchObject({ code: "not_found", message: expect.stringContaining("layers/missing") });
    }
    expect(await readdir(dir)).toEqual([]);
  });

  test("lists objects by key prefix", async () => {
    const before = Date.now() - 5_000;
    for (const key of ["layers/a1", "layers/b2", "layers/sub/c3", "layersx", "other/d4"]) {
      await store.putIfAbsent(key, bytes(key));
    }
    const layers = await collect(store.list("layers/"));
    expect(layers.map((object) => object.key)).toEqual(["layers/a1", "layers/b2", "layers/sub/c3"]);
    expect(layers[0]?.size).toBe(9);
    expect(layers[0]?.lastModified.getTime()).toBeGreaterThan(before);
    expect((await collect(store.list("lay"))).map((object) => object.key)).toEqual([
      "layers/a1",
      "layers/b2",
      "layers/sub/c3",
      "layersx",
    ]);
    expect((await collect(store.list("layers/s"))).map((object) => object.key)).toEqual(["layers/sub/c3"]);
    expect(await collect(store.list(""))).toHaveLength(5);
    expect(await collect(store.list("nothing/"))).toEqual([]);
  });

  test("lists more objects than one S3 page holds", async () => {
    const keys = Array.from({ length: 1100 }, (_, i) => `layers/${String(i).padStart(4, "0")}`);
    for (let start = 0; start < keys.length; start += 50) {
      await Promise.all(keys.slice(start, start + 50).map((key) => store.putIfAbsent(key, bytes("x"))));
    }
    const listed = await collect(store.list("layers/"));
    expect(listed.map((object) => object.key)).toEqual(keys);
  });

  test("hands out URLs that PUT and GET one object without credentials, when clients can reach it", async () => {
    expect(store.presign !== undefined).toBe(kind.presigns);
    if (store.presign === undefined) return;
    const body = new Uint8Array(64 * 1024).map((_, i) => (i * 7) % 251);
    const put = await store.presign("staged/1/u-0", "PUT", 60);
    // Under the deployment's prefix, path-style on the test server.
    expect(new URL(put).pathname).toMatch(/^\/openduck-test\/deployment-\d+\/staged\/1\/u-0$/);
    expect((await fetch(put, { method: "PUT", body })).status).toBe(200);
    expect(await store.get("staged/1/u-0")).toEqual(body);

    const get = await fetch(await store.presign("staged/1/u-0", "GET", 60));
    expect(get.status).toBe(200);
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(body);
    // Signed for the asked lifetime (the test server does not check signatures, so only their form is checked).
    const query = new URL(put).searchParams;
    expect(query.get("X-Amz-Expires")).toBe("60");
    expect(query.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    // Nothing a client would have to send besides the URL (e.g. a checksum of a body the signer never saw).
    expect(query.get("X-Amz-SignedHeaders")).toBe("host");
  });

  test("keeps every byte value", async () => {
    const body = new Uint8Array(4096).map((_, i) => i % 256);
    expect(await store.putIfAbsent("binary", body)).toBe(true);
    expect(await store.get("binary")).toEqual(body);
  });

  test("round-trips a 20 MB object", async () => {
    const body = new Uint8Array(randomBytes(20 * 1024 * 1024));
    expect(await store.putIfAbsent("layers/large", body)).toBe(true);
    expect(Buffer.from(await store.get("layers/large")).equals(body)).toBe(true);
    const destination = join(await scratchDirectory(), "large");
    expect(await store.download("layers/large", destination)).toBe(body.length);
    expect((await readFile(destination)).equals(body)).toBe(true);
  });
});

describe("filesystem object store", () => {
  test("keeps objects as files under the root", async () => {
    const root = await scratchDirectory();
    const store = new FilesystemObjectStore(root);
    await store.putIfAbsent("layers/abc", bytes("hello"));
    expect(store.localPath("layers/abc")).toBe(join(root, "layers", "abc"));
    expect(await readFile(join(root, "layers", "abc"), "utf8")).toBe("hello");
    // No temporary file is left behind, and one being written is not listed.
    expect(await readdir(join(root, "layers"))).toEqual(["abc"]);
    await writeFile(join(root, "layers", ".0f3c.tmp"), "partial");
    expect((await collect(store.list(""))).map((object) => object.key)).toEqual(["layers/abc"]);
  });

  test("refuses keys that leave the root or are ambiguous", async () => {
    const store = new FilesystemObjectStore(await scratchDirectory());
    for (const key of ["", "/etc/passwd", "a/../../b", "..", "a//b", "a/", "./a", "a/.hidden"]) {
      expect(() => store.localPath(key)).toThrow(StorageError);
      await expect(store.putIfAbsent(key, bytes("x"))).rejects.toMatchObject({ code: "invalid_argument" });
      await expect(store.get(key)).rejects.toMatchObject({ code: "invalid_argument" });
    }
  });

  test("refuses a key that is also a folder of keys", async () => {
    const store = new FilesystemObjectStore(await scratchDirectory());
    await store.putIfAbsent("a/b", bytes("x"));
    await expect(store.putIfAbsent("a", bytes("y"))).rejects.toMatchObject({ code: "invalid_argument" });
    await expect(store.putIfAbsent("a/b/c", bytes("y"))).rejects.toMatchObject({ code: "invalid_argument" });
    await expect(store.put("a", bytes("y"))).rejects.toMatchObject({ code: "invalid_argument" });
    expect(await store.get("a/b")).toEqual(bytes("x"));
    await expect(store.get("a/b/c")).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("s3 object store", () => {
  test("has no local files", () => {
    const store = new S3ObjectStore({
      bucket,
      prefix: "",
      region: s3TestRegion,
      credentials: s3TestCredentials,
    });
    expect(store.localPath()).toBeUndefined();
  });

  test("a server that is not there fails with an error naming the object", async () => {
    const store = new S3ObjectStore({
      bucket,
      prefix: "p",
      endpoint: "http://127.0.0.1:1",
      region: s3TestRegion,
      credentials: s3TestCredentials,
      forcePathStyle: true,
    });
    await expect(store.get("layers/abc")).rejects.toThrow(
      /S3 get of s3:\/\/openduck-test\/p\/layers\/abc failed/,
    );
  });
});
