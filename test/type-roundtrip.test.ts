import { Code, type ConnectError } from "@connectrpc/connect";
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from "@duckdb/node-api";
import type { Table } from "apache-arrow";
import { OpenDuckClient, type QueryOptions } from "openduck";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonical, duckdbColumnsFromArrow, extensionName } from "./support/duckdb-values-from-arrow.js";
import { type OpenDuckProcess, serveTestDatabase } from "./support/openduck-process.js";

/*
 * Acceptance: a table holding every DuckDB 1.4 type comes back through the client equal to what a local
 * DuckDB returns for the same SQL. The served result (Arrow) is turned into the values @duckdb/node-api
 * gives (its own value classes), and both sides are compared in `canonical` form: value class, DuckDB's text
 * and every field of each value.
 */

const token = "type-roundtrip-token";
// The server runs in a zone with a half-hour offset, unlike the test process: TIMESTAMPTZ values are instants
// and must not depend on either zone. Every TIMESTAMPTZ literal below therefore carries its own offset.
const serverTimeZone = "Asia/Kolkata";

/** Column, its DuckDB type as declared, and the Arrow type DuckDB's lossless export gives it. */
const columns: [name: string, type: string, arrow: string][] = [
  ["id", "INTEGER", "Int32"],
  ["c_boolean", "BOOLEAN", "Bool"],
  ["c_tinyint", "TINYINT", "Int8"],
  ["c_smallint", "SMALLINT", "Int16"],
  ["c_integer", "INTEGER", "Int32"],
  ["c_bigint", "BIGINT", "Int64"],
  ["c_hugeint", "HUGEINT", "FixedSizeBinary[16] <duckdb.hugeint>"],
  ["c_utinyint", "UTINYINT", "Uint8"],
  ["c_usmallint", "USMALLINT", "Uint16"],
  ["c_uinteger", "UINTEGER", "Uint32"],
  ["c_ubigint", "UBIGINT", "Uint64"],
  ["c_uhugeint", "UHUGEINT", "FixedSizeBinary[16] <duckdb.uhugeint>"],
  ["c_float", "FLOAT", "Float32"],
  ["c_double", "DOUBLE", "Float64"],
  ["c_decimal_4_1", "DECIMAL(4,1)", "Decimal[4e+1]"],
  ["c_decimal_18_3", "DECIMAL(18,3)", "Decimal[18e+3]"],
  ["c_decimal_38_10", "DECIMAL(38,10)", "Decimal[38e+10]"],
  ["c_varchar", "VARCHAR", "Utf8"],
  ["c_blob", "BLOB", "Binary"],
  ["c_date", "DATE", "Date32<DAY>"],
  ["c_time", "TIME", "Time64<MICROSECOND>"],
  ["c_timetz", "TIMETZ", "FixedSizeBinary[8] <duckdb.time_tz>"],
  ["c_timestamp_s", "TIMESTAMP_S", "Timestamp<SECOND>"],
  ["c_timestamp_ms", "TIMESTAMP_MS", "Timestamp<MILLISECOND>"],
  ["c_timestamp", "TIMESTAMP", "Timestamp<MICROSECOND>"],
  ["c_timestamp_ns", "TIMESTAMP_NS", "Timestamp<NANOSECOND>"],
  ["c_timestamptz", "TIMESTAMPTZ", `Timestamp<MICROSECOND, ${serverTimeZone}>`],
  ["c_interval", "INTERVAL", "Interval<MONTH_DAY_NANO>"],
  ["c_uuid", "UUID", "FixedSizeBinary[16] <arrow.uuid>"],
  ["c_enum", "mood", "Dictionary<Uint8, Utf8>"],
  ["c_bit", "BIT", "Binary <duckdb.bit>"],
  ["c_bignum", "BIGNUM", "Binary <duckdb.bignum>"],
  ["c_json", "JSON", "Utf8 <arrow.json>"],
  ["c_int_list", "INTEGER[]", "List<Int32>"],
  ["c_varchar_list", "VARCHAR[]", "List<Utf8>"],
  ["c_int_array", "INTEGER[3]", "FixedSizeList[3]<Int32>"],
  ["c_struct", "STRUCT(i INTEGER, s VARCHAR)", "Struct<{i:Int32, s:Utf8}>"],
  ["c_map", "MAP(VARCHAR, INTEGER)", "Map<{key:Utf8, value:Int32}>"],
  ["c_union", "UNION(num INTEGER, str VARCHAR, flag BOOLEAN)", "Union<Int32 | Utf8 | Bool>"],
  ["c_list_of_struct", "STRUCT(k VARCHAR, v DOUBLE)[]", "List<Struct<{k:Utf8, v:Float64}>>"],
  [
    "c_struct_of_list",
    "STRUCT(ints INTEGER[], names VARCHAR[])",
    "Struct<{ints:List<Int32>, names:List<Utf8>}>",
  ],
  ["c_map_of_list", "MAP(INTEGER, VARCHAR[])", "Map<{key:Int32, value:List<Utf8>}>"],
  ["c_list_of_enum", "mood[]", "List<Dictionary<Uint8, Utf8>>"],
  ["c_array_of_struct", "STRUCT(x INTEGER, y VARCHAR)[2]", "FixedSizeList[2]<Struct<{x:Int32, y:Utf8}>>"],
  ["c_list_of_list", "BIGINT[][]", "List<List<Int64>>"],
  [
    "c_deep",
    "STRUCT(core STRUCT(hugeints HUGEINT[], mood mood, ts TIMESTAMPTZ), ids MAP(UUID, DECIMAL(38,10)))",
    `Struct<{core:Struct<{hugeints:List<FixedSizeBinary[16]>, mood:Dictionary<Uint8, Utf8>, ts:Timestamp<MICROSECOND, ${serverTimeZone}>}>, ids:Map<{key:FixedSizeBinary[16], value:Decimal[38e+10]}>}>`,
  ],
  [
    "c_union_nested",
    "UNION(ints INTEGER[], pair STRUCT(a INTEGER, b VARCHAR), ts TIMESTAMP_NS)",
    "Union<List<Int32> | Struct<{a:Int32, b:Utf8}> | Timestamp<NANOSECOND>>",
  ],
  ["c_list_of_union", "UNION(i INTEGER, s VARCHAR)[]", "List<Union<Int32 | Utf8>>"],
  [
    "c_nested_bool",
    "STRUCT(b BOOLEAN, l BOOLEAN[], a BOOLEAN[2], m MAP(BOOLEAN, BOOLEAN))",
    "Struct<{b:Bool, l:List<Bool>, a:FixedSizeList[2]<Bool>, m:Map<{key:Bool, value:Bool}>}>",
  ],
  [
    "c_extension_list",
    "STRUCT(t TIMETZ, b BIT, u UHUGEINT, n BIGNUM, j JSON)[]",
    "List<Struct<{t:FixedSizeBinary[8], b:Binary, u:FixedSizeBinary[16], n:Binary, j:Utf8}>>",
  ],
];

const smallUnion = "UNION(i INTEGER, s VARCHAR)";

/*
 * The rows, as SQL expressions by column; a column left out is NULL. Row 6 is NULL in every column.
 *
 * Values left out on purpose, because Arrow cannot carry them and no client could get them back:
 * - a non-NULL UNION whose selected member is NULL (`union_value(num := NULL)`): Arrow unions have no
 *   validity of their own, so it is indistinguishable from a NULL union (DuckDB exports that as its first
 *   member, NULL);
 * - an INTERVAL whose time part exceeds ±2^63 ns (≈ 106,751 days): see the separate test at the end.
 */
const rows: Record<string, string>[] = [
  {
    // Typical values.
    id: "1",
    c_boolean: "true",
    c_tinyint: "42",
    c_smallint: "-1234",
    c_integer: "123456",
    c_bigint: "1234567890123",
    c_hugeint: "12345678901234567890123456789",
    c_utinyint: "200",
    c_usmallint: "60000",
    c_uinteger: "4000000000",
    c_ubigint: "18000000000000000000",
    c_uhugeint: "123456789012345678901234567890123456789",
    c_float: "3.5",
    c_double: "3.141592653589793",
    c_decimal_4_1: "123.4",
    c_decimal_18_3: "123456789012345.678",
    c_decimal_38_10: "1234567890123456789012345678.0123456789",
    c_varchar: "'duck'",
    c_blob: String.raw`'\xDE\xAD\xBE\xEF'::BLOB`,
    c_date: "'2024-02-29'",
    c_time: "'12:34:56.789012'",
    c_timetz: "'12:34:56.789+05:30'",
    c_timestamp_s: "'2024-01-15 10:30:00'",
    c_timestamp_ms: "'2024-01-15 10:30:00.123'",
    c_timestamp: "'2024-01-15 10:30:00.123456'",
    c_timestamp_ns: "'2024-01-15 10:30:00.123456789'",
    c_timestamptz: "'2024-01-15 10:30:00.123456+05:30'",
    c_interval: "INTERVAL '1 year 2 months 3 days 04:05:06.789012'",
    c_uuid: "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'",
    c_enum: "'happy'",
    c_bit: "'10101'",
    c_bignum: "'123456789012345678901234567890123456789012345678901234567890'::BIGNUM",
    c_json: `'{"duck": [1, 2.5, {"nested": null}], "ü": "🦆"}'`,
    c_int_list: "[1, 2, 3]",
    c_varchar_list: "['a', 'héllo wörld, longer than twelve bytes', NULL]",
    c_int_array: "[1, 2, 3]",
    c_struct: "{'i': 1, 's': 'one'}",
    c_map: "MAP {'a': 1, 'b': NULL}",
    c_union: "union_value(num := 42)",
    c_list_of_struct: "[{'k': 'x', 'v': 1.5}, NULL, {'k': NULL, 'v': -0.25}]",
    c_struct_of_list: "{'ints': [1, NULL, 3], 'names': ['a']}",
    c_map_of_list: "MAP {1: ['a', 'b'], 2: [], 3: NULL}",
    c_list_of_enum: "['sad', 'happy', NULL, 'sad']",
    c_array_of_struct: "[{'x': 1, 'y': 'a'}, {'x': NULL, 'y': NULL}]",
    c_list_of_list: "[[1, 2], [], NULL, [NULL]]",
    c_deep:
      "{'core': {'hugeints': [-1, 170141183460469231731687303715884105727], 'mood': 'ok', 'ts': '2000-01-01 00:00:00+00'}, 'ids': MAP {'00000000-0000-0000-0000-000000000001': 1.5}}",
    c_union_nested: "union_value(ints := [1, 2])",
    c_list_of_union: `[1::${smallUnion}, 'x'::${smallUnion}, NULL]`,
    c_nested_bool:
      "{'b': true, 'l': [true, false, NULL, true], 'a': [false, true], 'm': MAP {true: false, false: true}}",
    c_extension_list:
      "[{'t': '01:02:03+00', 'b': '1', 'u': 340282366920938463463374607431768211455, 'n': -1, 'j': '[1]'}]",
  },
  {
    // Minimums, -infinity and negative values.
    id: "2",
    c_boolean: "false",
    c_tinyint: "-128",
    c_smallint: "-32768",
    c_integer: "-2147483648",
    c_bigint: "-9223372036854775808",
    c_hugeint: "-170141183460469231731687303715884105728",
    c_utinyint: "0",
    c_usmallint: "0",
    c_uinteger: "0",
    c_ubigint: "0",
    c_uhugeint: "0",
    c_float: "'-inf'",
    c_double: "-1.7976931348623157e308",
    c_decimal_4_1: "-999.9",
    c_decimal_18_3: "-999999999999999.999",
    c_decimal_38_10: "-9999999999999999999999999999.9999999999",
    c_varchar: "'ünïcödé 🦆 — more than twelve bytes'",
    c_blob: String.raw`'\x00\xFF\x00'::BLOB`,
    c_date: "'-infinity'",
    c_time: "'00:00:00'",
    c_timetz: "'00:00:00+15:59:59'",
    c_timestamp_s: "'-infinity'",
    c_timestamp_ms: "'-infinity'",
    c_timestamp: "'-infinity'",
    c_timestamp_ns: "'-infinity'",
    c_timestamptz: "'-infinity'",
    c_interval: "INTERVAL '-1 year -2 days -00:00:00.000001'",
    c_uuid: "'00000000-0000-0000-0000-000000000000'",
    c_enum: "'sad'",
    c_bit: "'0'",
    c_bignum: "'-123456789012345678901234567890123456789012345678901234567890'::BIGNUM",
    c_json: "'[]'",
    c_int_list: "[-2147483648]",
    c_varchar_list: "['']",
    c_int_array: "[NULL, NULL, NULL]",
    c_struct: "{'i': NULL, 's': NULL}",
    c_map: "MAP {'': -1}",
    c_union: "union_value(str := 'ünï')",
    c_list_of_struct: "[]",
    c_struct_of_list: "{'ints': [], 'names': NULL}",
    c_map_of_list: "MAP {}",
    c_list_of_enum: "[]",
    c_array_of_struct: "[NULL, {'x': -1, 'y': ''}]",
    c_list_of_list: "[]",
    c_deep: "{'core': NULL, 'ids': MAP {}}",
    c_union_nested: "union_value(pair := {'a': -1, 'b': 'b'})",
    c_list_of_union: "[]",
    c_nested_bool: "{'b': false, 'l': [], 'a': [NULL, false], 'm': MAP {}}",
    c_extension_list: "[NULL]",
  },
  {
    // Maximums and +infinity.
    id: "3",
    c_boolean: "true",
    c_tinyint: "127",
    c_smallint: "32767",
    c_integer: "2147483647",
    c_bigint: "9223372036854775807",
    c_hugeint: "170141183460469231731687303715884105727",
    c_utinyint: "255",
    c_usmallint: "65535",
    c_uinteger: "4294967295",
    c_ubigint: "18446744073709551615",
    c_uhugeint: "340282366920938463463374607431768211455",
    c_float: "3.4028235e38",
    c_double: "1.7976931348623157e308",
    c_decimal_4_1: "999.9",
    c_decimal_18_3: "999999999999999.999",
    c_decimal_38_10: "9999999999999999999999999999.9999999999",
    c_varchar: `'it''s "quoted"' || chr(10) || 'and' || chr(9) || 'tabbed \\ NULL'`,
    c_blob: String.raw`'\xFF\xFE\x00\x01abc'::BLOB`,
    c_date: "'infinity'",
    c_time: "'24:00:00'",
    c_timetz: "'24:00:00-15:59:59'",
    c_timestamp_s: "'infinity'",
    c_timestamp_ms: "'infinity'",
    c_timestamp: "'infinity'",
    c_timestamp_ns: "'infinity'",
    c_timestamptz: "'infinity'",
    c_interval: "INTERVAL '1000 years 11 months 30 days 23:59:59.999999'",
    c_uuid: "'ffffffff-ffff-ffff-ffff-ffffffffffff'",
    c_enum: "'ünïcödé 🦆'",
    c_bit: "'1010101010101010101'",
    c_bignum: "0::BIGNUM",
    c_json: `'"just a string"'`,
    c_int_list: "[NULL]",
    c_varchar_list: "[NULL, 'x']",
    c_int_array: "[2147483647, -2147483648, 0]",
    c_struct: "{'i': 2147483647, 's': 'ünï'}",
    c_map: "MAP {'k1': 1, 'k2': 2, 'k3': 3}",
    c_union: "union_value(flag := true)",
    c_list_of_struct: "[NULL]",
    c_struct_of_list: "{'ints': NULL, 'names': [NULL, '']}",
    c_map_of_list: "MAP {-1: [NULL]}",
    c_list_of_enum: "[NULL]",
    c_array_of_struct: "[{'x': 2147483647, 'y': 'ünïcödé, longer than twelve bytes'}, NULL]",
    c_list_of_list: "[[9223372036854775807, -9223372036854775808]]",
    c_deep:
      "{'core': {'hugeints': [], 'mood': NULL, 'ts': 'infinity'}, 'ids': MAP {'ffffffff-ffff-ffff-ffff-ffffffffffff': -0.0000000001}}",
    c_union_nested: "union_value(ts := '2262-04-11 23:47:16.854775806')",
    c_list_of_union: `[NULL::${smallUnion}]`,
    c_nested_bool:
      "{'b': NULL, 'l': [false, false, false, false, false, false, false, false, false, true], 'a': [true, true], 'm': MAP {false: NULL}}",
    c_extension_list: "[]",
  },
  {
    // Before 1970, special floats, empty values.
    id: "4",
    c_boolean: "false",
    c_tinyint: "0",
    c_smallint: "0",
    c_integer: "0",
    c_bigint: "0",
    c_hugeint: "-1",
    c_utinyint: "1",
    c_usmallint: "1",
    c_uinteger: "1",
    c_ubigint: "9223372036854775808",
    c_uhugeint: "170141183460469231731687303715884105728",
    c_float: "'nan'",
    c_double: "'nan'",
    c_decimal_4_1: "-0.1",
    c_decimal_18_3: "-0.001",
    c_decimal_38_10: "-0.0000000001",
    c_varchar: "''",
    c_blob: "''::BLOB",
    c_date: "'1969-07-20'",
    c_time: "'00:00:00.000001'",
    c_timetz: "'23:59:59.999999-00:30'",
    c_timestamp_s: "'1969-07-20 20:17:40'",
    c_timestamp_ms: "'1900-01-01 00:00:00.001'",
    c_timestamp: "'0044-03-15 (BC) 12:00:00.5'",
    c_timestamp_ns: "'1677-09-22 00:00:00.000000001'",
    c_timestamptz: "'1969-12-31 23:59:59.999999-08:00'",
    c_interval: "INTERVAL '0 seconds'",
    c_uuid: "'00000000-0000-0000-8000-000000000000'",
    c_enum: "'ok'",
    c_bit: "'00000000'",
    c_bignum: "'-1'::BIGNUM",
    c_json: "'null'",
    c_int_list: "[]",
    c_varchar_list: "[]",
    c_int_array: "[0, 0, 0]",
    c_struct: "{'i': 0, 's': ''}",
    c_map: "MAP {}",
    c_union: "union_value(str := '')",
    c_list_of_struct: "[{'k': '', 'v': 0}]",
    c_struct_of_list: "{'ints': [], 'names': []}",
    c_map_of_list: "MAP {0: []}",
    c_list_of_enum: "['ünïcödé 🦆']",
    c_array_of_struct: "[NULL, NULL]",
    c_list_of_list: "[[]]",
    c_deep: "{'core': {'hugeints': NULL, 'mood': 'sad', 'ts': NULL}, 'ids': NULL}",
    c_union_nested: "union_value(ints := [])",
    c_list_of_union: `[''::${smallUnion}]`,
    c_nested_bool: "{'b': NULL, 'l': NULL, 'a': NULL, 'm': NULL}",
    c_extension_list: "[{'t': NULL, 'b': NULL, 'u': NULL, 'n': NULL, 'j': NULL}]",
  },
  {
    // Far future, tiny and negative-zero floats, more non-ASCII.
    id: "5",
    c_boolean: "true",
    c_tinyint: "-1",
    c_smallint: "-1",
    c_integer: "-1",
    c_bigint: "-1",
    c_hugeint: "18446744073709551616",
    c_utinyint: "128",
    c_usmallint: "32768",
    c_uinteger: "2147483648",
    c_ubigint: "1",
    c_uhugeint: "18446744073709551616",
    c_float: "1.4e-45",
    c_double: "-0.0::DOUBLE",
    c_decimal_4_1: "0.5",
    c_decimal_18_3: "0.001",
    c_decimal_38_10: "0.0000000001",
    c_varchar: "'日本語のテキスト'",
    c_blob: String.raw`'\x00'::BLOB`,
    c_date: "'5881580-07-10'",
    c_time: "'23:59:59.999999'",
    c_timetz: "'12:00:00+00'",
    c_timestamp_s: "'294247-01-10 04:00:54'",
    c_timestamp_ms: "'294247-01-10 04:00:54.775'",
    c_timestamp: "'294247-01-10 04:00:54.775806'",
    c_timestamp_ns: "'2262-04-11 23:47:16.854775806'",
    c_timestamptz: "'9999-12-31 23:59:59.999999+00'",
    c_interval: "INTERVAL '2000000 hours'",
    c_uuid: "'7fffffff-ffff-ffff-ffff-ffffffffffff'",
    c_enum: "'sad'",
    c_bit: "'1'",
    c_bignum: "'170141183460469231731687303715884105728'::BIGNUM",
    c_json: `'{"emoji": "🦆", "n": 1e400}'`,
    c_int_list: "[NULL, NULL]",
    c_varchar_list: "['ünï', '日本']",
    c_int_array: "[NULL, 1, NULL]",
    c_struct: "{'i': -1, 's': NULL}",
    c_map: "MAP {'ü': NULL}",
    c_union: "union_value(flag := false)",
    c_list_of_struct: "[{'k': 'ünï', 'v': 'nan'}, {'k': 'x', 'v': '-inf'}]",
    c_struct_of_list: "{'ints': [NULL], 'names': ['日本語のテキスト']}",
    c_map_of_list: "MAP {7: ['ü', NULL, '']}",
    c_list_of_enum: "[NULL, NULL]",
    c_array_of_struct: "[{'x': 0, 'y': NULL}, {'x': NULL, 'y': 'y'}]",
    c_list_of_list: "[NULL]",
    c_deep: "NULL",
    c_union_nested: "union_value(pair := {'a': NULL, 'b': NULL})",
    c_list_of_union: `[2147483647::${smallUnion}, 'ünï'::${smallUnion}]`,
    c_nested_bool: "{'b': true, 'l': [NULL], 'a': [false, false], 'm': MAP {true: true}}",
    c_extension_list:
      "[{'t': '23:59:59-15:59:59', 'b': '0101', 'u': 0, 'n': '99999999999999999999999999999999'::BIGNUM, 'j': '{}'}, NULL]",
  },
  // NULL in every column.
  { id: "6" },
];

const setupSql = [
  "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ünïcödé 🦆')",
  `CREATE TABLE all_types (${columns.map(([name, type]) => `${name} ${type}`).join(", ")})`,
  ...rows.map(
    (row) =>
      `INSERT INTO all_types BY NAME SELECT ${Object.entries(row)
        .map(([name, sql]) => `${sql} AS ${name}`)
        .join(", ")}`,
  ),
];
const selectAll = "SELECT * FROM all_types ORDER BY id";
const columnNames = columns.map(([name]) => name);

let server: OpenDuckProcess;
let local: DuckDBConnection;
let localInstance: DuckDBInstance;
/** What local DuckDB returns for `selectAll`, canonical, by column. */
let expected: unknown[][];
/** DuckDB's name of each column's type, from DESCRIBE. */
let expectedTypes: string[];

async function localColumns(sql: string): Promise<DuckDBValue[][]> {
  const reader = await local.runAndReadAll(sql);
  return reader.getColumns();
}

function canonicalColumns(values: DuckDBValue[][]): unknown[][] {
  return values.map((column) => column.map(canonical));
}

beforeAll(async () => {
  server = await serveTestDatabase(token, { env: { TZ: serverTimeZone } });
  const client = new OpenDuckClient({ endpoint: server.url, token });
  for (const sql of setupSql) await client.execute("mydb", sql);

  localInstance = await DuckDBInstance.create(":memory:");
  local = await localInstance.connect();
  for (const sql of setupSql) await local.run(sql);
  expected = canonicalColumns(await localColumns(selectAll));
  const described = await local.runAndReadAll(`DESCRIBE ${selectAll}`);
  expectedTypes = described.getRowObjects().map((row) => String(row.column_type));
});

afterAll(async () => {
  local?.closeSync();
  localInstance?.closeSync();
  expect(await server.stop()).toBe(0);
});

function arrowTypes(table: Table): string[] {
  return table.schema.fields.map((field) => {
    const extension = extensionName(field);
    return `${field.type}${extension ? ` <${extension}>` : ""}`;
  });
}

describe("the test data", () => {
  it("holds two or more distinct values and one NULL in every column, locally", () => {
    expect(expected.map((column) => column.length)).toEqual(columns.map(() => rows.length));
    columns.forEach(([name], i) => {
      const column = expected[i] ?? [];
      const distinct = new Set(
        column.filter((value) => value !== null).map((value) => JSON.stringify(value)),
      );
      expect(distinct.size, name).toBeGreaterThanOrEqual(2);
      expect(column[rows.length - 1], name).toBe(name === "id" ? "number:6" : null);
    });
  });
});

const protocols = ["connect", "grpc-web"] as const;
const deliveries: [string, QueryOptions][] = [
  ["inline", {}],
  ["streamed", { inlineLimitBytes: 0 }],
];

describe.each(protocols)("over %s", (protocol) => {
  const client = () => new OpenDuckClient({ endpoint: server.url, token, protocol });

  it.each(deliveries)("returns every value of every type as local DuckDB does (%s)", async (_, options) => {
    const response = await client().execute("mydb", selectAll, options);
    expect(response.complete).toBe(options.inlineLimitBytes !== 0);
    expect(response.columns.map((column) => column.name)).toEqual(columnNames);
    expect(response.columns.map((column) => column.type)).toEqual(expectedTypes);

    const table = await client().table("mydb", selectAll, options);
    expect(table.schema.fields.map((field) => field.name)).toEqual(columnNames);
    expect(arrowTypes(table)).toEqual(columns.map(([, , arrow]) => arrow));
    expect(table.numRows).toBe(rows.length);
    const actual = canonicalColumns(duckdbColumnsFromArrow(table));
    columns.forEach(([name], i) => {
      expect.soft(actual[i], name).toEqual(expected[i]);
    });
    // NULL in every column comes back as null (not as a zero, an empty value or a union of NULL).
    expect(actual.map((column) => column[rows.length - 1])).toEqual(
      columns.map(([name]) => (name === "id" ? "number:6" : null)),
    );
  });

  it("keeps every type in an empty result", async () => {
    const sql = "SELECT * FROM all_types WHERE false";
    const response = await client().execute("mydb", sql);
    expect(response.columns.map((column) => column.type)).toEqual(expectedTypes);
    const table = await client().table("mydb", sql);
    expect(table.numRows).toBe(0);
    expect(table.schema.fields.map((field) => field.name)).toEqual(columnNames);
    expect(arrowTypes(table)).toEqual(columns.map(([, , arrow]) => arrow));
  });

  // One column at a time, so that a failure names the type it is about.
  it.each(columns.slice(1))("round-trips column %s (%s)", async (name) => {
    const sql = `SELECT id, ${name} FROM all_types ORDER BY id`;
    const table = await client().table("mydb", sql);
    const [, actual] = canonicalColumns(duckdbColumnsFromArrow(table));
    const [, wanted] = canonicalColumns(await localColumns(sql));
    expect(actual).toEqual(wanted);
  });
});

describe("a result of several record batches", () => {
  it("keeps every value of every type across the batch boundaries", async () => {
    // The padding makes rows ~2.5 KB, so DuckDB's ~4 MB batches end inside its 2,048-row chunks, and the
    // result (streamed: it is over the 1 MiB inline limit) spans batches that share the ENUM dictionaries.
    const sql = "SELECT a.*, repeat('ü', 1000) AS pad FROM all_types a, range(400) r(i) ORDER BY r.i, a.id";
    const table = await new OpenDuckClient({ endpoint: server.url, token }).table("mydb", sql);
    expect(table.batches.length).toBeGreaterThan(1);
    // Compared row by row as JSON: deep equality of 2,400 rows of nested values is slow, its diff unreadable.
    const rowsJson = (values: DuckDBValue[][]) => {
      const byColumn = canonicalColumns(values);
      return (byColumn[0] ?? []).map((_, row) => JSON.stringify(byColumn.map((column) => column[row])));
    };
    expect(rowsJson(duckdbColumnsFromArrow(table))).toEqual(rowsJson(await localColumns(sql)));
  });
});

describe("an INTERVAL whose time part exceeds Arrow's 64-bit nanoseconds (over ±106,751 days)", () => {
  it("is refused with a clear error instead of wrapping around", async () => {
    const client = new OpenDuckClient({ endpoint: server.url, token });
    const error = (await client
      .table("mydb", "SELECT INTERVAL '3000000 hours' AS later")
      .catch((caught: unknown) => caught)) as ConnectError;
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toMatch(/INTERVAL '3000000:00:00' cannot be sent as Arrow/);
    const sql = "SELECT INTERVAL '2000000 hours' AS later, INTERVAL '-2000000 hours' AS earlier";
    expect(canonicalColumns(duckdbColumnsFromArrow(await client.table("mydb", sql)))).toEqual(
      canonicalColumns(await localColumns(sql)),
    );
  });
});
