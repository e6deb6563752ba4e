"""ATTACH 'openduck:…': remote tables as catalog entries, scans with pushdown, snapshots, errors — in each client
(Python, Node, the DuckDB CLI: see clients.py)."""

import threading
import time

import duckdb
import pytest

from conftest import sql_string
from openduck_server import LoopbackProxy, OpenDuckServer

TOKEN = "attach-test-token"

# The same statements build the remote database and a local copy; queries on both must agree.
SETUP = [
    "CREATE TABLE sales (id INTEGER PRIMARY KEY, region VARCHAR NOT NULL, product_id INTEGER, amount DECIMAL(18,3), "
    "sold_at TIMESTAMP, tags VARCHAR[], info STRUCT(channel VARCHAR, score DOUBLE))",
    "INSERT INTO sales SELECT i, CASE i % 3 WHEN 0 THEN 'EU' WHEN 1 THEN 'US' ELSE 'APAC' END, i % 50, "
    "(i * 1.25)::DECIMAL(18,3), TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE, "
    "CASE WHEN i % 7 = 0 THEN NULL ELSE ['t' || (i % 5), 'x'] END, "
    "{'channel': CASE WHEN i % 2 = 0 THEN 'web' ELSE 'shop' END, 'score': i / 10.0} FROM range(20000) t(i)",
    "CREATE SCHEMA staging",
    "CREATE TABLE staging.notes (id INTEGER, note VARCHAR)",
    "INSERT INTO staging.notes VALUES (1, 'héllo wörld'), (2, NULL), (3, '🦆')",
    "CREATE VIEW eu_sales AS SELECT id, amount FROM sales WHERE region = 'EU'",
    "CREATE TABLE all_types AS SELECT * FROM test_all_types()",
]


@pytest.fixture(scope="module")
def server():
    server = OpenDuckServer("shop", TOKEN).start()
    for statement in SETUP:
        server.execute(statement)
    yield server
    server.cleanup()


@pytest.fixture(scope="module")
def big(server):
    server.execute("CREATE TABLE big AS SELECT range AS i FROM range(30000000)")


@pytest.fixture(scope="module")
def local(client_kind):
    """The same tables in a local database of the same client."""
    import clients

    con = clients.connect(client_kind)
    for statement in SETUP:
        con.execute(statement)
    yield con
    con.close()


@pytest.fixture
def cloud(server, open_client):
    con = open_client()
    con.execute(f"ATTACH {sql_string(server.attach_path())} AS cloud")
    return con


def same_rows(cloud, local, query):
    remote_rows = cloud.execute(query.replace("{db}", "cloud.")).fetchall()
    local_rows = local.execute(query.replace("{db}", "")).fetchall()
    assert remote_rows == local_rows, query
    return remote_rows


def test_lists_schemas_tables_and_views(cloud):
    tables = {(row[1], row[2]) for row in cloud.execute("SHOW ALL TABLES").fetchall() if row[0] == "cloud"}
    assert {("main", "sales"), ("staging", "notes"), ("main", "eu_sales"), ("main", "all_types")} <= tables
    schemas = {row[0] for row in cloud.execute("SELECT schema_name FROM duckdb_schemas() WHERE database_name = 'cloud'").fetchall()}
    assert {"main", "staging"} <= schemas


def test_columns_keep_types_not_null_and_primary_key(cloud, local):
    remote = cloud.execute("SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
                           "WHERE database_name = 'cloud' AND table_name = 'sales' ORDER BY column_index").fetchall()
    mine = local.execute("SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
                         "WHERE database_name = current_database() AND table_name = 'sales' ORDER BY column_index").fetchall()
    assert remote == mine
    keys = cloud.execute("SELECT unnest(constraint_column_names) FROM duckdb_constraints() "
                         "WHERE database_name = 'cloud' AND table_name = 'sales' AND constraint_type = 'PRIMARY KEY'").fetchall()
    assert keys == [("id",)]


def test_every_type_arrives_exactly(cloud, local):
    remote_types = cloud.execute("SELECT column_name, data_type FROM duckdb_columns() "
                                 "WHERE database_name = 'cloud' AND table_name = 'all_types' ORDER BY column_index").fetchall()
    local_types = local.execute("SELECT column_name, data_type FROM duckdb_columns() "
                                "WHERE database_name = current_database() AND table_name = 'all_types' ORDER BY column_index").fetchall()
    assert remote_types == local_types
    # Compare as text so NaN/inf and nested values compare by value.
    query = "SELECT * FROM {db}all_types"
    remote_rows = cloud.execute(f"SELECT COLUMNS(*)::VARCHAR FROM ({query.replace('{db}', 'cloud.')})").fetchall()
    local_rows = local.execute(f"SELECT COLUMNS(*)::VARCHAR FROM ({query.replace('{db}', '')})").fetchall()
    assert remote_rows == local_rows
    typeof = cloud.execute("SELECT typeof(COLUMNS(*)) FROM cloud.all_types LIMIT 1").fetchone()
    assert list(typeof) == [row[1] for row in local_types]


@pytest.mark.parametrize("where", [
    "region = 'EU'",
    "amount > 100.5 AND amount <= 2000",
    "id IN (1, 5, 7, 19999)",
    "sold_at >= TIMESTAMP '2024-01-05' OR product_id = 3",
    "tags IS NULL",
    "tags IS NOT NULL AND product_id <> 4",
    "info.channel = 'web' AND info.score < 50",
    "region LIKE 'A%'",
    "list_contains(tags, 't3')",
    "amount::VARCHAR LIKE '%.250'",
])
def test_filters_and_projections_match_local(cloud, local, where):
    same_rows(cloud, local, f"SELECT id, region, amount FROM {{db}}sales WHERE {where} ORDER BY id")


def test_aggregates_views_non_ascii_and_limits(cloud, local):
    same_rows(cloud, local, "SELECT region, count(*), sum(amount) FROM {db}sales GROUP BY ALL ORDER BY ALL")
    same_rows(cloud, local, "SELECT count(*) FROM {db}eu_sales")
    same_rows(cloud, local, "SELECT * FROM {db}staging.notes ORDER BY id")
    same_rows(cloud, local, "SELECT id FROM {db}sales ORDER BY amount DESC LIMIT 5")


def test_joins_local_tables_with_remote_ones(cloud, local):
    for con in (cloud, local):
        con.execute("CREATE OR REPLACE TEMP TABLE local_products AS "
                    "SELECT i AS id, 'cat' || (i % 4) AS category FROM range(50) t(i)")
    same_rows(cloud, local, "SELECT p.category, sum(s.amount) FROM local_products p JOIN {db}sales s "
                            "ON p.id = s.product_id GROUP BY ALL ORDER BY ALL")


def test_od_prefix_and_token_from_the_environment(server, open_client, monkeypatch):
    monkeypatch.setenv("OPENDUCK_TOKEN", server.token)
    monkeypatch.setenv("OPENDUCK_ENDPOINT", server.endpoint)
    con = open_client()
    con.execute("ATTACH 'od:shop' AS c2")
    assert con.execute("SELECT count(*) FROM c2.sales").fetchone() == (20000,)


def test_a_transaction_reads_one_snapshot_and_the_next_sees_new_commits(server, open_client):
    server.execute("CREATE OR REPLACE TABLE counter AS SELECT 1 AS n")
    con = open_client()
    con.execute(f"ATTACH {sql_string(server.attach_path())} AS cloud")
    con.execute("BEGIN")
    assert con.execute("SELECT n FROM cloud.counter").fetchall() == [(1,)]
    server.execute("UPDATE counter SET n = 2")
    assert con.execute("SELECT n FROM cloud.counter").fetchall() == [(1,)]
    con.execute("COMMIT")
    assert con.execute("SELECT n FROM cloud.counter").fetchall() == [(2,)]


def test_a_query_costs_one_request_and_sees_commits_made_before_it(server, open_client, client_kind):
    table = f"ticks_{client_kind}"
    server.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT 1 AS n")
    proxy = LoopbackProxy(server.port)
    con = open_client()
    con.execute(f"ATTACH {sql_string(server.attach_path(endpoint=f'http://127.0.0.1:{proxy.port}'))} AS cloud")
    assert con.execute(f"SELECT n FROM cloud.{table}").fetchall() == [(1,)]
    before = proxy.requests
    for _ in range(3):
        assert con.execute(f"SELECT n FROM cloud.{table}").fetchall() == [(1,)]
    assert proxy.requests - before == 3
    # A commit elsewhere: the next query sees it (and reloads the catalog once, for its row estimates).
    server.execute(f"INSERT INTO {table} VALUES (2)")
    assert con.execute(f"SELECT n FROM cloud.{table} ORDER BY n").fetchall() == [(1,), (2,)]
    # A table the query reads changed after it was planned: a clear error, and the next run plans anew.
    server.execute(f"ALTER TABLE {table} ADD COLUMN note VARCHAR DEFAULT 'new'")
    with pytest.raises(duckdb.Error, match=f"{table} in OpenDuck database \"shop\" changed .* run it again"):
        con.execute(f"SELECT * FROM cloud.{table} ORDER BY n").fetchall()
    assert con.execute(f"SELECT * FROM cloud.{table} ORDER BY n").fetchall() == [(1, "new"), (2, "new")]
    # A change to another table does not disturb it.
    server.execute(f"CREATE OR REPLACE TABLE other_{client_kind} AS SELECT 1 AS z")
    assert con.execute(f"SELECT count(*) FROM cloud.{table}").fetchone() == (2,)


def test_time_travel_by_snapshot_name_is_read_only(server, open_client, client_kind):
    server.execute("CREATE OR REPLACE TABLE history AS SELECT 1 AS version")
    server.name_snapshot(f"before_v2_{client_kind}")
    server.execute("UPDATE history SET version = 2")
    con = open_client()
    con.execute(f"ATTACH {sql_string(server.attach_path(snapshot=f'before_v2_{client_kind}'))} AS yesterday")
    con.execute(f"ATTACH {sql_string(server.attach_path())} AS today (READ_ONLY)")
    assert con.execute("SELECT version FROM yesterday.history").fetchall() == [(1,)]
    assert con.execute("SELECT version FROM today.history").fetchall() == [(2,)]
    readonly = con.execute("SELECT database_name, readonly FROM duckdb_databases() "
                           "WHERE database_name IN ('yesterday', 'today') ORDER BY 1").fetchall()
    assert readonly == [("today", True), ("yesterday", True)]
    with pytest.raises(duckdb.Error, match="read-only|read only"):
        con.execute("INSERT INTO yesterday.history VALUES (3)")


def test_the_token_stays_out_of_duckdb_databases_and_errors(server, cloud):
    paths = [row[0] for row in cloud.execute("SELECT path FROM duckdb_databases() WHERE database_name = 'cloud'").fetchall()]
    assert paths and server.endpoint in paths[0] and TOKEN not in paths[0]
    with pytest.raises(duckdb.Error) as error:
        cloud.execute("SELECT * FROM cloud.no_such_table")
    assert TOKEN not in str(error.value)


@pytest.mark.parametrize("path, message", [
    ("openduck:shop?endpoint={endpoint}&token={token}&colour=blue", "unknown parameter \"colour\""),
    ("openduck:shop?endpoint={endpoint}", "no token"),
    ("openduck:shop?endpoint=http://127.0.0.1:9&token={token}", "could not reach"),
    ("openduck:shop?endpoint={endpoint}&token=wrong-token", "token was refused"),
    ("openduck:nowhere?endpoint={endpoint}&token={token}", "nowhere"),
    ("openduck:shop?endpoint={endpoint}&token={token}&snapshot=no_such_snapshot", "no_such_snapshot"),
    ("openduck:bad-name?endpoint={endpoint}&token={token}", "not a database name"),
])
def test_attach_fails_clearly(server, open_client, monkeypatch, path, message):
    monkeypatch.delenv("OPENDUCK_TOKEN", raising=False)
    con = open_client()
    with pytest.raises(duckdb.Error, match=message) as error:
        con.execute(f"ATTACH {sql_string(path.format(endpoint=server.endpoint, token=TOKEN))} AS broken")
    assert TOKEN not in str(error.value)
    # The session is still usable.
    assert con.execute("SELECT 42").fetchone() == (42,)


def test_a_remote_error_leaves_the_session_usable(cloud):
    with pytest.raises(duckdb.Error, match="Conversion Error|Could not convert|conversion"):
        cloud.execute("SELECT region::INTEGER FROM cloud.sales").fetchall()
    assert cloud.execute("SELECT count(*) FROM cloud.sales").fetchone() == (20000,)


@pytest.mark.parametrize("query", [
    # Runs entirely remotely and would take minutes there.
    "SELECT count(*) FROM cloud.big a, cloud.big b WHERE a.i < 300000 AND b.i < 300000 AND a.i + b.i = 7",
    # Local work over a remote scan (`one` is a local table).
    "SELECT count(*) FROM cloud.big, one WHERE md5(md5((i + z)::VARCHAR)) = 'x'",
])
def test_interrupt_cancels_a_long_remote_query(server, big, cloud, query):
    cloud.execute("CREATE TEMP TABLE one AS SELECT 1 AS z")
    timer = threading.Timer(1.0, cloud.interrupt)
    timer.start()
    started = time.time()
    with pytest.raises(duckdb.Error, match="nterrupt"):
        cloud.execute(query).fetchall()
    assert time.time() - started < 10
    # The remote query stopped too: the server is idle (it used 2 threads while the query ran). The client closes
    # the connection (which the server cancels on) at libcurl's next progress poll, up to about a second after the
    # interrupt while the server is silent (see test_connect_client's silent query); the error may reach the caller
    # before that.
    time.sleep(1.5)
    before = server.cpu_seconds()
    time.sleep(1.0)
    assert server.cpu_seconds() - before < 0.3
    assert cloud.execute("SELECT count(*) FROM cloud.sales").fetchone() == (20000,)


def explain(con, query):
    return "\n".join(row[1] for row in con.execute("EXPLAIN " + query).fetchall())


def test_a_statement_on_remote_tables_only_runs_remotely_and_explain_shows_its_sql(cloud):
    plan = explain(cloud, "SELECT region, count(*) FROM cloud.sales WHERE amount > 10 GROUP BY region")
    assert "OPENDUCK_QUERY" in plan and "Remote SQL" in plan and "GROUP BY region" in plan
    assert "HASH_GROUP_BY" not in plan
    assert "openduck:shop" in plan and TOKEN not in plan


def test_a_hybrid_statement_scans_remote_tables_with_pushdown(cloud):
    cloud.execute("CREATE OR REPLACE TEMP TABLE wanted AS SELECT 3 AS product_id")
    plan = explain(cloud, "SELECT s.id FROM cloud.sales s JOIN wanted w USING (product_id) WHERE s.region = 'EU'")
    assert "OPENDUCK_SCAN" in plan and "OPENDUCK_QUERY" not in plan
    assert "region='EU'" in plan.replace(" ", "")


def test_remote_sql_answers_in_the_session_time_zone_and_calendar(cloud, local):
    query = ("SELECT id, (TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (id) HOUR)::DATE::VARCHAR, "
             "date_part('era', TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (id) HOUR) FROM {db}sales "
             "WHERE id < 8 ORDER BY id")
    try:
        for con in (cloud, local):
            con.execute("SET TimeZone = 'America/New_York'")
            con.execute("SET Calendar = 'japanese'")
        rows = same_rows(cloud, local, query)
        # Before 05:00 UTC it is still New Year's Eve in New York; the Japanese calendar counts eras (236: Reiwa).
        assert [row[1][-5:] for row in rows] == ["12-31"] * 5 + ["01-01"] * 3 and rows[0][2] == 236
        assert "OPENDUCK_QUERY" in explain(cloud, query.replace("{db}", "cloud."))
    finally:
        for con in (cloud, local):
            con.execute("RESET TimeZone")
            con.execute("RESET Calendar")


@pytest.mark.parametrize("setting", ["default_order = 'DESC'", "integer_division = true",
                                     "default_null_order = 'NULLS_FIRST'"])
def test_a_session_setting_that_is_not_forwarded_keeps_statements_local(cloud, local, setting):
    query = "SELECT amount::INTEGER / 7, tags FROM {db}sales WHERE id < 30 ORDER BY id, tags"
    assert "OPENDUCK_QUERY" in explain(cloud, query.replace("{db}", "cloud."))
    name = setting.split(" ")[0]
    try:
        for con in (cloud, local):
            con.execute(f"SET {setting}")
        same_rows(cloud, local, query)
        assert "OPENDUCK_QUERY" not in explain(cloud, query.replace("{db}", "cloud."))
    finally:
        for con in (cloud, local):
            con.execute(f"RESET {name}")
    assert "OPENDUCK_QUERY" in explain(cloud, query.replace("{db}", "cloud."))


def test_statements_that_must_stay_local_do(cloud, local):
    # A macro the remote side does not know, and a parameter: both keep the local plan (and still answer).
    for con in (cloud, local):
        con.execute("CREATE OR REPLACE TEMP MACRO twice(x) AS x * 2")
    same_rows(cloud, local, "SELECT twice(id) FROM {db}sales WHERE id < 3 ORDER BY 1")
    assert "OPENDUCK_QUERY" not in explain(cloud, "SELECT twice(id) FROM cloud.sales")
    assert cloud.execute("SELECT count(*) FROM cloud.sales WHERE id < ?", [10]).fetchone() == (10,)


def test_a_selective_hybrid_join_sends_the_local_keys_to_the_remote_scan(cloud, local):
    for con in (cloud, local):
        con.execute("CREATE OR REPLACE TEMP TABLE few AS SELECT * FROM (VALUES (3), (17), (42)) t(product_id)")
    query = "SELECT s.id, s.amount FROM {db}sales s JOIN few USING (product_id) ORDER BY s.id"
    same_rows(cloud, local, query)
    profile = "\n".join(row[1] for row in cloud.execute("EXPLAIN ANALYZE " + query.replace("{db}", "cloud.")).fetchall())
    flat = "".join(line.strip("│ ") for line in profile.splitlines())
    assert '"product_id" IN (3, 17, 42)' in flat, profile


def remote_sql(con, query):
    """The EXPLAIN ANALYZE text without box drawing or spaces (the SQL shown wraps at odd places)."""
    profile = "\n".join(row[1] for row in con.execute("EXPLAIN ANALYZE " + query).fetchall())
    return "".join(line.strip("│ ") for line in profile.splitlines()).replace(" ", "")


def test_limits_over_a_remote_scan_reach_the_remote_side(cloud, local):
    for con in (cloud, local):
        con.execute("CREATE OR REPLACE TEMP MACRO twice(x) AS x * 2")
    # A local macro keeps these statements local, over a remote scan.
    same_rows(cloud, local, "SELECT twice(id), amount FROM {db}sales ORDER BY amount DESC, id LIMIT 3")
    top = remote_sql(cloud, "SELECT twice(id), amount FROM cloud.sales ORDER BY amount DESC LIMIT 3")
    assert 'ORDERBY"amount"DESCNULLSLASTLIMIT3' in top, top
    assert "LIMIT7" in remote_sql(cloud, "SELECT twice(id) FROM cloud.sales WHERE region = 'EU' LIMIT 5 OFFSET 2")
    rows = cloud.execute("SELECT twice(id) FROM cloud.sales WHERE region = 'EU' LIMIT 5").fetchall()
    assert len(rows) == 5 and all(value % 6 == 0 for (value,) in rows)
    # A filter the remote side cannot run keeps the limit local (it would cut rows the filter still drops).
    assert "LIMIT" not in remote_sql(cloud, "SELECT id FROM cloud.sales WHERE twice(id) % 7 = 1 LIMIT 5").split("TABLE_SCAN")[-1]
