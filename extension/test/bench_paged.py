"""Paged vs plain DuckDB file: ATTACH + first query, full scans, and the pages a 1-row insert dirties.

    python extension/test/bench_paged.py [work directory, default /tmp/openduck-bench] [rows, default 60000000]

Not part of the test suite. Generates `CREATE TABLE t AS SELECT range AS i, md5(range::VARCHAR) AS s FROM
range(<rows>)` once (DuckDB 1.4.4 stores 20M rows in 0.35 GB, so the default of 60M rows makes about 1 GB), pages it
into layer files the way FORMAT.md §2 packs them (ascending pages, at most 256 per layer), and runs each measurement
in a fresh process so that nothing but the OS page cache carries over.
"""

import os
import struct
import subprocess
import sys
import time

TEST_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TEST_DIR)

from conftest import EXTENSION_PATH  # noqa: E402 (also imports duckdb with RTLD_GLOBAL)
from test_paged_file_system import page_count, page_table_bytes, split_pages  # noqa: E402

import duckdb  # noqa: E402

PAGES_PER_LAYER = 256


def prepare(directory, rows):
    plain = os.path.join(directory, "plain.duckdb")
    paged = os.path.join(directory, "paged.duckdb")
    if not os.path.exists(plain):
        os.makedirs(directory, exist_ok=True)
        started = time.perf_counter()
        con = duckdb.connect(plain)
        con.execute(f"CREATE TABLE t AS SELECT range AS i, md5(range::VARCHAR) AS s FROM range({rows})")
        con.close()
        print(f"generated {plain}: {os.path.getsize(plain) / 1e9:.2f} GB in {time.perf_counter() - started:.1f} s")
    if not os.path.exists(paged + ".pages"):
        with open(plain, "rb") as f:
            data = f.read()
        pages = split_pages(data)
        sources, entries = [], []
        for first in range(0, len(pages), PAGES_PER_LAYER):
            name = os.path.join(directory, f"layer{first // PAGES_PER_LAYER:04d}")
            offset = 0
            with open(name, "wb") as f:
                for page in pages[first : first + PAGES_PER_LAYER]:
                    f.write(page)
                    entries.append((len(sources), offset, len(page)))
                    offset += len(page)
            sources.append(name)
        with open(paged + ".pages", "wb") as f:
            f.write(page_table_bytes(len(data), sources, entries))
        print(f"paged into {len(sources)} layer files, {len(pages)} pages")
    return plain, paged


MEASURE = r"""
import os, sys, time
sys.setdlopenflags(sys.getdlopenflags() | os.RTLD_GLOBAL)
import duckdb
extension, path = sys.argv[1:3]
con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
con.execute("SET enable_progress_bar = false")
con.execute(f"LOAD '{extension}'")
started = time.perf_counter()
con.execute(f"ATTACH '{path}' AS db (READ_ONLY)")
con.execute("SELECT i, s FROM db.t WHERE i = 12345678").fetchall()
attach = time.perf_counter() - started
started = time.perf_counter()
con.execute("SELECT sum(hash(s)) FROM db.t").fetchall()
scan = time.perf_counter() - started
started = time.perf_counter()
size = con.execute(f"SELECT octet_length(content) FROM read_blob('{path}')").fetchone()[0]
read = time.perf_counter() - started
print(attach, scan, read, size)
"""
WRITE = r"""
import os, sys, time
sys.setdlopenflags(sys.getdlopenflags() | os.RTLD_GLOBAL)
import duckdb
extension, path = sys.argv[1:3]
con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
con.execute(f"LOAD '{extension}'")
started = time.perf_counter()
con.execute(f"ATTACH '{path}' AS db")
con.execute("INSERT INTO db.t VALUES (-1, 'one row')")
con.execute("CHECKPOINT db")
con.execute("DETACH db")
print(time.perf_counter() - started)
"""
RUNS = 5


def measure(path):
    output = subprocess.run(
        [sys.executable, "-c", MEASURE, EXTENSION_PATH, path], check=True, stdout=subprocess.PIPE, text=True
    ).stdout.split()
    return [float(value) for value in output]


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "/tmp/openduck-bench"
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 60_000_000
    plain, paged = prepare(directory, rows)
    size = os.path.getsize(plain)
    results = {"plain": [], "paged": []}
    # Alternating, so that both see the same state of the page cache and the machine.
    for _ in range(RUNS):
        for name, path in (("plain", plain), ("paged", "odpages:" + paged)):
            results[name].append(measure(path))
    print(f"{size / 1e9:.2f} GB file, median of {RUNS} runs, each in a fresh process:")
    for name, runs in results.items():
        attach, scan, read, read_size = (sorted(column)[len(column) // 2] for column in zip(*runs))
        assert read_size == size
        print(
            f"  {name}: ATTACH + first query {attach * 1000:.1f} ms | "
            f"SELECT sum(hash(s)) FROM t {scan:.2f} s ({size / 1e6 / scan:.0f} MB/s) | "
            f"read_blob of the whole file {read:.2f} s ({size / 1e6 / read:.0f} MB/s)"
        )

    # A writer's 1-row insert: how many pages change. The overlay and dirty list are removed again afterwards.
    output = subprocess.run(
        [sys.executable, "-c", WRITE, EXTENSION_PATH, "odpages:" + paged], check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    with open(paged + ".dirty", "rb") as f:
        dirty = f.read()
    length, count = struct.unpack_from("<QI", dirty, 8)
    pages = struct.unpack_from(f"<{count}I", dirty, 20)
    print(
        f"  1-row INSERT + CHECKPOINT + DETACH on the paged file: {float(output) * 1000:.0f} ms, "
        f"{count} of {page_count(length)} pages dirty {list(pages)}"
    )
    for suffix in (".dirty", ".overlay", ".wal"):
        if os.path.exists(paged + suffix):
            os.remove(paged + suffix)


if __name__ == "__main__":
    main()
