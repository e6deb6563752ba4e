import { randomBytes } from "node:crypto";
import { readFile, truncate } from "node:fs/promises";
import { join } from "node:path";
import { DuckDBWorker } from "@openduck/engine";
import { type LayeredDatabaseStore, MAX_STAGED_OBJECT_BYTES, type StoredObject } from "@openduck/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackendServers, type TestStorage, testStorage } from "./support/storage-backends.js";

// Uploads and results that bypass the gateway: the store hands out presigned URLs of its objects, which clients
// PUT staged parts to and GET result parts from with plain HTTP. A store clients cannot reach (a local directory)
// refuses to.

const servers = new BackendServers();
afterAll(() => servers.stop());

interface Opened {
  storage: TestStorage;
  store: LayeredDatabaseStore;
  worker: DuckDBWorker;
}

let s3: Opened;
let filesystem: Opened;

async function openStorage(objects: "s3" | "filesystem"): Promise<Opened> {
  const storage = await testStorage(servers, "pglite", objects);
  const store = await storage.open();
  const worker = new DuckDBWorker({ store, scratchDirectory: join(storage.dataDirectory, "duckdb") });
  await worker.createDatabase("sales");
  return { storage, store, worker };
}

beforeAll(async () => {
  [s3, filesystem] = await Promise.all([openStorage("s3"), openStorage("filesystem")]);
});

afterAll(async () => {
  for (const opened of [s3, filesystem]) {
    await opened?.worker.close();
    await opened?.store.close();
    await opened?.storage.cleanup();
  }
});

function newUploadId(): string {
  return randomBytes(16).toString("hex");
}

function randomPart(bytes: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(randomBytes(bytes));
}

async function keys(objects: AsyncIterable<StoredObject>): Promise<string[]> {
  const all: string[] = [];
  for await (const object of objects) all.push(object.key);
  return all.sort();
}

/** vitest compares typed arrays element by element, which takes seconds for megabytes. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

describe("presigned staged parts", () => {
  it("are PUT by the client to the keys StageRows writes, and fetched for a write like staged parts", async () => {
    const uploadId = newUploadId();
    const parts = [randomPart(1000), randomPart(6 * 1024 * 1024), randomPart(10)];
    await s3.store.stageRows("sales", uploadId, 0, randomPart(5));
    const presigned = await s3.store.presignStagedParts("sales", uploadId, 0, 3);
    expect(presigned.expiresInMs).toBe(3600_000);
    expect(presigned.urls).toHaveLength(3);
    for (const [part, body] of parts.entries()) {
      const url = presigned.urls[part] as string;
      expect(new URL(url).pathname).toMatch(new RegExp(`/deployment/staged/\\d+/${uploadId}-${part}$`));
      // Part 0 was staged already: a PUT replaces it.
      expect((await fetch(url, { method: "PUT", body })).status).toBe(200);
    }
    // URLs for later parts name them.
    const later = await s3.store.presignStagedParts("sales", uploadId, 3, 1);
    expect(later.urls[0]).toMatch(new RegExp(`/${uploadId}-3\\?`));

    const directory = join(s3.storage.dataDirectory, "fetched");
    const paths = await s3.store.fetchStaged("sales", uploadId, 3, directory);
    for (const [part, path] of paths.entries()) {
      expect(sameBytes(await readFile(path), parts[part] as Uint8Array)).toBe(true);
    }
  });

  it("are refused by a store that clients cannot reach, which tells them to use StageRows", async () => {
    await expect(filesystem.store.presignStagedParts("sales", newUploadId(), 0, 1)).rejects.toMatchObject({
      code: "unsupported",
      message: expect.stringMatching(
        /cannot reach them \(no presigned URLs\): send the parts with StageRows instead$/,
      ),
    });
  });

  it("are refused for a bad upload id, part range or database", async () => {
    const refusals: [number, number, string, RegExp][] = [
      [0, 1, "ABC", /^invalid upload id "ABC"/],
      [0, 0, newUploadId(), /^count 0 is out of range: ask for 1 to 64 part URLs at a time/],
      [0, 65, newUploadId(), /^count 65 is out of range/],
      [-1, 1, newUploadId(), /^part -1 is out of range/],
      [99_999, 2, newUploadId(), /^parts 99999 to 100000 are out of range: an upload has parts 0 to 99999/],
    ];
    for (const [first, count, uploadId, message] of refusals) {
      await expect(s3.store.presignStagedParts("sales", uploadId, first, count)).rejects.toMatchObject({
        code: "invalid_argument",
        message: expect.stringMatching(message),
      });
    }
    // The last parts there may be are fine.
    expect((await s3.store.presignStagedParts("sales", newUploadId(), 99_936, 64)).urls).toHaveLength(64);
    await expect(s3.store.presignStagedParts("nowhere", newUploadId(), 0, 1)).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("larger than 64 MiB are refused when a write fetches them, before anything reads them", async () => {
    // A part PUT to a URL may have any size. Here one is made that large cheaply: a sparse file in the store.
    const uploadId = newUploadId();
    await filesystem.store.stageRows("sales", uploadId, 0, randomPart(10));
    const objects = filesystem.storage.objects();
    const [key] = await keys(objects.list("staged/")).then((all) => all.filter((k) => k.includes(uploadId)));
    const file = objects.localPath(key as string) as string;
    const directory = join(filesystem.storage.dataDirectory, "large");

    await truncate(file, MAX_STAGED_OBJECT_BYTES);
    expect(await filesystem.store.fetchStaged("sales", uploadId, 1, directory)).toHaveLength(1);
    await truncate(file, MAX_STAGED_OBJECT_BYTES + 1);
    await expect(filesystem.store.fetchStaged("sales", uploadId, 1, directory)).rejects.toMatchObject({
      code: "invalid_argument",
      message: `part 0 of upload ${uploadId} to database "sales" is 67108865 bytes, more than the 67108864 a part may hold: split the rows into more parts`,
    });
  });
});

describe("result parts", () => {
  it("are kept under results/ and fetched from their URL with plain HTTP", async () => {
    const before = await keys(s3.storage.objects().list("results/"));
    const bytes = randomPart(3 * 1024 * 1024 + 17);
    const part = await s3.store.putResultPart(bytes);
    expect(part.expiresInMs).toBe(3600_000);
    expect(new URL(part.url).searchParams.get("X-Amz-Expires")).toBe("3600");
    const response = await fetch(part.url);
    expect(response.status).toBe(200);
    expect(sameBytes(new Uint8Array(await response.arrayBuffer()), bytes)).toBe(true);
    const added = (await keys(s3.storage.objects().list("results/"))).filter((key) => !before.includes(key));
    expect(added).toEqual([expect.stringMatching(/^results\/[0-9a-f-]{36}$/)]);
  });

  it("are refused by a store that clients cannot reach, before anything is written", async () => {
    await expect(filesystem.store.putResultPart(randomPart(10))).rejects.toMatchObject({
      code: "unsupported",
    });
    expect(await keys(filesystem.storage.objects().list("results/"))).toEqual([]);
  });

  it("are collected by garbage collection once their URLs expired, and not before", async () => {
    const lifetimeMs = 3000;
    const short = await s3.storage.open({ resultLifetimeMs: lifetimeMs, work: "short-lived" });
    try {
      const old = await short.putResultPart(randomPart(100));
      expect(old.expiresInMs).toBe(lifetimeMs);
      // S3 lists modification times in whole seconds: wait out the lifetime and that second.
      await new Promise((resolve) => setTimeout(resolve, lifetimeMs + 1100));
      const fresh = await short.putResultPart(randomPart(100));

      // A store that keeps results for the default hour deletes neither.
      expect((await s3.store.collectGarbage()).resultsDeleted).toBe(0);
      expect((await short.collectGarbage({ dryRun: true })).resultsDeleted).toBeGreaterThanOrEqual(1);
      expect((await fetch(old.url)).status).toBe(200);
      const collected = await short.collectGarbage();
      expect(collected.resultsDeleted).toBeGreaterThanOrEqual(1);
      const [gone, kept] = await Promise.all([fetch(old.url), fetch(fresh.url)]);
      expect(gone.status).toBe(404);
      expect(kept.status).toBe(200);
    } finally {
      await short.close();
    }
  });
});
