import { Code, type ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { transactionControl, transactionEnd } from "./transaction-control.js";

describe("transactionControl", () => {
  it.each([
    ["COMMIT", "commit", "COMMIT"],
    ["commit;", "commit", "COMMIT"],
    ["  Commit Transaction ; ", "commit", "COMMIT"],
    ["COMMIT WORK", "commit", "COMMIT"],
    ["end", "commit", "END"],
    ["-- done\nEND TRANSACTION; /* really */", "commit", "END"],
    ["ROLLBACK", "rollback", "ROLLBACK"],
    ["rollback transaction;", "rollback", "ROLLBACK"],
    ["ABORT", "rollback", "ABORT"],
    ["BEGIN", "other", "BEGIN"],
    ["begin transaction;", "other", "BEGIN"],
    ["START TRANSACTION READ ONLY", "other", "START"],
    ["SAVEPOINT a", "other", "SAVEPOINT"],
    ["ROLLBACK TO SAVEPOINT a", "other", "ROLLBACK"],
    ["RELEASE SAVEPOINT a", "other", "RELEASE"],
  ])("reads %j as %s", (sql, kind, keyword) => {
    expect(transactionControl(sql)).toEqual({ kind, keyword });
  });

  it.each([
    "BEGIN; INSERT INTO t VALUES (1); COMMIT",
    "INSERT INTO t VALUES (1); COMMIT",
    "COMMIT; COMMIT",
    "SELECT 'COMMIT'",
    "SELECT 1 -- COMMIT",
    "COMMITTED",
    "ENDING",
    "",
  ])("leaves %j to DuckDB", (sql) => {
    expect(transactionControl(sql)).toBeUndefined();
  });
});

describe("transactionEnd", () => {
  function refusal(sql: string, inTransaction: boolean): ConnectError {
    try {
      transactionEnd(sql, inTransaction);
    } catch (error) {
      return error as ConnectError;
    }
    throw new Error(`${sql} was not refused`);
  }

  it("ends a transaction with COMMIT or ROLLBACK", () => {
    expect(transactionEnd("END", true)).toBe("commit");
    expect(transactionEnd("ABORT;", true)).toBe("rollback");
    expect(transactionEnd("INSERT INTO t VALUES (1)", true)).toBeUndefined();
    expect(transactionEnd("BEGIN; INSERT INTO t VALUES (1); COMMIT", false)).toBeUndefined();
  });

  it("refuses transaction control it cannot honour, saying why", () => {
    expect(refusal("COMMIT", false)).toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringMatching(/^COMMIT outside a transaction/),
    });
    expect(refusal("BEGIN", false).rawMessage).toMatch(/begin_transaction/);
    expect(refusal("begin transaction", true).rawMessage).toMatch(/^BEGIN inside a transaction/);
    expect(refusal("SAVEPOINT a", true).code).toBe(Code.InvalidArgument);
  });
});
