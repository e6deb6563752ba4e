"""Shared fixtures for the openduck extension tests (see extension/README.md)."""

import os

import duckdb
import pyarrow as pa
import pyarrow.ipc
import pytest

EXTENSION_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXTENSION_PATH = os.environ.get(
    "OPENDUCK_EXTENSION", os.path.join(EXTENSION_DIR, "build", "release", "openduck.duckdb_extension")
)


def sql_string(text):
    return "'" + text.replace("'", "''") + "'"


def new_connection(**config):
    if not os.path.exists(EXTENSION_PATH):
        pytest.fail(f"{EXTENSION_PATH} is missing: run extension/build.sh first")
    con = duckdb.connect(config={"allow_unsigned_extensions": "true", **config})
    con.execute(f"LOAD {sql_string(EXTENSION_PATH)}")
    return con


# The DuckDB clients the ATTACH suites run in (clients.py).
CLIENTS = ("python", "node", "cli")


@pytest.fixture(scope="module", params=CLIENTS)
def client_kind(request):
    """Runs each test that uses it once per DuckDB client."""
    return request.param


@pytest.fixture
def open_client(client_kind):
    """Opens connections of the test's client kind (clients.connect) and closes them afterwards."""
    import clients

    opened = []

    def open_(*args, **kwargs):
        opened.append(clients.connect(client_kind, *args, **kwargs))
        return opened[-1]

    yield open_
    for client in opened:
        client.close()


@pytest.fixture
def con():
    connection = new_connection()
    yield connection
    connection.close()


def ipc_rows(con, sql, **params):
    """Runs openduck_arrow_ipc and returns its rows as dicts."""
    named = "".join(f", {name} := {value}" for name, value in params.items())
    result = con.execute(f"SELECT kind, row_count, info, ipc FROM openduck_arrow_ipc(?{named})", [sql])
    return [dict(zip(("kind", "row_count", "info", "ipc"), row)) for row in result.fetchall()]


def read_stream(rows):
    """Concatenates the ipc blobs into one Arrow IPC stream and reads it with pyarrow."""
    stream = b"".join(row["ipc"] for row in rows if row["ipc"] is not None)
    return pa.ipc.open_stream(stream).read_all()


def duckdb_arrow(con, sql):
    """DuckDB's own Arrow export of `sql`, lossless like openduck_arrow_ipc.

    One difference is deliberate: openduck_arrow_ipc exports BOOLEAN as Arrow's bool, where DuckDB's lossless
    export says arrow.bool8 (and, nested, writes bits under that label: duckdb/duckdb#22444). Top-level bool8
    columns are turned into bool here; nested booleans are checked against the non-lossless export instead.
    """
    con.execute("SET arrow_lossless_conversion = true")
    try:
        return plain_bools(con.sql(sql).arrow().read_all())
    finally:
        con.execute("RESET arrow_lossless_conversion")


def plain_bools(table):
    fields, columns = [], []
    for field, column in zip(table.schema, table.columns):
        if isinstance(field.type, pa.Bool8Type):
            column = pa.chunked_array([chunk.storage.cast(pa.bool_()) for chunk in column.chunks], pa.bool_())
            field = pa.field(field.name, pa.bool_(), field.nullable)
        fields.append(field)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=pa.schema(fields, table.schema.metadata))
