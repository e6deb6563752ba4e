"""Tests of openduck_arrow_ipc_scan, the Arrow IPC reader: streams from openduck_arrow_ipc (and pyarrow) read back."""

import ast
import os
import struct
import subprocess
import sys

import duckdb
import pyarrow as pa
import pyarrow.ipc
import pytest

from conftest import ipc_rows
from test_arrow_ipc import ALL_TYPES_TABLE

SCAN = "SELECT * FROM openduck_arrow_ipc_scan(?)"


def blobs_of(con, sql, **params):
    return [row["ipc"] for row in ipc_rows(con, sql, **params)]


def fetched(con, sql, parameters=None):
    """The rows, every value as DuckDB renders it (Python's own conversions would need pytz for TIMESTAMPTZ)."""
    return con.execute(f"SELECT COLUMNS(*)::VARCHAR FROM ({sql})", parameters).fetchall()


def column_types(con, relation):
    return [(name, type) for name, type, *_ in con.execute(f"DESCRIBE {relation}").fetchall()]


def assert_round_trip(con, sql, expected=None, **params):
    """Reads the stream of `sql` back: same column names and exact types, same rows (those of `expected`, when
    given) in the same order."""
    blobs = blobs_of(con, sql, **params)
    numbered = "SELECT row_number() OVER () AS row_id, * FROM ({})"
    con.execute("CREATE OR REPLACE TEMP TABLE expected AS " + numbered.format(expected or sql))
    con.execute("CREATE OR REPLACE TEMP TABLE actual AS " + numbered.format(SCAN), [blobs])
    assert column_types(con, "actual") == column_types(con, "expected")
    for first, second in (("actual", "expected"), ("expected", "actual")):
        difference = con.execute(f"SELECT * FROM {first} EXCEPT ALL SELECT * FROM {second}").fetchall()
        assert difference == [], f"rows of {first} missing from {second}"
    return blobs


def split_messages(blob):
    """The encapsulated messages of `blob` as (type, bytes), via pyarrow's message reader."""
    reader = pa.ipc.MessageReader.open_stream(pa.BufferReader(blob))
    messages = []
    while True:
        try:
            message = reader.read_next_message()
        except StopIteration:
            return messages
        messages.append((message.type, message.serialize().to_pybytes()))


def pyarrow_stream(table, max_chunksize=None):
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=max_chunksize)
    return sink.getvalue().to_pybytes()


@pytest.fixture
def every_type(con):
    con.execute(ALL_TYPES_TABLE)
    return "SELECT * FROM every_type ORDER BY id"


# Arrow's sparse union has no validity of its own: a non-NULL union whose selected member is NULL is written like a
# NULL union, and reads back as one (as proto/README.md says). Otherwise every value comes back as it was.
EVERY_TYPE_READ_BACK = """
SELECT * REPLACE (
    CASE WHEN union_extract(un, 'num') IS NULL AND union_extract(un, 'str') IS NULL THEN NULL ELSE un END AS un,
    CASE WHEN union_extract(union_of_list, 'l') IS NULL AND union_extract(union_of_list, 'e') IS NULL THEN NULL
         ELSE union_of_list END AS union_of_list)
FROM every_type ORDER BY id
"""


def test_every_type_round_trips_exactly(con, every_type):
    blobs = assert_round_trip(con, every_type, EVERY_TYPE_READ_BACK)
    types = dict(column_types(con, "actual"))
    assert types["i128"] == "HUGEINT" and types["u128"] == "UHUGEINT" and types["u"] == "UUID"
    assert types["m"] == "ENUM('sad', 'ok', 'happy', 'ünïcødé')" and types["list_of_enum"].endswith("[]")
    assert types["ttz"] == "TIME WITH TIME ZONE" and types["bits"] == "BIT" and types["js"] == "JSON"
    assert len(blobs) == 3  # schema, one batch, end


def test_every_type_in_one_row_batches(con, every_type):
    # The ENUM dictionaries travel once, ahead of the first record batch; the later batches refer to them.
    blobs = assert_round_trip(con, every_type, EVERY_TYPE_READ_BACK, batch_rows=1)
    assert len(blobs) == 6


def test_test_all_types_round_trips(con):
    # DuckDB's catalogue of types with their extreme values and NULLs, including fixed-size arrays of nested types.
    assert_round_trip(con, "SELECT * FROM test_all_types()")
    assert_round_trip(con, "SELECT * FROM test_all_types()", batch_rows=2)


def test_values_survive_exactly(con, every_type):
    # Spot checks in Python, beyond SQL equality: unicode, extremes, NULLs, nested values.
    blobs = blobs_of(con, every_type)
    assert fetched(con, SCAN, [blobs]) == fetched(con, EVERY_TYPE_READ_BACK)
    row = con.execute(f"SELECT s, i128, u128, m, mp, un FROM ({SCAN}) WHERE id = 2", [blobs]).fetchone()
    assert row[0] == "a string longer than twelve bytes, with ünïcødé and emoji 🦆"
    assert row[1] == 170141183460469231731687303715884105727 and row[2] == 2**128 - 1
    assert row[3] == "ünïcødé" and row[4] == {"k1": 1, "k2": None} and row[5] == "union string longer than 12"
    nulls = fetched(con, f"SELECT * FROM ({SCAN}) WHERE id = 3", [blobs])
    assert nulls[0][0] == "3" and all(value is None for value in nulls[0][1:])


MANY_ROWS = """
SELECT i, i::VARCHAR || repeat('ü', i % 5) AS s, CASE WHEN i % 7 = 0 THEN NULL ELSE i * 2 END AS maybe,
       (['sad', 'ok', 'happy'])[i % 3 + 1]::mood AS m, [i, NULL, i + 1] AS l,
       CASE WHEN i % 3 = 0 THEN union_value(num := i)::UNION(num BIGINT, str VARCHAR)
            ELSE union_value(str := 'u' || i)::UNION(num BIGINT, str VARCHAR) END AS u,
       {'a': i % 2 = 0, 'b': CASE WHEN i % 11 = 0 THEN NULL ELSE [(['sad', 'ok'])[i % 2 + 1]::mood] END} AS st,
       [i::DOUBLE, i / 2, NULL]::DOUBLE[3] AS arr, MAP {i % 5: 'v' || i} AS mp, i::DECIMAL(18, 3) / 7 AS dec,
       TIMESTAMP '2020-01-01' + to_seconds(i) AS ts, i % 2 = 1 AS b
FROM range(200000) t(i)
"""


@pytest.mark.parametrize("batch_rows", [65536, 5000, 1000])
def test_many_rows_in_many_batches(con, batch_rows):
    # Batches larger and smaller than DuckDB's 2048-row vectors, cut at positions that are no multiple of them.
    con.execute("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')")
    blobs = assert_round_trip(con, MANY_ROWS, batch_rows=batch_rows)
    assert len(blobs) >= 2 + 200000 // batch_rows
    ids = con.execute(f"SELECT i FROM ({SCAN})", [blobs]).fetchall()
    assert [i for (i,) in ids] == list(range(200000))


def test_empty_result(con, every_type):
    # Without the ENUM columns: see the next test.
    sql = "SELECT * EXCLUDE (m, struct_of_list, list_of_enum, struct_of_map, union_of_list) FROM every_type WHERE false"
    blobs = assert_round_trip(con, sql)
    assert len(blobs) == 2  # schema, end
    assert con.execute(f"SELECT count(*) FROM ({SCAN})", [blobs]).fetchone() == (0,)


def test_enum_without_its_dictionary_reads_as_varchar(con, every_type):
    # An empty result carries no DictionaryBatch, so the ENUM's values are unknown: it reads as the strings it is.
    blobs = blobs_of(con, "SELECT m, list_of_enum FROM every_type WHERE id < 0")
    con.execute(f"CREATE TEMP TABLE empty AS {SCAN}", [blobs])
    assert column_types(con, "empty") == [("m", "VARCHAR"), ("list_of_enum", "VARCHAR[]")]


def test_null_typed_and_constant_columns(con):
    assert_round_trip(con, "SELECT NULL AS n, 42 AS c, [NULL] AS ln, {'x': NULL} AS sn, i FROM range(5000) t(i)")


def test_arrow_output_version_1_5(con):
    # Decimals at their own width, BLOBs as binary views (with data buffers beyond the 12 inline bytes).
    con.execute("SET GLOBAL arrow_output_version = '1.5'")
    sql = ("SELECT 1.5::DECIMAL(4,1) a, 2.5::DECIMAL(9,4) b, 3.5::DECIMAL(18,3) c, 4.5::DECIMAL(38,10) d, "
           "x::BLOB AS bl, [x::BLOB] AS lbl "
           "FROM (VALUES ('short'), ('a blob that is longer than twelve'), (NULL)) v(x)")
    assert_round_trip(con, sql)
    assert_round_trip(con, f"SELECT * FROM ({sql}), range(3000)")


def test_one_blob_or_many_and_null_blobs(con, every_type):
    blobs = blobs_of(con, every_type, batch_rows=2)
    expected = fetched(con, EVERY_TYPE_READ_BACK)
    assert fetched(con, SCAN, [blobs]) == expected
    assert fetched(con, SCAN, [[b"".join(blobs)]]) == expected
    # NULL elements (openduck_arrow_ipc's progress rows) and empty blobs carry nothing.
    assert fetched(con, SCAN, [[None, blobs[0], b"", None] + blobs[1:]]) == expected
    # Without the end-of-stream marker the stream reads just as well.
    assert fetched(con, SCAN, [blobs[:-1]]) == expected


def test_body_at_an_unaligned_address_is_copied(con, every_type):
    # A writer may pad the metadata to a length that leaves the body at an odd address; the reader then copies it.
    blobs = blobs_of(con, every_type)
    unaligned = []
    for blob in blobs:
        for _, message in split_messages(blob):
            marker, length = struct.unpack_from("<Ii", message)
            unaligned.append(struct.pack("<Ii", marker, length + 4) + message[8 : 8 + length] + b"\0" * 4 +
                             message[8 + length :])
    assert fetched(con, SCAN, [unaligned]) == fetched(con, EVERY_TYPE_READ_BACK)


def test_streams_written_by_pyarrow(con):
    n = 5000  # more than one DuckDB vector: the second one starts mid-batch
    indices = pa.array([i % 3 if i % 10 else None for i in range(n)], pa.int32())
    source = pa.table({
        "dict": pa.DictionaryArray.from_arrays(indices, pa.array(["x", "yy", "zzz"])),
        "large": pa.array([f"s{i}" for i in range(n)], pa.large_string()),
        "view": pa.array([f"view number {i} longer than twelve" if i % 2 else "short" for i in range(n)],
                         pa.string_view()),
        "fixed": pa.array([i.to_bytes(4, "little") for i in range(n)], pa.binary(4)),
        "large_list": pa.array([[i, i + 1] for i in range(n)], pa.large_list(pa.int64())),
        "list_of_dict": pa.array([["a", "b"][: i % 3] for i in range(n)],
                                 pa.list_(pa.dictionary(pa.int8(), pa.string()))),
        "date64": pa.array([86400000 * i for i in range(n)], pa.date64()),
        "time32": pa.array([i for i in range(n)], pa.time32("ms")),
        "ts_tz": pa.array([i * 10**9 for i in range(n)], pa.timestamp("ns", tz="Europe/Berlin")),
        "duration": pa.array([i for i in range(n)], pa.duration("us")),
        "map": pa.array([[(f"k{i}", i)] for i in range(n)], pa.map_(pa.string(), pa.int32())),
        "union": pa.UnionArray.from_sparse(pa.array([i % 2 for i in range(n)], pa.int8()),
                                           [pa.array(range(n), pa.int32()), pa.array([str(i) for i in range(n)])],
                                           ["num", "str"]),
    })
    con.register("source", source)
    con.execute(f"CREATE TEMP TABLE from_pyarrow AS {SCAN}", [[pyarrow_stream(source, max_chunksize=4500)]])
    types = dict(column_types(con, "from_pyarrow"))
    assert types["dict"] == "VARCHAR" and types["list_of_dict"] == "VARCHAR[]" and types["view"] == "VARCHAR"
    assert types["union"] == "UNION(num INTEGER, str VARCHAR)" and types["ts_tz"] == "TIMESTAMP WITH TIME ZONE"
    # DuckDB's own Arrow scan of the same table gives the expected values, except for the union, which DuckDB 1.4
    # reads wrong beyond the first 2048 rows of an Arrow batch (openduck_arrow_ipc_scan hands it slices).
    assert fetched(con, 'SELECT * EXCLUDE ("union") FROM from_pyarrow') == fetched(
        con, 'SELECT * EXCLUDE ("union") FROM source')
    unions = con.execute('SELECT "union" FROM from_pyarrow').fetchall()
    assert [value for (value,) in unions] == [i if i % 2 == 0 else str(i) for i in range(n)]


def test_string_dictionaries_become_enums_when_they_can(con):
    # DuckDB writes an ENUM as a dictionary of all its values with the ENUM's unsigned index type; any such dictionary
    # (unique, non-NULL strings) reads as an ENUM. Signed indices (pyarrow's default) or repeated values: VARCHAR.
    def dictionary(index_type, values):
        return pa.DictionaryArray.from_arrays(pa.array([0, 1, None, 0], index_type), pa.array(values))

    source = pa.table({
        "enum": dictionary(pa.uint8(), ["a", "b"]),
        "signed": dictionary(pa.int8(), ["a", "b"]),
        "repeated": dictionary(pa.uint8(), ["a", "a"]),
        "wide": dictionary(pa.uint16(), ["a", "b"]),  # DuckDB would index two values with UINT8
    })
    con.execute(f"CREATE TEMP TABLE enums AS {SCAN}", [[pyarrow_stream(source)]])
    assert column_types(con, "enums") == [
        ("enum", "ENUM('a', 'b')"), ("signed", "VARCHAR"), ("repeated", "VARCHAR"), ("wide", "VARCHAR")]
    assert con.execute("SELECT * FROM enums").fetchall() == [
        ("a", "a", "a", "a"), ("b", "b", "a", "b"), (None, None, None, None), ("a", "a", "a", "a")]


@pytest.mark.parametrize(
    "table, message",
    [
        (pa.table({"u": pa.UnionArray.from_dense(pa.array([0], pa.int8()), pa.array([0], pa.int32()),
                                                 [pa.array([1], pa.int32())])}), "Union"),
        (pa.table({"d": pa.array([1], pa.decimal256(60, 2))}), "decimal"),
        (pa.table({"h": pa.Array.from_buffers(pa.float16(), 1, [None, pa.py_buffer(b"\x00\x3c")])}),
         "Unsupported Internal Arrow Type e"),
    ],
)
def test_arrow_types_duckdb_does_not_read_are_refused(con, table, message):
    with pytest.raises(duckdb.NotImplementedException, match=message):
        con.execute(SCAN, [[pyarrow_stream(table)]])


def test_truncated_stream(con, every_type):
    blobs = blobs_of(con, every_type)
    batch = blobs[1]
    # Cuts inside the last message (the record batch): its prefix, metadata and body.
    start = len(batch) - len(split_messages(batch)[-1][1])
    for cut in (start + 4, start + 12, start + 100, len(batch) - 8):
        with pytest.raises(duckdb.InvalidInputException, match="Arrow IPC: truncated message"):
            con.execute(SCAN, [[blobs[0], batch[:cut]]])
    with pytest.raises(duckdb.InvalidInputException, match="Arrow IPC: truncated message"):
        con.execute(SCAN, [[blobs[0][:-16]]])


def test_garbage_and_missing_schema(con, every_type):
    blobs = blobs_of(con, every_type)
    with pytest.raises(duckdb.InvalidInputException, match="no message at byte 0"):
        con.execute(SCAN, [[b"this is not arrow at all"]])
    with pytest.raises(duckdb.InvalidInputException, match="does not start with a Schema message"):
        con.execute(SCAN, [blobs[1:]])
    with pytest.raises(duckdb.InvalidInputException, match="has no Schema message"):
        con.execute("SELECT * FROM openduck_arrow_ipc_scan([]::BLOB[])")
    with pytest.raises(duckdb.InvalidInputException, match="second Schema message"):
        con.execute(SCAN, [[blobs[0], blobs[0]]])
    with pytest.raises(duckdb.InvalidInputException, match="follows the end-of-stream marker"):
        con.execute(SCAN, [blobs + [blobs[1]]])
    with pytest.raises(duckdb.BinderException, match="must not be NULL"):
        con.execute("SELECT * FROM openduck_arrow_ipc_scan(NULL)")


def test_record_batch_without_its_dictionary(con, every_type):
    blobs = blobs_of(con, every_type)
    record_batch = [message for kind, message in split_messages(blobs[1]) if kind == "record batch"]
    with pytest.raises(duckdb.InvalidInputException, match="uses dictionary .*, which the stream has not sent"):
        con.execute(SCAN, [[blobs[0]] + record_batch])


def test_inconsistent_batches(con):
    # Hand-made inconsistencies: a batch whose buffers do not match the schema of another stream.
    ints = blobs_of(con, "SELECT 1 AS a")
    strings = blobs_of(con, "SELECT 'x' AS a")
    with pytest.raises(duckdb.InvalidInputException, match="fewer buffers than its schema needs"):
        con.execute(SCAN, [[strings[0], ints[1]]])
    with pytest.raises(duckdb.InvalidInputException, match="field nodes and .* buffers, its schema describes"):
        con.execute(SCAN, [[ints[0], strings[1]]])
    two_columns = blobs_of(con, "SELECT 1 AS a, 2 AS b")
    with pytest.raises(duckdb.InvalidInputException, match="fewer field nodes than its schema has fields"):
        con.execute(SCAN, [[two_columns[0], ints[1]]])


FUZZ_SCRIPT = r"""
import random, sys
sys.path.insert(0, sys.argv[1])
from conftest import new_connection
import duckdb
from test_arrow_ipc import ALL_TYPES_TABLE
con = new_connection()
con.execute(ALL_TYPES_TABLE)
sql = "SELECT * FROM every_type, range(100) ORDER BY id"
streams = []
for version in ("1.0", "1.5"):  # 1.5: binary views and decimals of 32 and 64 bits
    con.execute(f"SET GLOBAL arrow_output_version = '{version}'")
    rows = con.execute("SELECT ipc FROM openduck_arrow_ipc(?, batch_rows := 150)", [sql]).fetchall()
    streams.append(b"".join(blob for (blob,) in rows if blob is not None))  # progress rows carry none
random_source = random.Random(int(sys.argv[2]))
query = "SELECT count(*), bit_xor(hash(COLUMNS(*))) FROM openduck_arrow_ipc_scan(?)"
outcomes = {"ok": 0, "error": 0}
for attempt in range(int(sys.argv[3])):
    data = bytearray(streams[attempt % 2])
    for _ in range(random_source.choice([1, 1, 2, 4, 16])):
        position = random_source.randrange(len(data))
        data[position] = random_source.choice([0, 0xFF, 0x7F, 0x80, random_source.randrange(256)])
    if random_source.random() < 0.1:
        data = data[: random_source.randrange(len(data))]
    try:
        con.execute(query, [[bytes(data)]]).fetchall()
        outcomes["ok"] += 1
    except duckdb.Error:
        outcomes["error"] += 1
print(outcomes)
"""


def test_corrupted_streams_fail_cleanly():
    # Random byte changes and truncations anywhere in a stream (metadata, offsets, lengths, values) either read or
    # fail with an error; none may crash the process, so the fuzzing runs in a child process.
    test_dir = os.path.dirname(os.path.abspath(__file__))
    result = subprocess.run([sys.executable, "-c", FUZZ_SCRIPT, test_dir, "1234", "3000"], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    outcomes = ast.literal_eval(result.stdout.strip().splitlines()[-1])
    assert outcomes["ok"] + outcomes["error"] == 3000 and outcomes["error"] > 1000
