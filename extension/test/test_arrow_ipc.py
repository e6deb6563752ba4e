"""Tests of openduck_arrow_ipc under DuckDB's Python client, checked against DuckDB's own Arrow export."""

import json
import resource
import struct
import threading
import time

import duckdb
import pyarrow as pa
import pytest

from conftest import duckdb_arrow, ipc_rows, new_connection, read_stream

CONTINUATION = 0xFFFFFFFF
HEADER_TYPES = {1: "schema", 2: "dictionary", 3: "record_batch"}


def parse_messages(blob):
    """Splits one `ipc` blob into encapsulated messages, checking framing and alignment on the way.

    Returns (kind, dictionary id or None) per message; kind is "eos" for the end-of-stream marker.
    """
    messages = []
    pos = 0
    while pos < len(blob):
        continuation, metadata_length = struct.unpack_from("<Ii", blob, pos)
        assert continuation == CONTINUATION
        if metadata_length == 0:
            messages.append(("eos", None))
            pos += 8
            continue
        assert metadata_length % 8 == 0, "the body must start 8-byte aligned"
        meta = blob[pos + 8 : pos + 8 + metadata_length]

        def field_position(table, field_id):
            vtable = table - struct.unpack_from("<i", meta, table)[0]
            vtable_size = struct.unpack_from("<H", meta, vtable)[0]
            slot = 4 + 2 * field_id
            offset = struct.unpack_from("<H", meta, vtable + slot)[0] if slot < vtable_size else 0
            return table + offset if offset else None

        root = struct.unpack_from("<I", meta, 0)[0]
        assert struct.unpack_from("<h", meta, field_position(root, 0))[0] == 4, "metadata version V5"
        kind = HEADER_TYPES[meta[field_position(root, 1)]]
        header_slot = field_position(root, 2)
        header = header_slot + struct.unpack_from("<I", meta, header_slot)[0]
        body_slot = field_position(root, 3)
        body_length = struct.unpack_from("<q", meta, body_slot)[0] if body_slot else 0
        assert body_length % 8 == 0
        dictionary_id = None
        if kind == "dictionary":
            dictionary_id = struct.unpack_from("<q", meta, field_position(header, 0))[0]
        messages.append((kind, dictionary_id))
        pos += 8 + metadata_length + body_length
    assert pos == len(blob)
    return messages


def assert_tables_equal(actual, expected):
    assert actual.schema.equals(expected.schema, check_metadata=True), f"{actual.schema}\n!=\n{expected.schema}"
    assert actual.num_rows == expected.num_rows
    for name in expected.column_names:
        if not actual[name].equals(expected[name]):
            # Arrow's equality fails on NaN; the Python values (NaN repr included) must still match.
            assert repr(actual[name].to_pylist()) == repr(expected[name].to_pylist()), name


def assert_matches_duckdb(con, sql, **params):
    rows = ipc_rows(con, sql, **params)
    assert_tables_equal(read_stream(rows), duckdb_arrow(con, sql))
    return rows


def kinds(rows):
    return [row["kind"] for row in rows]


ALL_TYPES_TABLE = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ünïcødé');
CREATE TABLE every_type (
    id INTEGER, b BOOLEAN,
    i8 TINYINT, i16 SMALLINT, i32 INTEGER, i64 BIGINT, i128 HUGEINT,
    u8 UTINYINT, u16 USMALLINT, u32 UINTEGER, u64 UBIGINT, u128 UHUGEINT,
    f FLOAT, d DOUBLE, dec4 DECIMAL(4,1), dec18 DECIMAL(18,3), dec38 DECIMAL(38,10),
    s VARCHAR, bl BLOB, dt DATE, t TIME, ttz TIMETZ,
    ts_s TIMESTAMP_S, ts_ms TIMESTAMP_MS, ts TIMESTAMP, ts_ns TIMESTAMP_NS, tstz TIMESTAMPTZ,
    iv INTERVAL, u UUID, m mood, bits BIT, js JSON, bn BIGNUM,
    l INTEGER[], arr DOUBLE[3], st STRUCT(a INTEGER, b VARCHAR), mp MAP(VARCHAR, INTEGER),
    un UNION(num INTEGER, str VARCHAR),
    list_of_struct STRUCT(x INTEGER, y VARCHAR[])[], struct_of_list STRUCT(xs INTEGER[], m mood),
    map_of_list MAP(INTEGER, VARCHAR[]), list_of_enum mood[], array_of_struct STRUCT(k VARCHAR)[2],
    list_of_list VARCHAR[][], struct_of_map STRUCT(mm MAP(VARCHAR, mood)), union_of_list UNION(l INTEGER[], e mood)
);
INSERT INTO every_type VALUES
(1, true, -128, -32768, -2147483648, -9223372036854775808, -170141183460469231731687303715884105727,
 0, 0, 0, 0, 0, -1.5, -2.25, -999.9, -123456789012345.678, -1234567890123456789012345678.0123456789,
 'short', '\\x00\\xFF'::BLOB, DATE '1970-01-01', TIME '00:00:00', TIMETZ '00:00:00+15:59',
 TIMESTAMP_S '1970-01-01 00:00:01', TIMESTAMP_MS '1970-01-01 00:00:00.001', TIMESTAMP '1900-01-01 12:34:56.789',
 TIMESTAMP_NS '2262-04-11 23:47:16.854775', TIMESTAMPTZ '2000-01-01 00:00:00+00', INTERVAL '1 month 2 days 3 microseconds',
 '00000000-0000-0000-0000-000000000000', 'sad', '0', '{"a": [1, 2]}', -1,
 [], [1.0, 2.0, 3.0], {'a': 1, 'b': 'x'}, MAP {}, union_value(num := 7),
 [{'x': 1, 'y': ['a']}], {'xs': [1, 2], 'm': 'ok'}, MAP {1: ['a', 'b']}, ['happy', NULL, 'sad'],
 [{'k': 'a'}, {'k': NULL}], [['a'], [], NULL], {'mm': MAP {'k': 'sad'}}, union_value(l := [1])),
(2, false, 127, 32767, 2147483647, 9223372036854775807, 170141183460469231731687303715884105727,
 255, 65535, 4294967295, 18446744073709551615, 340282366920938463463374607431768211455,
 3.5, 1e308, 999.9, 123456789012345.678, 1234567890123456789012345678.0123456789,
 'a string longer than twelve bytes, with ünïcødé and emoji 🦆', 'a blob longer than twelve bytes'::BLOB,
 DATE '2262-01-01', TIME '23:59:59.999999', TIMETZ '23:59:59.999999-15:59',
 TIMESTAMP_S '2038-01-19 03:14:08', TIMESTAMP_MS '2100-01-01 00:00:00', TIMESTAMP '2262-01-01 00:00:00',
 TIMESTAMP_NS '1677-09-22 00:00:00', TIMESTAMPTZ '2262-01-01 00:00:00+00', INTERVAL '-1 year -5 hours',
 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'ünïcødé', '101010101010101010', '"str"', 123456789012345678901234567890123456789,
 [1, NULL, 3], [NULL, -0.0, 1e-300], {'a': NULL, 'b': NULL}, MAP {'k1': 1, 'k2': NULL},
 union_value(str := 'union string longer than 12'),
 [NULL, {'x': NULL, 'y': NULL}, {'x': 2, 'y': []}], {'xs': NULL, 'm': NULL}, MAP {2: NULL, 3: []}, [],
 NULL, [], {'mm': NULL}, union_value(e := 'happy')),
(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
(4, true, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 'nan', 'inf', 0.0, 0.0, 0.0,
 '', ''::BLOB, DATE '2024-02-29', TIME '12:00:00', TIMETZ '12:00:00+00', TIMESTAMP_S '2024-02-29 12:00:00',
 TIMESTAMP_MS '2024-02-29 12:00:00.123', TIMESTAMP '2024-02-29 12:00:00.123456', TIMESTAMP_NS '2024-02-29 12:00:00.123456789',
 TIMESTAMPTZ '2024-02-29 12:00:00.123456+01', INTERVAL 0 SECONDS, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'happy',
 '1', 'null', 0, [42], [0, 0, 0], {'a': 0, 'b': ''}, MAP {'': 0}, union_value(num := NULL),
 [], {'xs': [], 'm': 'happy'}, MAP {}, [NULL], [NULL, NULL], [[]], {'mm': MAP {}}, union_value(l := NULL));
"""


@pytest.fixture
def every_type(con):
    con.execute(ALL_TYPES_TABLE)
    return "SELECT * FROM every_type ORDER BY id"


def test_every_type_matches_duckdb_arrow_export(con, every_type):
    rows = assert_matches_duckdb(con, every_type)
    assert kinds(rows) == ["schema", "batch", "end"]


def test_every_type_in_small_batches(con, every_type):
    rows = assert_matches_duckdb(con, every_type, batch_rows=1)
    assert kinds(rows) == ["schema", "batch", "batch", "batch", "batch", "end"]
    assert [row["row_count"] for row in rows] == [None, 1, 1, 1, 1, 4]


def test_test_all_types_matches_duckdb_arrow_export(con):
    # DuckDB's own catalogue of types with their extreme values and NULLs, including fixed-size arrays of nested types.
    assert_matches_duckdb(con, "SELECT * FROM test_all_types()")
    assert_matches_duckdb(con, "SELECT * FROM test_all_types()", batch_rows=2)


def test_null_type_and_constant_vectors(con):
    assert_matches_duckdb(con, "SELECT NULL AS n, 42 AS c, [NULL] AS ln, {'x': NULL} AS sn FROM range(3)")


def test_message_layout_and_dictionaries(con, every_type):
    rows = ipc_rows(con, every_type, batch_rows=2)
    assert kinds(rows) == ["schema", "batch", "batch", "end"]
    assert parse_messages(rows[0]["ipc"]) == [("schema", None)]
    first = parse_messages(rows[1]["ipc"])
    # Every ENUM (top-level and nested) gets its own dictionary, sent once ahead of the first record batch.
    dictionary_ids = [dictionary_id for kind, dictionary_id in first if kind == "dictionary"]
    assert first[-1] == ("record_batch", None)
    assert len(first) == len(dictionary_ids) + 1
    assert sorted(dictionary_ids) == list(range(5))
    assert parse_messages(rows[2]["ipc"]) == [("record_batch", None)]
    assert parse_messages(rows[3]["ipc"]) == [("eos", None)]
    assert rows[1]["info"] is None and rows[0]["row_count"] is None


def test_schema_info(con):
    rows = ipc_rows(con, 'SELECT 1.5::DECIMAL(18,3) AS "we""ird\nname ✓", [1] AS l, {\'a\': 1} AS s')
    info = json.loads(rows[0]["info"])
    assert info == {
        "statement_type": "SELECT",
        "result": "rows",
        "columns": [
            {"name": 'we"ird\nname ✓', "type": "DECIMAL(18,3)"},
            {"name": "l", "type": "INTEGER[]"},
            {"name": "s", "type": "STRUCT(a INTEGER)"},
        ],
    }
    assert json.loads(rows[-1]["info"]) == {"rows": 1}


def test_empty_result(con):
    sql = "SELECT i, 'x' || i AS s FROM range(10) t(i) WHERE i < 0"
    rows = ipc_rows(con, sql)
    assert kinds(rows) == ["schema", "end"]
    assert rows[-1]["row_count"] == 0
    table = read_stream(rows)
    assert table.num_rows == 0
    assert table.schema.equals(duckdb_arrow(con, sql).schema, check_metadata=True)


def test_batch_rows(con):
    rows = ipc_rows(con, "SELECT i FROM range(10000) t(i)", batch_rows=3000)
    assert [row["row_count"] for row in rows if row["kind"] == "batch"] == [3000, 3000, 3000, 1000]
    assert read_stream(rows)["i"].to_pylist() == list(range(10000))


def test_batch_bytes_cuts_large_strings(con):
    sql = "SELECT i, repeat('x', 100000) || i AS s FROM range(300) t(i)"
    rows = ipc_rows(con, sql, batch_bytes=1024 * 1024)
    batches = [row for row in rows if row["kind"] == "batch"]
    assert len(batches) >= 25
    assert all(len(row["ipc"]) < 1.2 * 1024 * 1024 for row in batches)
    assert sum(row["row_count"] for row in batches) == 300
    assert_tables_equal(read_stream(rows), duckdb_arrow(con, sql))


def test_default_byte_budget_keeps_messages_small(con):
    # One DuckDB chunk here is ~20 MB; it must be split across batches well below 6 MB each.
    rows = ipc_rows(con, "SELECT repeat('y', 10000) AS s FROM range(4096)")
    batches = [row for row in rows if row["kind"] == "batch"]
    assert len(batches) >= 10
    assert max(len(row["ipc"]) for row in batches) < 5 * 1024 * 1024
    assert read_stream(rows).num_rows == 4096


def test_multiple_statements(con):
    sql = """
        CREATE TABLE t AS SELECT range AS i FROM range(5);
        SELECT * FROM range(1000000);
        INSERT INTO t VALUES (42);
        SELECT sum(i)::BIGINT AS total, count(*) AS n FROM t
    """
    rows = ipc_rows(con, sql)
    assert json.loads(rows[0]["info"])["statement_type"] == "SELECT"
    assert read_stream(rows).to_pylist() == [{"total": 52, "n": 6}]
    # The statements ran on a connection of the same database, so their effects are visible here.
    assert con.execute("SELECT count(*) FROM t").fetchone() == (6,)


def test_changed_rows(con):
    con.execute("CREATE TABLE target (i INTEGER)")
    rows = ipc_rows(con, "INSERT INTO target SELECT * FROM range(3)")
    info = json.loads(rows[0]["info"])
    assert info["statement_type"] == "INSERT"
    assert info["result"] == "changed_rows"
    assert json.loads(rows[-1]["info"]) == {"rows": 1, "rows_affected": 3}
    assert read_stream(rows).to_pylist() == [{"Count": 3}]

    rows = ipc_rows(con, "DELETE FROM target WHERE i > 0")
    assert json.loads(rows[-1]["info"]) == {"rows": 1, "rows_affected": 2}

    rows = ipc_rows(con, "CREATE TABLE copied AS SELECT * FROM range(5)")
    assert json.loads(rows[0]["info"])["result"] == "changed_rows"
    assert json.loads(rows[-1]["info"]) == {"rows": 1, "rows_affected": 5}


@pytest.mark.parametrize(
    "sql",
    ["ATTACH ':memory:' AS other", "DETACH memory", "LOAD json", "INSTALL json", "SELECT 1; ATTACH ':memory:' AS x"],
)
def test_refuses_statements_reaching_beyond_the_database(con, sql):
    with pytest.raises(duckdb.PermissionException, match="not allowed in OpenDuck's remote SQL"):
        ipc_rows(con, sql)
    assert con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = 'other'").fetchone() == (0,)


def test_statement_without_result(con):
    rows = ipc_rows(con, "CREATE TABLE nothing_here (i INTEGER)")
    info = json.loads(rows[0]["info"])
    assert (info["statement_type"], info["result"]) == ("CREATE", "nothing")
    assert "rows_affected" not in json.loads(rows[-1]["info"])
    read_stream(rows)


def direct_error(con, sql):
    with pytest.raises(duckdb.Error) as direct:
        con.execute(sql)
    return direct.value


@pytest.mark.parametrize(
    "sql",
    [
        "SELEC 1",  # parser
        "SELECT * FROM no_such_table",  # catalog
        "SELECT no_such_column FROM range(1)",  # binder
        "SELECT 1; SELECT * FROM no_such_table; SELECT 2",  # in a leading statement
    ],
)
def test_errors_before_the_schema_pass_through_unchanged(con, sql):
    expected = direct_error(con, sql)
    with pytest.raises(duckdb.Error) as raised:
        ipc_rows(con, sql)
    assert type(raised.value) is type(expected)
    assert str(raised.value) == str(expected)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 'abc'::INTEGER",  # conversion at run time
        "SELECT CASE WHEN i = 5000 THEN error('boom at ' || i) END FROM range(10000) t(i)",  # during streaming
        "SELECT CASE WHEN i = 150000 THEN error('late boom') END FROM range(200000) t(i)",  # after batches went out
    ],
)
def test_errors_after_the_schema_end_the_stream_with_an_error_row(con, sql):
    expected = direct_error(con, sql)
    rows = ipc_rows(con, sql, batch_rows=1000)
    assert rows[0]["kind"] == "schema"
    assert [row["kind"] for row in rows[1:-1]] == ["batch"] * (len(rows) - 2)
    assert rows[-1]["kind"] == "error"
    info = json.loads(rows[-1]["info"])
    assert info["message"] == str(expected)
    assert info["type"] == str(expected).split(" Error:")[0]


def test_sandbox_settings_apply_inside(con):
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    with pytest.raises(duckdb.PermissionException, match="disabled by configuration"):
        ipc_rows(con, "SELECT * FROM read_csv('/etc/passwd')")
    # Refused when it runs, after the schema went out: the stream ends with an error row.
    rows = ipc_rows(con, "SET enable_external_access = true")
    assert rows[-1]["kind"] == "error"
    assert "configuration has been locked" in json.loads(rows[-1]["info"])["message"]


def test_progress_rows_during_blocking_work(con):
    con.execute("CREATE TABLE big AS SELECT range AS i FROM range(4000000)")
    rows = ipc_rows(con, "SELECT count(DISTINCT md5(i::VARCHAR)) AS n FROM big")
    assert kinds(rows)[0] == "schema" and kinds(rows)[-2:] == ["batch", "end"]
    progress = [json.loads(row["info"]) for row in rows if row["kind"] == "progress"]
    assert progress, "a query running for a second or more reports progress"
    assert all(row["ipc"] is None and row["row_count"] is None for row in rows if row["kind"] == "progress")
    assert set(progress[0]) == {"percentage", "rows_processed", "total_rows"}
    assert any(0 < entry["percentage"] <= 100 for entry in progress)
    assert progress[-1]["total_rows"] >= 4000000


def run_interrupted(con, sql, delay):
    """Runs openduck_arrow_ipc(sql), interrupts it after `delay` seconds; returns (error, interrupt latency)."""
    interrupted_at = []

    def interrupt():
        time.sleep(delay)
        interrupted_at.append(time.monotonic())
        con.interrupt()

    thread = threading.Thread(target=interrupt)
    thread.start()
    error = None
    try:
        ipc_rows(con, sql)
    except duckdb.Error as caught:
        error = caught
    finished = time.monotonic()
    thread.join()
    assert interrupted_at, "the query ended before it was interrupted"
    return error, finished - interrupted_at[0]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM range(10000000000) WHERE range = -1",  # a long scan that produces no row
        "SELECT count(*) FROM range(10000000000) WHERE range % 7 = 100",  # a blocking aggregate
        "SELECT * FROM range(100000000) ORDER BY range DESC",  # a blocking sort
        # A nested-loop join: one chunk takes about a second, so the interrupt must reach the running chunk.
        "SELECT count(*) FROM range(300000) a, range(300000) b WHERE a.range + b.range = 7",
    ],
)
def test_interrupt_stops_inner_query(con, sql):
    error, latency = run_interrupted(con, sql, delay=1.0)
    # Python reports the interrupt as its own error type or, when it lands between two fetches of the streamed
    # result, wrapped in an error about the closed pending result; either way DuckDB's INTERRUPT error.
    assert isinstance(error, duckdb.Error) and "INTERRUPT Error: Interrupted!" in str(error), repr(error)
    assert latency < 0.3, f"stopped {latency:.3f}s after the interrupt"
    # No worker thread keeps running the inner query in the background.
    before = resource.getrusage(resource.RUSAGE_SELF)
    time.sleep(0.5)
    after = resource.getrusage(resource.RUSAGE_SELF)
    assert after.ru_utime - before.ru_utime < 0.1
    # Nothing of the inner query lingers: the connection (and the database) serve the next query right away.
    started = time.monotonic()
    assert read_stream(ipc_rows(con, "SELECT 42 AS x")).to_pylist() == [{"x": 42}]
    assert time.monotonic() - started < 1


def test_outer_limit_cancels_inner_query(con):
    started = time.monotonic()
    result = con.execute(
        "SELECT kind FROM openduck_arrow_ipc('SELECT * FROM range(10000000000)', batch_rows := 1000) LIMIT 2"
    ).fetchall()
    assert result == [("schema",), ("batch",)]
    assert time.monotonic() - started < 5


def test_arrow_output_version_1_5(con):
    # With the newer format DuckDB writes decimals at their own width and BLOBs as binary views.
    con.execute("SET arrow_output_version = '1.5'")
    sql = "SELECT 1.5::DECIMAL(4,1) a, 2.5::DECIMAL(9,4) b, 3.5::DECIMAL(18,3) c, 4.5::DECIMAL(38,10) d, " \
          "x::BLOB AS bl, [x::BLOB] AS lbl FROM (VALUES ('short'), ('a blob that is longer than twelve'), (NULL)) v(x)"
    expected = duckdb_arrow(con, sql)
    assert str(expected.schema.field("bl").type) == "binary_view"
    # The setting is per connection; the inner connection reads it from the database-wide default.
    con.execute("SET GLOBAL arrow_output_version = '1.5'")
    assert_tables_equal(read_stream(ipc_rows(con, sql)), expected)
    assert_tables_equal(read_stream(ipc_rows(con, sql, batch_rows=1)), expected)


def test_concurrent_connections():
    # Several outer connections of one database each run the function at the same time.
    con = new_connection()
    con.execute("CREATE TABLE shared AS SELECT range AS i, 'v' || range AS s FROM range(200000)")
    results = {}

    def work(index):
        cursor = con.cursor()
        results[index] = read_stream(ipc_rows(cursor, "SELECT sum(i)::BIGINT AS total, count(s) AS n FROM shared"))

    threads = [threading.Thread(target=work, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(table.to_pylist() == [{"total": 19999900000, "n": 200000}] for table in results.values())
    assert len(results) == 4


def test_reading_as_one_table_matches_pyarrow_concat(con):
    sql = "SELECT i, i::VARCHAR AS s FROM range(100000) t(i)"
    rows = ipc_rows(con, sql, batch_rows=7777)
    table = read_stream(rows)
    assert table.num_rows == 100000
    assert pa.concat_tables([table]).equals(duckdb_arrow(con, sql))


def test_nested_booleans_are_arrow_bools(con):
    sql = """
        SELECT [true, false, NULL] AS l, {'a': true, 'b': NULL::BOOLEAN} AS s, MAP {'k': false} AS m,
               [true, false]::BOOLEAN[2] AS a, union_value(b := true)::UNION(b BOOLEAN, i INTEGER) AS u,
               list(range % 3 = 0) OVER (ORDER BY range ROWS BETWEEN 40 PRECEDING AND CURRENT ROW) AS window_list
        FROM range(3000)
    """
    actual = read_stream(ipc_rows(con, sql, batch_rows=1000))
    for name in ("l", "s", "m", "a", "u", "window_list"):
        assert "bool8" not in str(actual.schema.field(name).type), name
    expected = con.sql(sql).arrow().read_all()
    assert_tables_equal(actual, expected)


def test_a_large_nested_boolean_list_carries_exactly_its_values(con):
    rows = ipc_rows(con, "SELECT list(range % 2 = 0) AS l FROM range(100000)")
    values = read_stream(rows).column("l").to_pylist()[0]
    assert values == [i % 2 == 0 for i in range(100000)]


def test_an_interval_arrow_cannot_hold_is_refused(con):
    rows = ipc_rows(con, "SELECT [INTERVAL '3000000 hours'] AS too_long")
    assert rows[-1]["kind"] == "error"
    assert "cannot be sent as Arrow" in json.loads(rows[-1]["info"])["message"]
    rows = ipc_rows(con, "SELECT INTERVAL '2000000 hours' AS fits")
    assert read_stream(rows).column("fits").to_pylist()[0].nanoseconds == 2000000 * 3600 * 10**9
