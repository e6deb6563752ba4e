"""Benchmarks of the DuckDB extension (ATTACH 'openduck:'), each against a baseline measured in the same run.

Usage: npm run bench:extension [-- --quick]   (Python duckdb 1.4.4 from .venv, `openduck serve` on loopback)
Writes bench/results/extension.md (not with --quick) and prints it.

  1. TPC-H SF1 (SF0.1 with --quick), all 22 queries through ATTACH against the same queries on a local DuckDB file.
  2. Bytes on the wire for a selective hybrid join against the Arrow IPC size of its result.
  3. Latency of a one-row remote query through ATTACH against the same query on a local table.
"""

import datetime
import os
import platform
import statistics
import sys
import sysconfig
import tempfile
import time

import duckdb
import pyarrow as pa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "extension", "test"))
from openduck_server import LoopbackProxy, OpenDuckServer  # noqa: E402

QUICK = "--quick" in sys.argv
SCALE = 0.1 if QUICK else 1
RUNS = 1 if QUICK else 5
EXTENSION = os.path.join(ROOT, "extension", "build", "release", "openduck.duckdb_extension")
TPCH = os.path.join(sysconfig.get_paths()["purelib"], "duckdb_ext", "extensions", "v1.4.4", "linux_amd64",
                    "tpch.duckdb_extension")


def connect_cloud(endpoint, token):
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{EXTENSION}'")
    con.execute(f"ATTACH 'openduck:tpch?endpoint={endpoint}&token={token}' AS cloud")
    con.execute("USE cloud")
    return con


def timed(con, query, runs=RUNS):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        con.execute(query).fetchall()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main():
    work = tempfile.mkdtemp(prefix="openduck-bench-ext-")
    path = os.path.join(work, "tpch.duckdb")
    started = time.perf_counter()
    local = duckdb.connect(path)
    local.execute(f"LOAD '{TPCH}'")
    local.execute(f"CALL dbgen(sf={SCALE})")
    local.close()
    generated = time.perf_counter() - started
    size = os.path.getsize(path)

    server = OpenDuckServer("tpch", "bench-token")
    started = time.perf_counter()
    server.create_from_file("tpch", path)
    imported = time.perf_counter() - started
    server.start()
    try:
        local = duckdb.connect(path, read_only=True)
        local.execute(f"LOAD '{TPCH}'")
        cloud = connect_cloud(server.endpoint, server.token)
        queries = local.execute("SELECT query_nr, query FROM tpch_queries() ORDER BY 1").fetchall()
        rows = []
        for number, query in queries:
            # A first run each side warms caches (the worker's layer cache, the OS page cache).
            assert cloud.execute(query).fetchall() == local.execute(query).fetchall(), f"Q{number} differs"
            rows.append((number, timed(local, query), timed(cloud, query)))
        local_total = sum(r[1] for r in rows)
        remote_total = sum(r[2] for r in rows)

        # Selective hybrid join: 20 local order keys joined with the remote lineitem.
        proxy = LoopbackProxy(server.port)
        hybrid = connect_cloud(f"http://127.0.0.1:{proxy.port}", server.token)
        hybrid.execute("USE memory")
        hybrid.execute("CREATE TABLE wanted AS SELECT o_orderkey AS k FROM cloud.orders ORDER BY o_orderkey LIMIT 20")
        join = ("SELECT l.l_orderkey, l.l_partkey, l.l_quantity, l.l_extendedprice FROM cloud.lineitem l "
                "JOIN wanted w ON l.l_orderkey = w.k")
        hybrid.execute("SELECT 1").fetchall()
        before = proxy.received
        result = hybrid.execute(join).arrow().read_all()
        wire = proxy.received - before
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, result.schema) as writer:
            writer.write_table(result)
        true_bytes = sink.getvalue().size

        # One-row remote query latency, autocommit (each query a transaction, reading the head) and in a transaction.
        local.close()
        baseline = duckdb.connect()
        baseline.execute("CREATE TABLE one AS SELECT 1 AS x")
        server.execute("CREATE TABLE one AS SELECT 1 AS x", database="tpch")
        probe = connect_cloud(server.endpoint, server.token)
        calls = 50 if QUICK else 300

        def latencies(con, query):
            con.execute(query).fetchall()
            values = []
            for _ in range(calls):
                started = time.perf_counter()
                con.execute(query).fetchall()
                values.append((time.perf_counter() - started) * 1000)
            return values

        autocommit = latencies(probe, "SELECT x FROM cloud.one")
        probe.execute("BEGIN")
        in_transaction = latencies(probe, "SELECT x FROM cloud.one")
        probe.execute("COMMIT")
        local_one = latencies(baseline, "SELECT x FROM one")
    finally:
        server.cleanup()

    lines = [
        "# DuckDB extension benchmarks",
        "",
        f"Command: `npm run bench:extension` on {datetime.date.today()}; machine: {os.cpu_count()} vCPU, "
        f"{platform.machine()}, Python duckdb {duckdb.__version__}. `openduck serve` (embedded storage) on loopback; "
        "the client is Python duckdb with the extension loaded. Baselines run in the same process on local DuckDB.",
        "",
        f"## TPC-H SF{SCALE}: 22 queries through ATTACH vs a local DuckDB file (median of {RUNS}, after a warm-up)",
        "",
        f"Data: `CALL dbgen(sf={SCALE})` (official tpch extension) into a {size / 1e6:.0f} MB file in {generated:.1f} s; "
        f"`openduck db create tpch --from` it in {imported:.1f} s. Every query runs remotely as a whole (OPENDUCK_QUERY) "
        "and its answer equals the local one.",
        "",
        "| query | local ms | remote ms | ratio |",
        "|---|---|---|---|",
    ]
    for number, local_time, remote_time in rows:
        lines.append(f"| Q{number} | {local_time * 1000:.1f} | {remote_time * 1000:.1f} | {remote_time / local_time:.2f}× |")
    lines += [
        f"| **total** | **{local_total * 1000:.0f}** | **{remote_total * 1000:.0f}** | "
        f"**{remote_total / local_total:.2f}×** |",
        "",
        "Aim: ≤ 1.25× local in total.",
        "",
        "## Bytes transferred for a selective hybrid join",
        "",
        "`SELECT l_orderkey, l_partkey, l_quantity, l_extendedprice FROM cloud.lineitem JOIN wanted` with 20 local "
        "order keys: the keys reach the remote SQL as an IN filter (join filter pushdown), so only matching rows travel.",
        "",
        "| | bytes |",
        "|---|---|",
        f"| server → client on the wire (counted by a proxy: HTTP headers, the Connect response, the Arrow stream) | "
        f"{wire:,} |",
        f"| the result as Arrow IPC (baseline: {result.num_rows} rows) | {true_bytes:,} |",
        f"| ratio | {wire / true_bytes:.2f}× |",
        "",
        "Aim: ≤ 1.1×.",
        "",
        f"## One-row remote query (`SELECT x FROM cloud.one`, {calls} calls)",
        "",
        "| | p50 ms | p99 ms |",
        "|---|---|---|",
        f"| autocommit: a transaction per query (1 round trip: the query reads the head) | "
        f"{percentile(autocommit, 50):.2f} | {percentile(autocommit, 99):.2f} |",
        f"| inside one transaction (1 round trip at the pinned snapshot) | {percentile(in_transaction, 50):.2f} | "
        f"{percentile(in_transaction, 99):.2f} |",
        f"| baseline: local table | {percentile(local_one, 50):.3f} | {percentile(local_one, 99):.3f} |",
        "",
        "Aim: ≤ 2 ms p50 on loopback.",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if not QUICK:
        with open(os.path.join(ROOT, "bench", "results", "extension.md"), "w") as out:
            out.write(report)


if __name__ == "__main__":
    main()
