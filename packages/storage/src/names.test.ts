import { describe, expect, it } from "vitest";
import { StorageError } from "./errors.js";
import { validateDatabaseName, validateStagedPart, validateUploadId } from "./names.js";

describe("validateDatabaseName", () => {
  it("accepts identifiers", () => {
    expect(validateDatabaseName("mydb")).toBe("mydb");
    expect(validateDatabaseName("_Sales_2024")).toBe("_Sales_2024");
  });

  it.each(["", "1db", "my-db", "a b", "x".repeat(64), "../etc", "db;"])("refuses %j", (name) => {
    expect(() => validateDatabaseName(name)).toThrow(StorageError);
  });
});

describe("validateUploadId and validateStagedPart", () => {
  it("accept 32 lowercase hex characters and parts 0 to 99999", () => {
    expect(validateUploadId("0123456789abcdef0123456789abcdef")).toBe("0123456789abcdef0123456789abcdef");
    expect(validateStagedPart(0)).toBe(0);
    expect(validateStagedPart(99999)).toBe(99999);
  });

  it.each(["", "0123456789ABCDEF0123456789ABCDEF", "0123456789abcdef", "../../layers/x0123456789abcdef0"])(
    "refuses the upload id %j",
    (id) => {
      expect(() => validateUploadId(id)).toThrow(StorageError);
    },
  );

  it.each([-1, 1.5, 100000])("refuses part %j", (part) => {
    expect(() => validateStagedPart(part)).toThrow(StorageError);
  });
});
