"""Benchmarks of writes through the DuckDB extension (ATTACH 'openduck:'), each against a baseline measured in the
same run.

Usage: npm run bench:write [-- --quick]   (Python duckdb 1.4.4 from .venv, `openduck serve` on loopback)
Writes bench/results/write.md (not with --quick) and prints it.

  1. Ingest: CREATE TABLE cloud.t AS SELECT * FROM read_parquet(10M rows) against the same CTAS into a local DuckDB
     file (1M rows with --quick). Also: requests, largest request, peak memory of the client and the server.
  2. Latency of a one-row INSERT through ATTACH (autocommit: one round trip, committed as a snapshot), against the
     same INSERT into a table of a local DuckDB file.
"""

import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import duckdb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "extension", "test"))
from openduck_server import LoopbackProxy, OpenDuckServer  # noqa: E402

QUICK = "--quick" in sys.argv
ROWS = 1_000_000 if QUICK else 10_000_000
RUNS = 1 if QUICK else 3
INSERTS = 50 if QUICK else 300
EXTENSION = os.path.join(ROOT, "extension", "build", "release", "openduck.duckdb_extension")
TOKEN = "bench-write-token"

# The client runs in a process of its own, so that its peak memory is its own.
CLIENT = """
import duckdb, resource, sys, time
extension, attach, parquet, table = sys.argv[1:]
con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
con.execute(f"LOAD '{extension}'")
con.execute(f"ATTACH '{attach}' AS cloud")
started = time.perf_counter()
con.execute(f"CREATE TABLE cloud.{table} AS SELECT * FROM read_parquet('{parquet}')")
elapsed = time.perf_counter() - started
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def server_peak_kib(server):
    with open(f"/proc/{server.process.pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def ingest(work, parquet):
    cloud_times, local_times = [], []
    details = {}
    # One more run than timed: the first goes through a counting proxy (in Python, so it is not timed: on a small
    # machine it takes CPU from the client and the server).
    for run in range(RUNS + 1):
        server = OpenDuckServer("bench", TOKEN).start()
        try:
            proxy = LoopbackProxy(server.port) if run == 0 else None
            attach = server.attach_path(endpoint=f"http://127.0.0.1:{proxy.port}") if proxy else server.attach_path()
            result = subprocess.run([sys.executable, "-c", CLIENT, EXTENSION, attach, parquet, "t"],
                                    capture_output=True, text=True, check=True)
            elapsed, client_kib = result.stdout.split()[-2:]
            if proxy:
                details = {"requests": proxy.requests, "largest": proxy.largest_request,
                           "client_mib": int(client_kib) / 1024, "server_mib": server_peak_kib(server) / 1024}
            else:
                cloud_times.append(float(elapsed))
            check = duckdb.connect(config={"allow_unsigned_extensions": "true"})
            check.execute(f"LOAD '{EXTENSION}'")
            check.execute(f"ATTACH '{server.attach_path()}' AS cloud")
            assert check.execute("SELECT count(*), sum(id) FROM cloud.t").fetchone() == \
                check.execute(f"SELECT count(*), sum(id) FROM read_parquet('{parquet}')").fetchone()
            check.close()
        finally:
            server.cleanup()
        if run == 0:
            continue
        path = os.path.join(work, f"local{run}.duckdb")
        con = duckdb.connect(path)
        started = time.perf_counter()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_parquet('{parquet}')")
        con.execute("CHECKPOINT")
        local_times.append(time.perf_counter() - started)
        con.close()
    return statistics.median(cloud_times), statistics.median(local_times), details


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def insert_latency(con, table):
    times = []
    for i in range(INSERTS):
        started = time.perf_counter()
        con.execute(f"INSERT INTO {table} VALUES ({i}, 'row {i}')").fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 50), percentile(times, 99)


def latency(work):
    server = OpenDuckServer("bench", TOKEN).start()
    try:
        server.execute("CREATE TABLE small (id INTEGER, note VARCHAR)")
        cloud = duckdb.connect(config={"allow_unsigned_extensions": "true"})
        cloud.execute(f"LOAD '{EXTENSION}'")
        cloud.execute(f"ATTACH '{server.attach_path()}' AS cloud")
        cloud.execute("INSERT INTO cloud.small VALUES (-1, 'warm-up')")
        remote = insert_latency(cloud, "cloud.small")
        assert cloud.execute("SELECT count(*) FROM cloud.small").fetchone() == (INSERTS + 1,)
        cloud.close()
    finally:
        server.cleanup()
    local = duckdb.connect(os.path.join(work, "latency.duckdb"))
    local.execute("CREATE TABLE small (id INTEGER, note VARCHAR)")
    return remote, insert_latency(local, "small")


def main():
    work = tempfile.mkdtemp(prefix="openduck-bench-write-")
    parquet = os.path.join(work, "rows.parquet")
    duckdb.connect().execute(
        f"COPY (SELECT range AS id, 'user_' || (range % 100000) AS name, range * 0.5 AS amount, "
        f"TIMESTAMP '2024-01-01' + INTERVAL (range) SECOND AS ts FROM range({ROWS})) TO '{parquet}' (FORMAT parquet)")
    cloud_s, local_s, details = ingest(work, parquet)
    (remote_p50, remote_p99), (local_p50, local_p99) = latency(work)
    size_mib = os.path.getsize(parquet) / 2**20
    report = f"""# Writes through the extension

Command: `npm run bench:write` ({datetime.date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} vCPU,
Python duckdb {duckdb.__version__} as the client, `openduck serve` on loopback with its embedded defaults).
Baselines are measured in the same run, on the same machine.

## 1. Ingest: CREATE TABLE … AS SELECT * FROM read_parquet({ROWS:,} rows, {size_mib:.0f} MiB)

Median of {RUNS} runs, each on a fresh server.

| | seconds | rows/s |
|---|---:|---:|
| through ATTACH (`CREATE TABLE cloud.t AS …`) | {cloud_s:.2f} | {ROWS / cloud_s:,.0f} |
| local DuckDB file (CTAS + CHECKPOINT) | {local_s:.2f} | {ROWS / local_s:,.0f} |
| **ratio** | **{cloud_s / local_s:.2f}×** | (aim ≤ 2×) |

In a run through a counting proxy, the rows travelled in {details['requests']} requests (staged parts, then one write); the largest request body was
{details['largest'] / 2**20:.2f} MiB (limit of a function URL: 6 MB). Peak memory: client
{details['client_mib']:.0f} MiB, server {details['server_mib']:.0f} MiB (whole `openduck serve` process).

## 2. One-row INSERT latency ({INSERTS} inserts)

| | p50 ms | p99 ms |
|---|---:|---:|
| `INSERT INTO cloud.small VALUES (…)` (autocommit, a new snapshot each) | {remote_p50:.2f} | {remote_p99:.2f} |
| same INSERT into a local DuckDB file | {local_p50:.3f} | {local_p99:.3f} |
"""
    print(report)
    if not QUICK:
        with open(os.path.join(ROOT, "bench", "results", "write.md"), "w") as out:
            out.write(report)


if __name__ == "__main__":
    main()
