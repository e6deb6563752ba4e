import { describe, expect, it } from "vitest";
import { looksLikeWrite } from "./statement-routing.js";

describe("looksLikeWrite", () => {
  it.each([
    "INSERT INTO t VALUES (1)",
    "  -- a comment\n update t set x = 1",
    "/* why */ DELETE FROM t",
    "create table t (i int)",
    "CREATE OR REPLACE VIEW v AS SELECT 1",
    "DROP TABLE t; SELECT 1",
    "ALTER TABLE t ADD COLUMN c INT",
    "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE",
  ])("sees a write in %j", (sql) => {
    expect(looksLikeWrite(sql)).toBe(true);
  });

  it.each([
    "SELECT 1",
    "WITH x AS (SELECT 1) SELECT * FROM x",
    "CREATE TEMP TABLE x AS SELECT 1",
    "create or replace temporary table x (i int)",
    "-- INSERT\nSELECT 1",
    "SHOW TABLES",
    "INSERTION_TABLE",
    "",
  ])("tries %j on the read path first", (sql) => {
    expect(looksLikeWrite(sql)).toBe(false);
  });
});
