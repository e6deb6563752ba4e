"""ATTACH 'openduck:' over a long time: the server going away (a clear error, the session stays usable), progress —
in each client (Python, Node, the DuckDB CLI: see clients.py)."""

import threading
import time

import duckdb
import pytest

from conftest import sql_string
from openduck_server import LoopbackProxy, OpenDuckServer


@pytest.fixture(scope="module")
def started_server():
    server = OpenDuckServer("flaky", "flaky-token").start()
    server.execute("CREATE TABLE big AS SELECT range AS i FROM range(20000000)")
    server.execute("CREATE TABLE small AS SELECT 1 AS x")
    yield server
    server.cleanup()


@pytest.fixture
def server(started_server):
    """The module's server, running again if a test stopped it."""
    if started_server.process is None:
        started_server.start()
    return started_server


def test_a_server_restart_between_two_queries(server, open_client):
    con = open_client()
    con.execute(f"ATTACH {sql_string(server.attach_path())} AS cloud")
    assert con.execute("SELECT x FROM cloud.small").fetchall() == [(1,)]
    server.stop()
    with pytest.raises(duckdb.Error, match="could not reach") as error:
        con.execute("SELECT x FROM cloud.small").fetchall()
    assert server.token not in str(error.value)
    server.start()
    assert con.execute("SELECT x FROM cloud.small").fetchall() == [(1,)]


def stop_when(proxy, server, received):
    """Stops the server once the proxy in front of it has passed `received` bytes of answers. Returns a function
    that ends the watch and tells whether the server was stopped."""
    ended = threading.Event()
    stopped = []

    def watch():
        while proxy.received < received:
            if ended.wait(0.005):
                return
        server.stop()
        stopped.append(True)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()

    def finish():
        ended.set()
        watcher.join()
        return bool(stopped)

    return finish


def test_the_server_dying_mid_scan(server, open_client):
    proxy = LoopbackProxy(server.port)
    con = open_client()
    con.execute(f"ATTACH {sql_string(server.attach_path(endpoint=f'http://127.0.0.1:{proxy.port}'))} AS cloud")
    con.execute("CREATE TEMP TABLE one AS SELECT 1 AS z")
    # A local aggregate over a remote scan of 20M rows (about 80 MB of Arrow); the server stops after 4 MB.
    stopped = stop_when(proxy, server, 4 << 20)
    with pytest.raises(duckdb.Error) as error:
        con.execute("SELECT sum(i + z) FROM cloud.big, one").fetchall()
    message = str(error.value)
    assert stopped(), f"the query failed before the server stopped: {message}"
    assert "openduck" in message and server.token not in message
    assert proxy.received < 40 << 20, "the scan should have been cut short"
    assert con.execute("SELECT 42").fetchone() == (42,)
    with pytest.raises(duckdb.Error, match="openduck"):
        con.execute("SELECT x FROM cloud.small").fetchall()
    server.start()
    assert con.execute("SELECT x FROM cloud.small").fetchall() == [(1,)]


def test_progress_moves_during_a_long_remote_scan(server, open_client):
    con = open_client()
    con.execute(f"ATTACH {sql_string(server.attach_path())} AS cloud")
    con.execute("CREATE TEMP TABLE one AS SELECT 1 AS z")
    con.execute("SET enable_progress_bar = true")
    con.execute("SET progress_bar_time = 10")
    if con.kind != "cli":
        # The libraries report progress through their API (polled below); the CLI draws the bar on its terminal.
        con.execute("SET enable_progress_bar_print = false")
    seen = []
    done = threading.Event()

    def run():
        try:
            con.execute("SELECT sum(i + z) FROM cloud.big, one").fetchall()
        finally:
            done.set()

    worker = threading.Thread(target=run)
    worker.start()
    while not done.is_set():
        seen.append(con.progress())
        done.wait(0.02)
    worker.join()
    assert any(0 < value < 100 for value in seen), seen
