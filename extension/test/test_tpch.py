"""TPC-H at scale factor 0.1 through ATTACH: every query runs remotely and answers exactly as local DuckDB does, in
each client (Python, Node, the DuckDB CLI: see clients.py), compared with the same client reading the local file.

The data comes from the official tpch extension (PyPI duckdb-ext-tpch), generated locally and turned into a remote
database with `openduck db create tpch --from FILE`.
"""

import os
import sysconfig

import duckdb
import pytest

import clients
from conftest import sql_string
from openduck_server import OpenDuckServer

TPCH_EXTENSION = os.path.join(
    sysconfig.get_paths()["purelib"], "duckdb_ext", "extensions", "v1.4.4", "linux_amd64", "tpch.duckdb_extension"
)


@pytest.fixture(scope="module")
def tpch_file(tmp_path_factory):
    """The SF0.1 database file, and the queries and official answers (read with Python)."""
    if not os.path.exists(TPCH_EXTENSION):
        pytest.fail(f"{TPCH_EXTENSION} is missing: pip install duckdb-ext-tpch (test/python/requirements.txt)")
    path = str(tmp_path_factory.mktemp("tpch") / "tpch.duckdb")
    con = duckdb.connect(path)
    con.execute(f"LOAD {sql_string(TPCH_EXTENSION)}")
    con.execute("CALL dbgen(sf=0.1)")
    queries = dict(con.execute("SELECT query_nr, query FROM tpch_queries()").fetchall())
    answers = dict(con.execute("SELECT query_nr, answer FROM tpch_answers() WHERE scale_factor = 0.1").fetchall())
    con.close()
    return path, queries, answers


@pytest.fixture(scope="module")
def server(tpch_file):
    path, _, _ = tpch_file
    server = OpenDuckServer("tpch", "tpch-token")
    server.create_from_file("tpch", path)
    server.start()
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def local(tpch_file, client_kind):
    """The same file opened read-only by the test's client: its answers are the expected ones."""
    con = clients.connect(client_kind, tpch_file[0], read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def cloud(server, client_kind):
    con = clients.connect(client_kind)
    con.execute(f"ATTACH {sql_string(server.attach_path())} AS cloud")
    con.execute("USE cloud")
    yield con
    con.close()


@pytest.mark.parametrize("number", range(1, 23))
def test_tpch_query_matches_local_duckdb_and_runs_remotely(tpch_file, local, cloud, number):
    query = tpch_file[1][number]
    assert cloud.execute(query).fetchall() == local.execute(query).fetchall()
    plan = "\n".join(row[1] for row in cloud.execute("EXPLAIN " + query).fetchall())
    assert "OPENDUCK_QUERY" in plan


def test_tpch_answers_match_the_official_ones(tpch_file, cloud):
    # The official answers for SF0.1 are CSV text; query 1 (the classic aggregate) checked line by line.
    _, queries, answers = tpch_file
    lines = answers[1].strip().split("\n")[1:]
    rows = cloud.execute(queries[1]).fetchall()
    assert len(rows) == len(lines)
    for row, line in zip(rows, lines):
        fields = line.split("|")
        assert (row[0], row[1]) == (fields[0], fields[1])
        assert float(row[2]) == pytest.approx(float(fields[2]))


# The hybrid suite: the small tables live locally, the large ones stay remote (reached through local views, which
# keeps every statement a local plan over remote scans with pushdown).
LOCAL_TABLES = ("nation", "region", "supplier")
REMOTE_TABLES = ("lineitem", "orders", "customer", "part", "partsupp")


@pytest.fixture(scope="module")
def hybrid(server, client_kind):
    con = clients.connect(client_kind)
    con.execute(f"ATTACH {sql_string(server.attach_path())} AS cloud")
    for table in LOCAL_TABLES:
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM cloud.{table}")
    for table in REMOTE_TABLES:
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM cloud.{table}")
    yield con
    con.close()


@pytest.mark.parametrize("number", range(1, 23))
def test_tpch_query_over_local_and_remote_tables_matches_local_duckdb(tpch_file, local, hybrid, number):
    query = tpch_file[1][number]
    assert hybrid.execute(query).fetchall() == local.execute(query).fetchall()
    plan = "\n".join(row[1] for row in hybrid.execute("EXPLAIN " + query).fetchall())
    assert "OPENDUCK_SCAN" in plan and "OPENDUCK_QUERY" not in plan
