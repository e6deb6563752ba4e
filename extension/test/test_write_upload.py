"""A large upload through ATTACH: 10M rows from a local Parquet file into a cloud table, staged in parts no request
of which exceeds what a function URL accepts, with the client's and the server's memory bounded."""

import os
import subprocess
import sys
import tempfile

import duckdb

from conftest import EXTENSION_PATH, sql_string
from openduck_server import LoopbackProxy, OpenDuckServer

ROWS = 10_000_000
# Lambda function URLs accept at most 6 MB per request.
REQUEST_LIMIT = 6_000_000
# DuckDB's own caches count too (its external file cache keeps Parquet bytes it read): typically ~120 MiB.
CLIENT_MEMORY_LIMIT_MIB = 1024
SERVER_MEMORY_LIMIT_MIB = 1200

CLIENT = """
import duckdb, resource, sys
extension, attach, parquet = sys.argv[1:]
con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
con.execute(f"LOAD '{extension}'")
con.execute(f"ATTACH '{attach}' AS cloud")
print(con.execute(f"CREATE TABLE cloud.uploaded AS SELECT * FROM read_parquet('{parquet}')").fetchall()[0][0])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""

CHECKSUMS = "SELECT count(*), sum(id), sum(hash(name)), sum(amount), min(ts), max(ts) FROM {}"


def test_ten_million_rows_from_parquet():
    parquet = os.path.join(tempfile.mkdtemp(prefix="openduck-upload-"), "rows.parquet")
    duckdb.connect().execute(
        f"COPY (SELECT range AS id, 'user_' || (range % 100000) AS name, range * 0.5 AS amount, "
        f"TIMESTAMP '2024-01-01' + INTERVAL (range) SECOND AS ts FROM range({ROWS})) TO {sql_string(parquet)} "
        "(FORMAT parquet)")
    server = OpenDuckServer("uploads", "upload-test-token").start()
    try:
        proxy = LoopbackProxy(server.port)
        attach = server.attach_path(endpoint=f"http://127.0.0.1:{proxy.port}")
        result = subprocess.run([sys.executable, "-c", CLIENT, EXTENSION_PATH, attach, parquet],
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
        inserted, client_mib = (int(value) for value in result.stdout.split()[-2:])
        with open(f"/proc/{server.process.pid}/status") as status:
            server_mib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) // 1024

        assert inserted == ROWS
        con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
        con.execute(f"LOAD {sql_string(EXTENSION_PATH)}")
        con.execute(f"ATTACH {sql_string(server.attach_path())} AS cloud")
        remote = con.execute(CHECKSUMS.format("cloud.uploaded")).fetchall()
        assert remote == con.execute(CHECKSUMS.format(f"read_parquet({sql_string(parquet)})")).fetchall()
        # Parts decode in parallel on the server, yet the rows keep the file's order, as a local CTAS keeps it.
        middle = con.execute("SELECT min(id), max(id) FROM (SELECT id FROM cloud.uploaded LIMIT 1000000 OFFSET 5000000)")
        assert middle.fetchall() == [(5_000_000, 5_999_999)]
        # Staged parts of a few MB, then one write: nothing near the limit.
        assert 0 < proxy.largest_request <= REQUEST_LIMIT
        assert proxy.requests > 10
        print(f"\n10M-row upload: {proxy.requests} requests, largest {proxy.largest_request} bytes, "
              f"client peak {client_mib} MiB, server peak {server_mib} MiB")
        assert client_mib < CLIENT_MEMORY_LIMIT_MIB
        assert server_mib < SERVER_MEMORY_LIMIT_MIB
    finally:
        server.cleanup()
