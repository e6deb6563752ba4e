const leadingComments = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/;
const writeKeyword =
  /^(?:INSERT|UPDATE|DELETE|MERGE|TRUNCATE|DROP|ALTER|COMMENT|CREATE(?!\s+(?:OR\s+REPLACE\s+)?TEMP(?:ORARY)?\b))\b/i;

/**
 * Whether SQL obviously writes, judged by its first keyword. A write found
 * this way goes straight to the write path; anything else is tried on the
 * read-only snapshot first and moves to the write path only if DuckDB says
 * it writes. The guess only saves the read attempt (opening the newest
 * snapshot just to be told it is read-only): it never decides correctness.
 */
export function looksLikeWrite(sql: string): boolean {
  return writeKeyword.test(sql.replace(leadingComments, ""));
}
