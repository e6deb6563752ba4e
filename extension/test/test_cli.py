"""The DuckDB CLI (pip package duckdb-cli==1.4.4) loads the extension.

The official 1.4.4 CLI binary exports no dynamic symbols (`nm -D --defined-only` lists five libc-level entries), so
the extension brings its DuckDB: it names libduckdb.so, which lies beside it (see extension/README.md).
"""

import os
import shutil
import stat
import subprocess
import sysconfig

import pytest

from conftest import EXTENSION_PATH, sql_string
from openduck_server import OpenDuckServer

DUCKDB_VERSION = open(os.path.join(os.path.dirname(EXTENSION_PATH), "..", "..", "DUCKDB_VERSION")).read().strip()


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    candidates = [os.environ.get("DUCKDB_CLI"), os.path.join(sysconfig.get_path("scripts"), "duckdb"), shutil.which("duckdb")]
    path = next((candidate for candidate in candidates if candidate and os.path.isfile(candidate)), None)
    if path is None:
        pytest.fail("no DuckDB CLI found (pip install duckdb-cli==%s or set DUCKDB_CLI)" % DUCKDB_VERSION)
    if not os.access(path, os.X_OK):
        # The duckdb-cli wheel installs its binary without the executable bit; run a private copy instead.
        copy = tmp_path_factory.mktemp("cli") / "duckdb"
        shutil.copyfile(path, copy)
        copy.chmod(copy.stat().st_mode | stat.S_IXUSR)
        path = str(copy)
    version = subprocess.run([path, "-noheader", "-list", "-c", "SELECT version()"], capture_output=True, text=True)
    if version.stdout.strip() != "v" + DUCKDB_VERSION:
        pytest.fail(f"{path} is DuckDB {version.stdout.strip() or version.stderr.strip()}, not v{DUCKDB_VERSION}")
    return path


def run_cli(cli, sql):
    return subprocess.run([cli, "-unsigned", "-c", sql], capture_output=True, text=True, timeout=60)


def test_cli_loads_the_extension_and_runs_its_functions(cli):
    result = run_cli(
        cli,
        f"LOAD {sql_string(EXTENSION_PATH)}; "
        "SELECT kind, row_count FROM openduck_arrow_ipc('SELECT range AS i FROM range(100000)') WHERE kind = 'end'",
    )
    assert result.returncode == 0, result.stderr
    assert "end" in result.stdout and "100000" in result.stdout, result.stdout


@pytest.fixture(scope="module")
def server():
    server = OpenDuckServer("clidb", "cli-test-token").start()
    server.execute("CREATE TABLE events AS SELECT i AS id, 'kind' || (i % 3) AS kind FROM range(1000) t(i)")
    yield server
    server.cleanup()


def test_cli_attaches_and_queries_a_remote_database(cli, server):
    result = run_cli(
        cli,
        f"LOAD {sql_string(EXTENSION_PATH)}; ATTACH {sql_string(server.attach_path())} AS cloud; "
        "SELECT kind, count(*) AS n FROM cloud.events GROUP BY kind ORDER BY kind; "
        "CREATE TABLE local_kinds AS SELECT 'kind1' AS kind; "
        "SELECT count(*) AS joined FROM cloud.events e JOIN local_kinds USING (kind);",
    )
    assert result.returncode == 0, result.stderr
    assert "kind0" in result.stdout and "334" in result.stdout and "333" in result.stdout
    assert "joined" in result.stdout


def test_cli_reports_a_bad_token_and_keeps_going(cli, server):
    script = (
        f"LOAD {sql_string(EXTENSION_PATH)};\n"
        f"ATTACH {sql_string(server.attach_path(token='wrong'))} AS cloud;\n"
        "SELECT 'still here' AS status;\n"
    )
    result = subprocess.run([cli, "-unsigned"], input=script, capture_output=True, text=True, timeout=60)
    assert "token was refused" in result.stderr
    assert "wrong" not in result.stderr
    assert "still here" in result.stdout
