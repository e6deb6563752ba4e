import { Code, type ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { QueryHandles } from "./query-handle.js";

const claims = {
  database: "mydb",
  sql: "SELECT * FROM range(10)",
  snapshotId: "7",
  settings: { TimeZone: "UTC" },
  run: "5f0c1a52-2c53-4b8e-9d0e-0c1d2e3f4a5b",
};

function codeOf(run: () => unknown): Code | undefined {
  try {
    run();
  } catch (error) {
    return (error as ConnectError).code;
  }
  return undefined;
}

describe("QueryHandles", () => {
  it("verifies what it issued, on any instance sharing the secret", () => {
    const handle = new QueryHandles("secret").issue(claims, "token-a");
    expect(new QueryHandles("secret").verify(handle, "token-a")).toEqual(claims);
  });

  it("pins a transaction's private snapshot and the uploads the query reads", () => {
    const handles = new QueryHandles("secret");
    const inTransaction = {
      ...claims,
      transaction: { base: "7", tip: "9" },
      staged: [{ uploadId: "0123456789abcdef0123456789abcdef", parts: 3 }],
    };
    expect(handles.verify(handles.issue(inTransaction, "token-a"), "token-a")).toEqual(inTransaction);
  });

  it("refuses a handle signed with another secret", () => {
    const handle = new QueryHandles("other").issue(claims, "token-a");
    expect(codeOf(() => new QueryHandles("secret").verify(handle, "token-a"))).toBe(Code.InvalidArgument);
  });

  it("refuses a tampered handle", () => {
    const handles = new QueryHandles("secret");
    const handle = handles.issue(claims, "token-a");
    const tampered = Uint8Array.from(handle);
    tampered.set([(tampered.at(-3) ?? 0) ^ 1], tampered.length - 3);
    expect(codeOf(() => handles.verify(tampered, "token-a"))).toBe(Code.InvalidArgument);
    expect(codeOf(() => handles.verify(new Uint8Array([1, 2, 3]), "token-a"))).toBe(Code.InvalidArgument);
  });

  it("serves only the token that started the query", () => {
    const handles = new QueryHandles("secret");
    const handle = handles.issue(claims, "token-a");
    expect(codeOf(() => handles.verify(handle, "token-b"))).toBe(Code.PermissionDenied);
  });

  it("expires", () => {
    const handles = new QueryHandles("secret", 1000);
    const handle = handles.issue(claims, "token-a", 0);
    expect(handles.verify(handle, "token-a", 999)).toEqual(claims);
    const error = (() => {
      try {
        handles.verify(handle, "token-a", 1001);
      } catch (caught) {
        return caught as ConnectError;
      }
    })();
    expect(error?.code).toBe(Code.FailedPrecondition);
    expect(error?.rawMessage).toMatch(/expired/);
  });
});
