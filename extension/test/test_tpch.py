"""TPC-H at scale factor 0.1 through ATTACH: every query runs remotely and answers exactly as local DuckDB does.

The data comes from the official tpch extension (PyPI duckdb-ext-tpch), generated locally and turned into a remote
database with `openduck db create tpch --from FILE`.
"""

import os
import sysconfig

import duckdb
import pytest

from conftest import new_connection, sql_string
from openduck_server import OpenDuckServer

TPCH_EXTENSION = os.path.join(
    sysconfig.get_paths()["purelib"], "duckdb_ext", "extensions", "v1.4.4", "linux_amd64", "tpch.duckdb_extension"
)


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    if not os.path.exists(TPCH_EXTENSION):
        pytest.fail(f"{TPCH_EXTENSION} is missing: pip install duckdb-ext-tpch (test/python/requirements.txt)")
    path = str(tmp_path_factory.mktemp("tpch") / "tpch.duckdb")
    con = duckdb.connect(path)
    con.execute(f"LOAD {sql_string(TPCH_EXTENSION)}")
    con.execute("CALL dbgen(sf=0.1)")
    con.close()
    con = duckdb.connect(path, read_only=True)
    con.execute(f"LOAD {sql_string(TPCH_EXTENSION)}")
    yield path, con
    con.close()


@pytest.fixture(scope="module")
def cloud(local):
    path, _ = local
    server = OpenDuckServer("tpch", "tpch-token")
    server.create_from_file("tpch", path)
    server.start()
    con = new_connection()
    con.execute(f"ATTACH {sql_string(server.attach_path())} AS cloud")
    con.execute("USE cloud")
    yield con
    con.close()
    server.cleanup()


@pytest.mark.parametrize("number", range(1, 23))
def test_tpch_query_matches_local_duckdb_and_runs_remotely(local, cloud, number):
    _, con = local
    query = con.execute("SELECT query FROM tpch_queries() WHERE query_nr = ?", [number]).fetchone()[0]
    expected = con.execute(query).fetchall()
    assert cloud.execute(query).fetchall() == expected
    plan = "\n".join(row[1] for row in cloud.execute("EXPLAIN " + query).fetchall())
    assert "OPENDUCK_QUERY" in plan


def test_tpch_answers_match_the_official_ones(local, cloud):
    # The official answers for SF0.1 are CSV text; query 1 (the classic aggregate) checked line by line.
    _, con = local
    answer = con.execute("SELECT answer FROM tpch_answers() WHERE scale_factor = 0.1 AND query_nr = 1").fetchone()[0]
    lines = answer.strip().split("\n")[1:]
    query = con.execute("SELECT query FROM tpch_queries() WHERE query_nr = 1").fetchone()[0]
    rows = cloud.execute(query).fetchall()
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
def hybrid(cloud):
    con = cloud.cursor()
    con.execute("USE memory")
    for table in LOCAL_TABLES:
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM cloud.{table}")
    for table in REMOTE_TABLES:
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM cloud.{table}")
    yield con
    con.close()


@pytest.mark.parametrize("number", range(1, 23))
def test_tpch_query_over_local_and_remote_tables_matches_local_duckdb(local, hybrid, number):
    _, con = local
    query = con.execute("SELECT query FROM tpch_queries() WHERE query_nr = ?", [number]).fetchone()[0]
    assert hybrid.execute(query).fetchall() == con.execute(query).fetchall()
    plan = "\n".join(row[1] for row in hybrid.execute("EXPLAIN " + query).fetchall())
    assert "OPENDUCK_SCAN" in plan and "OPENDUCK_QUERY" not in plan
