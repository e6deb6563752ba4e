import { describe, expect, it } from "vitest";
import { bearerToken, secretsMatch } from "./bearer-auth.js";

describe("bearer auth", () => {
  it("reads the token of an Authorization header", () => {
    expect(bearerToken("Bearer abc.DEF-123")).toBe("abc.DEF-123");
    expect(bearerToken("bearer   abc")).toBe("abc");
    expect(bearerToken(null)).toBeUndefined();
    expect(bearerToken("Basic abc")).toBeUndefined();
    expect(bearerToken("Bearer")).toBeUndefined();
    expect(bearerToken("Bearer a b")).toBeUndefined();
  });

  it("compares secrets of any length", () => {
    expect(secretsMatch("token", "token")).toBe(true);
    expect(secretsMatch("token", "token2")).toBe(false);
    expect(secretsMatch("", "token")).toBe(false);
  });
});
