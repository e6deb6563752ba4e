import { describe, expect, it } from "vitest";
import { StorageError } from "./errors.js";
import { validateDatabaseName } from "./names.js";

describe("validateDatabaseName", () => {
  it("accepts identifiers", () => {
    expect(validateDatabaseName("mydb")).toBe("mydb");
    expect(validateDatabaseName("_Sales_2024")).toBe("_Sales_2024");
  });

  it.each(["", "1db", "my-db", "a b", "x".repeat(64), "../etc", "db;"])("refuses %j", (name) => {
    expect(() => validateDatabaseName(name)).toThrow(StorageError);
  });
});
