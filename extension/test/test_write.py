"""Writes through ATTACH 'openduck:…': INSERT, CREATE TABLE … AS, UPDATE, DELETE, ON CONFLICT and DDL, forwarded
or with local rows staged, and multi-statement transactions — in each client (Python, Node, the DuckDB CLI). Every
statement also runs on a local table in the same client; results and the tables afterwards must be the same."""

import os
import signal
import subprocess
import sys
import tempfile

import duckdb
import pytest

from conftest import EXTENSION_PATH, sql_string
from openduck_server import LoopbackProxy, OpenDuckServer

TOKEN = "write-test-token"

EVENTS = ("CREATE TABLE {db}events_{k} (id INTEGER PRIMARY KEY, status VARCHAR DEFAULT 'new', n INTEGER NOT NULL, "
          "ts TIMESTAMP, tags VARCHAR[])")


@pytest.fixture
def events(request):
    """The events table's name for this test (each test has its own)."""
    return f"events_{request.node.originalname.removeprefix('test_')[:20]}"


@pytest.fixture(scope="module")
def server():
    server = OpenDuckServer("warehouse", TOKEN).start()
    yield server
    server.cleanup()


@pytest.fixture
def cloud(server, open_client):
    con = open_client()
    con.execute(f"ATTACH {sql_string(server.attach_path())} AS cloud")
    return con


@pytest.fixture
def local(open_client):
    return open_client()


class Both:
    """Runs each statement on the cloud database and on the local one of the same client, comparing results."""

    def __init__(self, cloud, local, kind, events):
        self.cloud = cloud
        self.local = local
        self.kind = kind
        self.events = events

    def sql(self, template, db):
        return template.replace("{db}", db).replace("events_{k}", self.events + "_{k}").replace("{k}", self.kind)

    def run(self, template):
        remote = self.cloud.execute(self.sql(template, "cloud.")).fetchall()
        mine = self.local.execute(self.sql(template, "")).fetchall()
        assert remote == mine, (template, remote, mine)
        return remote

    def same_table(self, table):
        query = "SELECT * FROM {db}" + table + " ORDER BY ALL"
        return self.run(query)

    def changes(self, template, count):
        """Runs a write that changes `count` rows: the result is that count (the CLI prints none)."""
        assert self.run(template) == ([] if self.kind == "cli" else [(count,)]), template

    def same_columns(self, table, schema="main"):
        query = ("SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE database_name = {} "
                 "AND schema_name = '{}' AND table_name = '{}' ORDER BY column_index")
        remote = self.cloud.execute(query.format("'cloud'", self.sql(schema, ""), self.sql(table, ""))).fetchall()
        mine = self.local.execute(query.format("current_database()", self.sql(schema, ""),
                                               self.sql(table, ""))).fetchall()
        assert remote and remote == mine, table

    def fails_alike(self, template, match):
        with pytest.raises(duckdb.Error, match=match):
            self.cloud.execute(self.sql(template, "cloud."))
        with pytest.raises(duckdb.Error, match=match):
            self.local.execute(self.sql(template, ""))


@pytest.fixture
def both(cloud, local, client_kind, events):
    return Both(cloud, local, client_kind, events)


def test_insert_values_defaults_and_returning(both):
    both.run(EVENTS)
    both.changes("INSERT INTO {db}events_{k} VALUES (1, 'a', 10, TIMESTAMP '2024-01-01 10:00', ['x']), "
                 "(2, 'b', 20, NULL, NULL)", 2)
    both.run("INSERT INTO {db}events_{k} (id, n) VALUES (3, 30) RETURNING *")
    both.run("INSERT INTO {db}events_{k} (n, id) VALUES (40, 4) RETURNING id, n * 2 AS twice, status")
    both.run("INSERT INTO {db}events_{k} BY NAME SELECT 5 AS id, 50 AS n")
    both.same_table("events_{k}")


def test_insert_and_ctas_from_local_tables_and_files(both, cloud, local):
    directory = tempfile.mkdtemp(prefix="openduck-write-")
    csv = os.path.join(directory, "more.csv")
    parquet = os.path.join(directory, "dump.parquet")
    cloud.execute(f"COPY (SELECT range AS id, 'csv' || range AS status, range * 3 AS n FROM range(1000, 1500)) "
                  f"TO {sql_string(csv)} (HEADER)")
    cloud.execute(f"COPY (SELECT range AS id, 'p' AS status, range % 97 AS n, TIMESTAMP '2024-01-01' + "
                  f"INTERVAL (range) SECOND AS ts, [range::VARCHAR] AS tags FROM range(100000)) "
                  f"TO {sql_string(parquet)} (FORMAT parquet)")
    for con in (cloud, local):
        con.execute("CREATE TABLE local_rows AS SELECT range + 200000 AS id, 'local' AS status, range AS n "
                    "FROM range(3000)")
    both.changes(f"CREATE TABLE {{db}}dump_{{k}} AS SELECT * FROM read_parquet({sql_string(parquet)})", 100000)
    both.run(f"INSERT INTO {{db}}dump_{{k}} (id, status, n) SELECT * FROM read_csv({sql_string(csv)})")
    both.run("INSERT INTO {db}dump_{k} (id, status, n) SELECT * FROM local_rows WHERE n % 2 = 0 RETURNING id, status")
    both.same_columns("dump_{k}")
    both.same_table("dump_{k}")
    both.run("SELECT count(*), sum(n), count(DISTINCT id), max(ts), max(tags) FROM {db}dump_{k}")


def test_ctas_keeps_every_type_exactly(both):
    both.run("CREATE TABLE {db}types_{k} AS SELECT * FROM test_all_types()")
    both.same_columns("types_{k}")
    both.run("SELECT COLUMNS(*)::VARCHAR FROM {db}types_{k}")


def test_remote_only_writes_are_forwarded(both, cloud):
    both.run("CREATE TABLE {db}src_{k} AS SELECT range AS id, range % 5 AS n FROM range(200)")
    plan = cloud.execute(f"EXPLAIN INSERT INTO cloud.src_{both.kind} SELECT id + 1000, n FROM cloud.src_{both.kind}"
                         ).fetchall()
    text = "\n".join(str(row[-1]) for row in plan)
    assert "OPENDUCK_WRITE" in text and "forwarded" in text and "OPENDUCK_SCAN" not in text
    both.run("INSERT INTO {db}src_{k} SELECT id + 1000, n FROM {db}src_{k} WHERE n = 1")
    both.changes("UPDATE {db}src_{k} SET n = n * 10 WHERE id % 7 = 0", 35)
    both.run("DELETE FROM {db}src_{k} WHERE n > 30 RETURNING id")
    both.run("CREATE TABLE {db}copy_{k} AS SELECT * FROM {db}src_{k} WHERE n < 3")
    both.same_table("src_{k}")
    both.same_table("copy_{k}")


def test_update_and_delete_reading_local_data(both, cloud, local):
    both.run(EVENTS)
    both.run("INSERT INTO {db}events_{k} SELECT range, 'open', range, NULL, NULL FROM range(1000)")
    for con in (cloud, local):
        con.execute("CREATE OR REPLACE TABLE local_fixes AS SELECT range * 3 AS id, range AS bonus FROM range(100)")
    plan = cloud.execute(f"EXPLAIN UPDATE cloud.{both.events}_{both.kind} SET status = 'done' "
                         "WHERE id IN (SELECT id FROM local_fixes)").fetchall()
    assert "staged" in "\n".join(str(row[-1]) for row in plan)
    both.run("UPDATE {db}events_{k} SET status = 'done' WHERE id IN (SELECT id FROM local_fixes)")
    both.run("UPDATE {db}events_{k} SET n = e.n + f.bonus FROM local_fixes f WHERE e.id = f.id".replace(
        "{db}events_{k} SET", "{db}events_{k} AS e SET"))
    both.run("DELETE FROM {db}events_{k} WHERE id IN (SELECT id + 1 FROM local_fixes) RETURNING id, status")
    both.same_table("events_{k}")


def test_on_conflict(both, cloud, local):
    both.run(EVENTS)
    both.run("INSERT INTO {db}events_{k} (id, n) SELECT range, range FROM range(10)")
    both.run("INSERT INTO {db}events_{k} (id, n) VALUES (1, 100), (20, 200) ON CONFLICT (id) DO UPDATE "
             "SET n = excluded.n, status = 'updated'")
    both.run("INSERT INTO {db}events_{k} (id, n) VALUES (2, 100), (21, 210) ON CONFLICT DO NOTHING")
    both.run("INSERT OR REPLACE INTO {db}events_{k} (id, n, status) VALUES (3, 333, 'replaced')")
    both.run("CREATE TABLE {db}upserts_{k} AS SELECT range * 2 AS id, range * 1000 AS n FROM range(8)")
    both.run("INSERT INTO {db}events_{k} (id, n) SELECT id, n FROM {db}upserts_{k} ON CONFLICT (id) DO UPDATE "
             "SET n = excluded.n + 1 RETURNING id, n")
    # The server runs the upsert, so its rows must be there already; local rows are refused with a way out.
    cloud.execute("CREATE OR REPLACE TABLE upserts AS SELECT 1 AS id, 1 AS n")
    with pytest.raises(duckdb.Error, match="load local rows into a cloud table first"):
        cloud.execute(f"INSERT INTO cloud.{both.events}_{both.kind} (id, n) SELECT id, n FROM upserts "
                      "ON CONFLICT (id) DO NOTHING")
    both.same_table("events_{k}")


def test_constraint_violations_fail_and_change_nothing(both):
    both.run(EVENTS)
    both.run("INSERT INTO {db}events_{k} (id, n) VALUES (1, 1)")
    both.fails_alike("INSERT INTO {db}events_{k} (id, n) VALUES (2, 2), (1, 1)", "Duplicate key|PRIMARY KEY")
    both.fails_alike("INSERT INTO {db}events_{k} (id) VALUES (3)", "NOT NULL")
    both.fails_alike("INSERT INTO {db}events_{k} (id, n) SELECT range % 2 + 5, 0 FROM range(4)",
                     "Duplicate key|PRIMARY KEY")
    both.same_table("events_{k}")


def test_ddl(both, cloud, local):
    both.run("CREATE SCHEMA {db}staging_{k}")
    both.run("CREATE TABLE {db}staging_{k}.items (id INTEGER, name VARCHAR)")
    both.run("INSERT INTO {db}staging_{k}.items VALUES (1, 'one'), (2, 'two')")
    both.run("ALTER TABLE {db}staging_{k}.items ADD COLUMN note VARCHAR DEFAULT 'n/a'")
    both.run("ALTER TABLE {db}staging_{k}.items RENAME COLUMN name TO label")
    both.run("INSERT INTO {db}staging_{k}.items (id, label) VALUES (3, 'three')")
    both.run("CREATE VIEW {db}staging_{k}.named AS SELECT id, upper(label) AS label FROM {db}staging_{k}.items")
    both.same_table("staging_{k}.items")
    both.same_columns("items", "staging_{k}")
    both.same_table("staging_{k}.named")
    both.run("CREATE TABLE {db}old_{k} (x INTEGER)")
    both.run("DROP TABLE {db}old_{k}")
    both.fails_alike("SELECT * FROM {db}old_{k}", "does not exist")
    with pytest.raises(duckdb.Error, match="may only read tables of that database"):
        cloud.execute(f"CREATE VIEW cloud.mixed_{both.kind} AS SELECT * FROM range(3)")


def test_transaction_reads_its_own_writes_and_commits_once(server, both, cloud, open_client):
    both.run(EVENTS)
    other = open_client()
    other.execute(f"ATTACH {sql_string(server.attach_path())} AS cloud")
    table = f"cloud.{both.events}_{both.kind}"
    cloud.execute("BEGIN")
    cloud.execute(f"INSERT INTO {table} (id, n) VALUES (1, 10), (2, 20)")
    cloud.execute(f"UPDATE {table} SET n = n + 1 WHERE id = 1")
    cloud.execute(f"CREATE TABLE cloud.side_{both.kind} AS SELECT * FROM {table}")
    assert cloud.execute(f"SELECT id, n FROM {table} ORDER BY id").fetchall() == [(1, 11), (2, 20)]
    assert cloud.execute(f"SELECT count(*) FROM cloud.side_{both.kind}").fetchall() == [(2,)]
    assert other.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)]
    cloud.execute("COMMIT")
    assert other.execute(f"SELECT id, n FROM {table} ORDER BY id").fetchall() == [(1, 11), (2, 20)]
    assert other.execute(f"SELECT count(*) FROM cloud.side_{both.kind}").fetchall() == [(2,)]


def test_rollback_discards_everything(both, cloud):
    both.run(EVENTS)
    table = f"cloud.{both.events}_{both.kind}"
    cloud.execute("BEGIN")
    cloud.execute(f"INSERT INTO {table} (id, n) VALUES (1, 10)")
    cloud.execute(f"CREATE TABLE cloud.gone_{both.kind} (x INTEGER)")
    cloud.execute("ROLLBACK")
    assert cloud.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)]
    with pytest.raises(duckdb.Error, match="does not exist"):
        cloud.execute(f"SELECT * FROM cloud.gone_{both.kind}")


def test_concurrent_transactions_first_commit_wins(server, both, cloud, open_client):
    both.run(EVENTS)
    table = f"cloud.{both.events}_{both.kind}"
    second = open_client()
    second.execute(f"ATTACH {sql_string(server.attach_path())} AS cloud")
    cloud.execute("BEGIN")
    second.execute("BEGIN")
    cloud.execute(f"INSERT INTO {table} (id, n) VALUES (1, 1)")
    second.execute(f"INSERT INTO {table} (id, n) VALUES (2, 2), (3, 3)")
    cloud.execute("COMMIT")
    with pytest.raises(duckdb.Error, match="another write committed"):
        second.execute("COMMIT")
    assert cloud.execute(f"SELECT id FROM {table} ORDER BY id").fetchall() == [(1,)]


def test_a_killed_client_leaves_nothing_behind(server, both, cloud, client_kind):
    both.run(EVENTS)
    table = f"cloud.{both.events}_{client_kind}"
    statements = [f"ATTACH {sql_string(server.attach_path())} AS cloud", "BEGIN",
                  f"INSERT INTO {table} (id, n) SELECT range, range FROM range(1000)"]
    if client_kind == "python":
        # The Python client runs in this process: a child process plays the client that dies.
        script = ("import duckdb, time\n"
                  "con = duckdb.connect(config={'allow_unsigned_extensions': 'true'})\n"
                  f"con.execute({repr('LOAD ' + sql_string(EXTENSION_PATH))})\n"
                  + "".join(f"con.execute({statement!r})\n" for statement in statements)
                  + "print('written', flush=True)\ntime.sleep(600)\n")
        child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "written"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(30)
    else:
        import clients

        victim = clients.connect(client_kind)
        for statement in statements:
            victim.execute(statement)
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait(30)
    assert cloud.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)]
    cloud.execute(f"INSERT INTO {table} (id, n) VALUES (1, 1)")
    assert cloud.execute(f"SELECT count(*) FROM {table}").fetchall() == [(1,)]


def test_read_only_and_snapshot_attaches_refuse_writes_before_any_request(server, open_client, client_kind):
    server.execute(f"CREATE TABLE frozen_{client_kind} AS SELECT 1 AS x")
    snapshot = server.execute("SELECT 1")["snapshotId"]
    proxy = LoopbackProxy(server.port)
    endpoint = f"http://127.0.0.1:{proxy.port}"
    con = open_client()
    con.execute(f"ATTACH {sql_string(server.attach_path(endpoint=endpoint))} AS ro (READ_ONLY)")
    con.execute(f"ATTACH {sql_string(server.attach_path(endpoint=endpoint, snapshot=snapshot))} AS old")
    for name in ("ro", "old"):
        assert con.execute(f"SELECT x FROM {name}.frozen_{client_kind}").fetchall() == [(1,)]
    before = proxy.requests
    for statement in (f"INSERT INTO ro.frozen_{client_kind} VALUES (2)",
                      f"UPDATE old.frozen_{client_kind} SET x = 3",
                      f"CREATE TABLE ro.more_{client_kind} (y INTEGER)",
                      f"DROP TABLE old.frozen_{client_kind}"):
        with pytest.raises(duckdb.Error, match="read-only|read only"):
            con.execute(statement)
    assert proxy.requests == before


def test_python_arrow_frames_are_uploaded(server):
    import pyarrow as pa

    from conftest import new_connection

    con = new_connection()
    con.execute(f"ATTACH {sql_string(server.attach_path())} AS cloud")
    con.execute("CREATE TABLE cloud.frames (id BIGINT, label VARCHAR, score DOUBLE)")
    registered = pa.table({"id": list(range(1000)), "label": [f"r{i}" for i in range(1000)],
                           "score": [i / 4 for i in range(1000)]})
    con.register("registered", registered)
    assert con.execute("INSERT INTO cloud.frames SELECT * FROM registered").fetchall() == [(1000,)]
    by_name = pa.table({"id": [5000, 5001], "label": ["x", None], "score": [None, 1.5]})  # noqa: F841 (scanned by name)
    assert con.execute("INSERT INTO cloud.frames SELECT * FROM by_name").fetchall() == [(2,)]
    assert con.execute("SELECT count(*), sum(id), count(label), sum(score) FROM cloud.frames").fetchall() == \
        [(1002, 499500 + 10001, 1001, 124875.0 + 1.5)]
    con.close()
