import { Code, type ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { QueryHandles } from "./query-handle.js";
import { TransactionTokens } from "./transaction-token.js";

const transaction = { database: "mydb", base: "7", tip: "12", expiresAt: 1000 };

function refusal(run: () => unknown): ConnectError {
  try {
    run();
  } catch (error) {
    return error as ConnectError;
  }
  throw new Error("expected a refusal");
}

describe("TransactionTokens", () => {
  it("carries the transaction to any instance sharing the secret, keeping its expiry", () => {
    const token = new TransactionTokens("secret").issue(transaction, "caller");
    expect(new TransactionTokens("secret").verify(token, "mydb", "caller", 999)).toEqual(transaction);
  });

  it("refuses a token for another database, caller or secret, and an expired one", () => {
    const tokens = new TransactionTokens("secret");
    const token = tokens.issue(transaction, "caller");
    expect(refusal(() => tokens.verify(token, "other", "caller", 0)).code).toBe(Code.InvalidArgument);
    expect(refusal(() => tokens.verify(token, "mydb", "someone else", 0)).code).toBe(Code.PermissionDenied);
    expect(refusal(() => new TransactionTokens("other").verify(token, "mydb", "caller", 0)).code).toBe(
      Code.InvalidArgument,
    );
    const expired = refusal(() => tokens.verify(token, "mydb", "caller", 1001));
    expect(expired.code).toBe(Code.FailedPrecondition);
    expect(expired.rawMessage).toMatch(/^transaction token expired: .*nothing of it was written/);
  });

  it("is no query handle, and no query handle is a transaction token", () => {
    const token = new TransactionTokens("secret").issue(transaction, "caller");
    expect(refusal(() => new QueryHandles("secret").verify(token, "caller", 0)).rawMessage).toBe(
      "query handle was not issued by this service",
    );
    const handle = new QueryHandles("secret").issue(
      { database: "mydb", sql: "SELECT 1", snapshotId: "7", settings: {}, run: "" },
      "caller",
      0,
    );
    expect(refusal(() => new TransactionTokens("secret").verify(handle, "mydb", "caller", 0)).code).toBe(
      Code.InvalidArgument,
    );
  });
});
