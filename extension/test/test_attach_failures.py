"""ATTACH 'openduck:' over a long time: the server going away (a clear error, the session stays usable), progress."""

import threading

import duckdb
import pytest

from conftest import new_connection, sql_string
from openduck_server import OpenDuckServer


@pytest.fixture
def server():
    server = OpenDuckServer("flaky", "flaky-token").start()
    server.execute("CREATE TABLE big AS SELECT range AS i FROM range(20000000)")
    server.execute("CREATE TABLE small AS SELECT 1 AS x")
    yield server
    server.cleanup()


def test_a_server_restart_between_two_queries(server):
    con = new_connection()
    con.execute(f"ATTACH {sql_string(server.attach_path())} AS cloud")
    assert con.execute("SELECT x FROM cloud.small").fetchall() == [(1,)]
    server.stop()
    server.start()
    assert con.execute("SELECT x FROM cloud.small").fetchall() == [(1,)]


def test_the_server_dying_mid_scan(server):
    con = new_connection()
    con.execute(f"ATTACH {sql_string(server.attach_path())} AS cloud")
    result = con.execute("SELECT i FROM cloud.big")
    assert len(result.fetchmany(1000)) == 1000
    threading.Timer(0.2, server.stop).start()
    with pytest.raises(duckdb.Error) as error:
        while result.fetchmany(100000):
            pass
    message = str(error.value)
    assert "openduck" in message and server.token not in message
    assert con.execute("SELECT 42").fetchone() == (42,)
    with pytest.raises(duckdb.Error, match="could not reach"):
        con.execute("SELECT x FROM cloud.small").fetchall()
    server.start()
    assert con.execute("SELECT x FROM cloud.small").fetchall() == [(1,)]


def test_progress_moves_during_a_long_remote_scan(server):
    con = new_connection()
    con.execute(f"ATTACH {sql_string(server.attach_path())} AS cloud")
    con.execute("CREATE TEMP TABLE one AS SELECT 1 AS z")
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    seen = []
    done = threading.Event()

    def run():
        con.execute("SELECT sum(i + z) FROM cloud.big, one").fetchall()
        done.set()

    worker = threading.Thread(target=run)
    worker.start()
    while not done.is_set():
        seen.append(con.query_progress())
        done.wait(0.02)
    worker.join()
    assert any(0 < value < 100 for value in seen), seen
