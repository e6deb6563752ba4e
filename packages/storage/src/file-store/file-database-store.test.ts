import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StorageError } from "../errors.js";
import { FileDatabaseStore } from "./file-database-store.js";

let root: string;
let store: FileDatabaseStore;

async function file(content: string): Promise<string> {
  const path = join(root, `${content}.src`);
  await writeFile(path, content);
  return path;
}

async function codeOf(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
  } catch (error) {
    if (error instanceof StorageError) return error.code;
    throw error;
  }
  return undefined;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "openduck-store-"));
  store = new FileDatabaseStore(root);
});

afterEach(async () => {
  await store.close();
  await rm(root, { recursive: true, force: true });
});

describe("FileDatabaseStore", () => {
  it("creates, lists and opens databases", async () => {
    const created = await store.createDatabase("sales", await file("v1"));
    expect(created.id).toBe("1");
    expect((await store.listDatabases()).map((d) => [d.name, d.headSnapshotId])).toEqual([["sales", "1"]]);
    const opened = await store.openSnapshot("sales");
    expect(await readFile(opened.path, "utf8")).toBe("v1");
    expect(opened.path.endsWith("sales.duckdb")).toBe(true);
  });

  it("commits a write as the next snapshot and keeps the old one", async () => {
    await store.createDatabase("sales", await file("v1"));
    const write = await store.beginWrite("sales");
    await writeFile(write.path, "v2");
    expect((await write.commit()).id).toBe("2");
    expect(await readFile((await store.openSnapshot("sales")).path, "utf8")).toBe("v2");
    expect(await readFile((await store.openSnapshot("sales", "1")).path, "utf8")).toBe("v1");
  });

  it("refuses a commit whose base is no longer the head, leaving the head alone", async () => {
    await store.createDatabase("sales", await file("v1"));
    const first = await store.beginWrite("sales");
    const second = await store.beginWrite("sales");
    await writeFile(first.path, "first");
    await writeFile(second.path, "second");
    await first.commit();
    expect(await codeOf(second.commit())).toBe("aborted");
    expect(await readFile((await store.openSnapshot("sales")).path, "utf8")).toBe("first");
  });

  it("reports bad input clearly", async () => {
    await store.createDatabase("sales", await file("v1"));
    expect(await codeOf(store.createDatabase("sales", await file("again")))).toBe("already_exists");
    expect(await codeOf(store.openSnapshot("nope"))).toBe("not_found");
    expect(await codeOf(store.openSnapshot("sales", "9"))).toBe("not_found");
    expect(await codeOf(store.openSnapshot("sales", "../x"))).toBe("not_found");
    expect(await codeOf(store.openSnapshot("bad-name"))).toBe("invalid_argument");
  });
});
