"""The `odpages:` file system (see extension/README.md, "Paged database files").

Real DuckDB files are split into pages (packages/storage/FORMAT.md §1), the pages scattered over layer files in
shuffled order at odd offsets, and attached through page tables. Results are compared with the original file, and
after writes with the same statements run on a plain copy.
"""

import hashlib
import os
import random
import shutil
import struct
import threading

import duckdb
import pytest

from conftest import new_connection, sql_string

HEADER_PAGE = 12288
BLOCK_PAGE = 262144
TABLE_MAGIC = 0x5450444F
DIRTY_MAGIC = 0x5044444F


# --- the formats, written independently of the extension ---


def page_count(length):
    return 0 if length == 0 else 1 + (max(0, length - HEADER_PAGE) + BLOCK_PAGE - 1) // BLOCK_PAGE


def page_range(page, length):
    start = 0 if page == 0 else HEADER_PAGE + (page - 1) * BLOCK_PAGE
    end = HEADER_PAGE if page == 0 else start + BLOCK_PAGE
    return start, min(end, length)


def split_pages(data):
    return [data[slice(*page_range(k, len(data)))] for k in range(page_count(len(data)))]


def page_table_bytes(length, sources, entries):
    out = struct.pack("<IIQI", TABLE_MAGIC, 1, length, len(sources))
    for source in sources:
        encoded = source.encode()
        out += struct.pack("<I", len(encoded)) + encoded
    out += struct.pack("<I", len(entries))
    for source, offset, size in entries:
        out += struct.pack("<IQI", source, offset, size)
    return out


def write_paged(data, path, layers=3, seed=0):
    """Writes `path`.pages and `path`.layer<n>: the pages of `data`, shuffled over `layers` files with junk around
    them. Returns the layer paths."""
    rng = random.Random(seed)
    pages = split_pages(data)
    order = list(range(len(pages)))
    rng.shuffle(order)
    contents = [bytearray(os.urandom(rng.randint(1, 5000))) for _ in range(layers)]
    entries = [None] * len(pages)
    for position, page in enumerate(order):
        layer = position % layers
        entries[page] = (layer, len(contents[layer]), len(pages[page]))
        contents[layer] += pages[page] + os.urandom(rng.randint(0, 300))
    names = []
    for layer, content in enumerate(contents):
        name = f"{path}.layer{layer}"
        with open(name, "wb") as f:
            f.write(content)
        names.append(name)
    # One source by relative path (resolved against the page table's directory), the others absolute.
    sources = [os.path.basename(names[0])] + names[1:]
    with open(path + ".pages", "wb") as f:
        f.write(page_table_bytes(len(data), sources, entries))
    return names


def read_dirty(path):
    with open(path + ".dirty", "rb") as f:
        data = f.read()
    magic, version, length, count = struct.unpack_from("<IIQI", data)
    assert (magic, version) == (DIRTY_MAGIC, 1)
    assert len(data) == 20 + 4 * count
    pages = list(struct.unpack_from(f"<{count}I", data, 20))
    assert pages == sorted(set(pages)) and all(p < page_count(length) for p in pages)
    return length, pages


def materialize(path, original):
    """What the worker does after a write: the original pages with the dirty ones taken from the overlay."""
    length, dirty = read_dirty(path)
    with open(path + ".overlay", "rb") as f:
        overlay = f.read()
    dirty = set(dirty)
    original_pages = split_pages(original)
    out = bytearray()
    for page in range(page_count(length)):
        start, end = page_range(page, length)
        if page in dirty:
            chunk = overlay[start:end]
            out += chunk + bytes(end - start - len(chunk))
        else:
            assert len(original_pages[page]) == end - start
            out += original_pages[page]
    assert len(out) == length
    return bytes(out)


def digests(paths):
    result = {}
    for path in paths:
        with open(path, "rb") as f:
            result[path] = hashlib.sha256(f.read()).hexdigest()
    return result


# --- fixtures ---

TABLES = ["numbers", "texts", "nested", "small"]


def create_tables(con):
    con.execute(
        """
        CREATE TABLE numbers AS
        SELECT range AS i, range * 0.5 AS d, md5(range::VARCHAR) AS s FROM range(250000);
        CREATE TABLE texts AS
        SELECT range AS id, repeat(chr(65 + (range % 26)::INT), (range % 40)::INT) || md5((range * 7)::VARCHAR) AS t,
               CASE WHEN range % 5 = 0 THEN NULL ELSE range % 1000 END AS maybe
        FROM range(150000);
        CREATE TABLE nested AS
        SELECT range AS id, [range, range + 1, range * 2] AS l,
               {'a': range % 7, 'b': 'x' || (range % 13)} AS st, list_transform(range(range % 5), x -> x::VARCHAR) AS ls
        FROM range(120000);
        CREATE TABLE small AS SELECT range AS k, 'v' || range AS v FROM range(10);
        """
    )


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """A multi-MB DuckDB file and its bytes."""
    path = str(tmp_path_factory.mktemp("paged_original") / "original.duckdb")
    con = duckdb.connect(path)
    create_tables(con)
    con.close()
    with open(path, "rb") as f:
        data = f.read()
    assert len(data) > 3_000_000
    return path, data


@pytest.fixture
def paged(original, tmp_path):
    """A fresh paged copy of the original: returns (path without prefix, layer paths)."""
    path = str(tmp_path / "db.duckdb")
    layers = write_paged(original[1], path)
    return path, layers


def attach(con, path, name="db", read_only=False):
    options = " (READ_ONLY)" if read_only else ""
    con.execute(f"ATTACH {sql_string('odpages:' + path)} AS {name}{options}")


def assert_same_tables(con, left, right):
    def tables(database):
        query = f"SELECT table_name FROM duckdb_tables() WHERE database_name = '{database}' ORDER BY 1"
        return [row[0] for row in con.execute(query).fetchall()]

    assert tables(left) == tables(right)
    for table in tables(left):
        count = f"SELECT (SELECT count(*) FROM {left}.{table}), (SELECT count(*) FROM {right}.{table})"
        counts = con.execute(count).fetchone()
        assert counts[0] == counts[1], table
        for a, b in ((left, right), (right, left)):
            diff = con.execute(f"SELECT count(*) FROM (FROM {a}.{table} EXCEPT ALL FROM {b}.{table})").fetchone()[0]
            assert diff == 0, f"{table}: {diff} rows of {a} missing from {b}"


# --- reading ---


def test_read_only_attach_matches_original(original, paged):
    path, layers = paged
    before = digests(layers + [path + ".pages"])
    con = new_connection(threads=4)
    attach(con, path, read_only=True)
    con.execute(f"ATTACH {sql_string(original[0])} AS orig (READ_ONLY)")
    assert_same_tables(con, "db", "orig")
    assert con.execute("SELECT count(*), sum(i), count(DISTINCT s) FROM db.numbers").fetchone() == (
        250000,
        sum(range(250000)),
        250000,
    )
    # The file system hands out the file byte for byte, also through a plain file reader.
    blob = con.execute(f"SELECT content FROM read_blob({sql_string('odpages:' + path)})").fetchone()[0]
    assert blob == original[1]
    con.close()
    assert digests(layers + [path + ".pages"]) == before
    assert not os.path.exists(path + ".overlay") and not os.path.exists(path + ".dirty")
    assert not os.path.exists(path) and not os.path.exists(path + ".wal")


def test_parallel_scans(paged):
    path, _ = paged
    con = new_connection(threads=4)
    attach(con, path, read_only=True)
    query = (
        "SELECT sum(hash(s)) + (SELECT sum(hash(t)) FROM db.texts) + (SELECT sum(len(l)) FROM db.nested) "
        "FROM db.numbers"
    )
    reference = con.execute(query).fetchone()
    results, errors = [], []

    def scan():
        try:
            cursor = con.cursor()
            for _ in range(3):
                results.append(cursor.execute(query).fetchone())
            cursor.close()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert results == [reference] * 12
    con.close()


def test_two_readers_share_a_file_but_a_writer_is_exclusive(paged):
    path, _ = paged
    con = new_connection()
    attach(con, path, "r1", read_only=True)
    attach(con, path, "r2", read_only=True)
    assert con.execute("SELECT (SELECT count(*) FROM r1.small), (SELECT count(*) FROM r2.small)").fetchone() == (10, 10)
    with pytest.raises(duckdb.IOException, match="already open for reading"):
        attach(con, path, "w")
    con.execute("DETACH r1")
    con.execute("DETACH r2")
    attach(con, path, "w")
    with pytest.raises(duckdb.IOException, match="already open for writing"):
        attach(con, path, "r3", read_only=True)
    con.close()


# --- writing ---

WRITES = [
    "INSERT INTO {db}.numbers SELECT range + 1000000, range * 0.25, 'new' || range FROM range(200000)",
    "UPDATE {db}.texts SET t = upper(t), maybe = -1 WHERE id % 3 = 0",
    "DELETE FROM {db}.nested WHERE id % 4 = 1",
    "CREATE TABLE {db}.created AS "
    "SELECT range AS x, [range, -range] AS pair, md5(range::VARCHAR) AS h FROM range(100000)",
    "DROP TABLE {db}.small",
    "UPDATE {db}.numbers SET s = 'changed' WHERE i BETWEEN 1000 AND 1100",
]


def run_writes(con, db):
    for statement in WRITES:
        con.execute(statement.format(db=db))
    con.execute(f"CHECKPOINT {db}")


def test_writes_match_a_plain_copy(original, paged, tmp_path):
    path, layers = paged
    before = digests(layers + [path + ".pages"])
    plain = str(tmp_path / "plain.duckdb")
    shutil.copyfile(original[0], plain)

    con = new_connection(threads=4)
    attach(con, path)
    con.execute(f"ATTACH {sql_string(plain)} AS plain")
    run_writes(con, "db")
    run_writes(con, "plain")
    assert_same_tables(con, "db", "plain")
    con.execute("DETACH db")
    con.execute("DETACH plain")
    con.close()

    assert digests(layers + [path + ".pages"]) == before, "layer files and the page table are never written"
    assert not os.path.exists(path), "the paged file never becomes a local file"
    assert not os.path.exists(path + ".wal"), "the WAL is removed by the checkpoint"
    length, dirty = read_dirty(path)
    assert length > len(original[1]), "the inserts grew the file"
    assert set(range(page_count(len(original[1])), page_count(length))) <= set(dirty)

    rebuilt = str(tmp_path / "rebuilt.duckdb")
    with open(rebuilt, "wb") as f:
        f.write(materialize(path, original[1]))
    check = duckdb.connect()
    check.execute(f"ATTACH {sql_string(rebuilt)} AS rebuilt (READ_ONLY)")
    check.execute(f"ATTACH {sql_string(plain)} AS plain (READ_ONLY)")
    assert_same_tables(check, "rebuilt", "plain")
    check.close()


def test_small_insert_dirties_few_pages(original, paged):
    path, _ = paged
    con = new_connection()
    attach(con, path)
    con.execute("INSERT INTO db.numbers VALUES (-1, -1.0, 'one row')")
    con.execute("CHECKPOINT db")
    con.execute("DETACH db")
    con.close()
    length, dirty = read_dirty(path)
    total = page_count(len(original[1]))
    # Header page, the new row group tail, metadata and free list; measured 3-4 of ~30 (see README).
    assert len(dirty) <= 6, f"{len(dirty)} of {total} pages dirty: {dirty}"
    assert 0 in dirty
    con = duckdb.connect()
    rebuilt = materialize(path, original[1])
    rebuilt_path = path + ".rebuilt"
    with open(rebuilt_path, "wb") as f:
        f.write(rebuilt)
    con.execute(f"ATTACH {sql_string(rebuilt_path)} AS r (READ_ONLY)")
    assert con.execute("SELECT count(*), min(i) FROM r.numbers").fetchone() == (250001, -1)
    con.close()


def test_reads_after_writes_see_the_overlay(original, paged):
    path, _ = paged
    con = new_connection()
    attach(con, path)
    con.execute("CREATE TABLE db.more AS SELECT range AS x FROM range(300000)")
    con.execute("CHECKPOINT db")
    con.execute("DETACH db")
    # A later handle sees the file as the last session left it: page table + dirty list + overlay.
    blob = con.execute(f"SELECT content FROM read_blob({sql_string('odpages:' + path)})").fetchone()[0]
    assert blob == materialize(path, original[1])
    attach(con, path, read_only=True)
    assert con.execute("SELECT count(*), sum(x) FROM db.more").fetchone() == (300000, sum(range(300000)))
    con.close()


def test_truncation_and_regrowth(original, paged, tmp_path):
    path, _ = paged
    plain = str(tmp_path / "plain.duckdb")
    shutil.copyfile(original[0], plain)
    statements = [
        "CREATE TABLE {db}.big AS SELECT range AS x, md5(range::VARCHAR) AS h FROM range(400000)",
        "CHECKPOINT {db}",
        "DROP TABLE {db}.big",
        "CHECKPOINT {db}",
        "CREATE TABLE {db}.again AS SELECT range AS y, range::VARCHAR AS z FROM range(300000)",
        "CHECKPOINT {db}",
    ]
    con = new_connection()
    attach(con, path)
    con.execute(f"ATTACH {sql_string(plain)} AS plain")
    lengths = []
    for statement in statements:
        for db in ("db", "plain"):
            con.execute(statement.format(db=db))
        if statement.startswith("CHECKPOINT"):
            # DuckDB truncates after the checkpoint's last sync; the dirty list is rewritten then too.
            lengths.append(read_dirty(path)[0])
    grown, shrunk, regrown = lengths
    assert shrunk < grown, "dropping the last table truncates the file"
    assert regrown > shrunk
    assert_same_tables(con, "db", "plain")
    con.execute("DETACH db")
    con.execute("DETACH plain")
    # (The lengths are not compared with the plain file's: DuckDB's block allocation varies from run to run.)
    with open(path + ".rebuilt", "wb") as f:
        f.write(materialize(path, original[1]))
    con.execute(f"ATTACH {sql_string(path + '.rebuilt')} AS r (READ_ONLY)")
    con.execute(f"ATTACH {sql_string(plain)} AS plain (READ_ONLY)")
    assert_same_tables(con, "r", "plain")
    con.close()


# --- the WAL ---


def test_writes_without_checkpoint_are_checkpointed_on_detach(original, paged):
    path, _ = paged
    con = new_connection()
    attach(con, path)
    con.execute("INSERT INTO db.small SELECT range + 100, 'w' FROM range(5)")
    assert os.path.exists(path + ".wal"), "the WAL is a local file next to the page table"
    con.execute("DETACH db")
    assert not os.path.exists(path + ".wal")
    attach(con, path, read_only=True)
    assert con.execute("SELECT count(*) FROM db.small").fetchone() == (15,)
    con.close()


def test_reopen_with_an_existing_wal(original, paged):
    """Without a checkpoint on shutdown the WAL stays behind (as after a crash); the next attach replays it on top of
    what the previous session synced (page table + dirty list + overlay)."""
    path, _ = paged
    con = new_connection()
    con.execute("PRAGMA disable_checkpoint_on_shutdown")
    attach(con, path)
    con.execute("INSERT INTO db.small VALUES (100, 'from the wal')")
    # Large enough to be written to blocks of the database file at commit, which the WAL then refers to.
    con.execute("CREATE TABLE db.optimistic AS SELECT range AS x, md5(range::VARCHAR) AS h FROM range(300000)")
    con.execute("DETACH db")
    con.close()
    assert os.path.getsize(path + ".wal") > 0
    assert os.path.exists(path + ".dirty"), "the commit synced the database file, which wrote the dirty list"

    con = new_connection()
    attach(con, path, read_only=True)
    assert con.execute("SELECT count(*) FROM db.small WHERE k = 100").fetchone() == (1,)
    assert con.execute("SELECT count(*), count(DISTINCT h) FROM db.optimistic").fetchone() == (300000, 300000)
    con.execute("DETACH db")
    attach(con, path)
    con.execute("CHECKPOINT db")
    con.execute("DETACH db")
    con.close()
    assert not os.path.exists(path + ".wal")
    rebuilt = materialize(path, original[1])
    with open(path + ".rebuilt", "wb") as f:
        f.write(rebuilt)
    check = duckdb.connect()
    check.execute(f"ATTACH {sql_string(path + '.rebuilt')} AS r (READ_ONLY)")
    assert check.execute("SELECT count(*) FROM r.small").fetchone() == (11,)
    assert check.execute("SELECT count(*) FROM r.optimistic").fetchone() == (300000,)
    check.close()


# --- errors ---


def test_reading_past_the_end_is_an_error(original, tmp_path):
    # A page table that stops short of the database: DuckDB reads blocks past the file's end.
    path = str(tmp_path / "short.duckdb")
    data = original[1]
    write_paged(data[: len(data) // 2], path)
    con = new_connection()
    with pytest.raises(duckdb.Error) as error:
        attach(con, path, read_only=True)
        for table in TABLES:
            con.execute(f"SELECT * FROM db.{table}").fetchall()
    assert "Could not read enough bytes" in str(error.value) or "bytes long" in str(error.value)
    assert con.execute("SELECT 42").fetchone() == (42,)
    con.close()


def test_missing_or_short_source(original, paged):
    path, layers = paged
    os.rename(layers[1], layers[1] + ".moved")
    con = new_connection()
    with pytest.raises(duckdb.IOException, match=r'Could not open file ".*layer1": No such file'):
        attach(con, path, read_only=True)
    os.rename(layers[1] + ".moved", layers[1])
    with open(layers[2], "r+b") as f:
        f.truncate(os.path.getsize(layers[2]) // 2)
    with pytest.raises(duckdb.IOException, match=r"page \d+ lies at bytes .* which has only"):
        attach(con, path, read_only=True)
    assert con.execute("SELECT 42").fetchone() == (42,)
    con.close()


def corruptions(table):
    length, source_count = struct.unpack_from("<QI", table, 8)
    yield "wrong magic", b"XXXX" + table[4:], "not an OpenDuck page table"
    yield "wrong version", table[:4] + struct.pack("<I", 2) + table[8:], "version 2"
    yield "truncated", table[: len(table) - 7], "ends inside"
    yield "trailing bytes", table + b"\0", "unexpected bytes"
    yield "empty", b"", "ends inside the magic number"
    yield "wrong length", table[:8] + struct.pack("<Q", length + BLOCK_PAGE) + table[16:], "pages for a file of"
    last = len(table) - 16
    source, offset, size = struct.unpack_from("<IQI", table, last)
    yield "bad source", table[:last] + struct.pack("<IQI", 99, offset, size), "names source 99"
    yield "bad page length", table[:last] + struct.pack("<IQI", source, offset, size - 1), "bytes long, but"
    yield "huge offset", table[:last] + struct.pack("<IQI", source, 2**60, size), "which has only"


def test_corrupt_page_tables(paged):
    path, _ = paged
    with open(path + ".pages", "rb") as f:
        table = f.read()
    con = new_connection()
    for name, corrupt, message in corruptions(table):
        with open(path + ".pages", "wb") as f:
            f.write(corrupt)
        with pytest.raises(duckdb.IOException) as error:
            attach(con, path, read_only=True)
        assert message in str(error.value), f"{name}: {error.value}"
    with open(path + ".pages", "wb") as f:
        f.write(table)
    attach(con, path, read_only=True)
    assert con.execute("SELECT count(*) FROM db.small").fetchone() == (10,)
    con.close()


def test_corrupt_dirty_list(original, paged):
    path, _ = paged
    with open(path + ".dirty", "wb") as f:
        f.write(struct.pack("<IIQI", DIRTY_MAGIC, 1, 100, 1) + struct.pack("<I", 5))
    open(path + ".overlay", "wb").close()
    con = new_connection()
    with pytest.raises(duckdb.IOException, match="corrupt: page indexes must ascend"):
        attach(con, path, read_only=True)
    # A valid list whose overlay is gone: its pages cannot be read, so neither kind of handle opens.
    with open(path + ".dirty", "wb") as f:
        f.write(struct.pack("<IIQI", DIRTY_MAGIC, 1, len(original[1]), 1) + struct.pack("<I", 0))
    os.remove(path + ".overlay")
    for read_only in (True, False):
        with pytest.raises(duckdb.IOException, match="the changes it lists are lost"):
            attach(con, path, read_only=read_only)
    assert not os.path.exists(path + ".overlay")
    con.close()


def test_attach_with_an_explicit_type(paged):
    path, _ = paged
    con = new_connection()
    con.execute(f"ATTACH {sql_string('odpages:' + path)} AS a (TYPE duckdb, READ_ONLY)")
    con.execute(f"ATTACH {sql_string('odpages:' + path)} AS b (TYPE odpages, READ_ONLY)")
    assert con.execute("SELECT (SELECT count(*) FROM a.numbers), (SELECT count(*) FROM b.numbers)").fetchone() == (
        250000,
        250000,
    )
    paths = con.execute("SELECT DISTINCT path FROM duckdb_databases() WHERE database_name IN ('a', 'b')").fetchall()
    assert paths == [("odpages:" + path,)]
    con.close()


def test_corrupt_page_bytes_fail_the_checksum(original, paged):
    path, layers = paged
    with open(path + ".pages", "rb") as f:
        table = f.read()
    # Flip a byte in the middle of the last page's bytes in its layer.
    last = len(table) - 16
    source, offset, size = struct.unpack_from("<IQI", table, last)
    with open(layers[source], "r+b") as f:
        f.seek(offset + size // 2)
        byte = f.read(1)
        f.seek(offset + size // 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    con = new_connection()
    with pytest.raises(duckdb.Error):
        attach(con, path, read_only=True)
        for table_name in TABLES:
            con.execute(f"SELECT * FROM db.{table_name}").fetchall()
    assert con.execute("SELECT 42").fetchone() == (42,)
    con.close()


# --- other paths ---


def test_other_paths_pass_through_to_local_files(tmp_path):
    directory = str(tmp_path)
    con = new_connection()
    # Without a page table, odpages:<p> is the local file <p>: here a new plain database and its WAL.
    plain = os.path.join(directory, "plain.duckdb")
    con.execute(f"ATTACH {sql_string('odpages:' + plain)} AS p")
    con.execute("CREATE TABLE p.t AS SELECT 1 AS x")
    assert os.path.exists(plain + ".wal")
    con.execute("DETACH p")
    assert os.path.exists(plain) and not os.path.exists(plain + ".wal")
    reopened = duckdb.connect(plain, read_only=True)
    assert reopened.execute("SELECT x FROM t").fetchall() == [(1,)]
    reopened.close()

    csv = os.path.join(directory, "data.csv")
    con.execute(f"COPY (SELECT range AS a FROM range(5)) TO {sql_string('odpages:' + csv)} (HEADER)")
    assert open(csv).read().split() == ["a", "0", "1", "2", "3", "4"]
    assert con.execute(f"SELECT sum(a) FROM read_csv({sql_string('odpages:' + csv)})").fetchone() == (10,)
    globbed = con.execute(f"SELECT file FROM glob({sql_string('odpages:' + directory + '/*.csv')})").fetchall()
    assert globbed == [("odpages:" + csv,)]
    nothing = sql_string("odpages:" + directory + "/nothing*")
    assert con.execute(f"SELECT count(*) FROM glob({nothing})").fetchone() == (0,)
    with pytest.raises(duckdb.IOException, match="No files found"):
        con.execute(f"SELECT * FROM read_csv({sql_string('odpages:' + directory + '/missing.csv')})")
    con.close()


def test_paged_files_are_found_but_not_replaced(paged):
    path, _ = paged
    con = new_connection()
    assert con.execute(f"SELECT file FROM glob({sql_string('odpages:' + path)})").fetchall() == [("odpages:" + path,)]
    with pytest.raises(duckdb.PermissionException, match="paged OpenDuck database file"):
        con.execute(f"COPY (SELECT 1) TO {sql_string('odpages:' + path)} (FORMAT csv, USE_TMP_FILE false)")
    with pytest.raises(duckdb.PermissionException, match="paged OpenDuck database file"):
        con.execute(f"COPY (SELECT 1) TO {sql_string('odpages:' + path)} (FORMAT csv)")
    con.close()


# --- sandbox ---


def test_sandbox(original, tmp_path):
    reader_path = str(tmp_path / "reader.duckdb")
    writer_path = str(tmp_path / "writer.duckdb")
    write_paged(original[1], reader_path, seed=1)
    write_paged(original[1], writer_path, seed=2)
    con = new_connection()
    attach(con, reader_path, "reader", read_only=True)
    attach(con, writer_path, "writer")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")

    # DuckDB allows the attached databases' paths and their WALs, with the prefix (and a trailing slash).
    allowed = con.execute("SELECT value FROM duckdb_settings() WHERE name = 'allowed_paths'").fetchone()[0]
    assert f"odpages:{writer_path}.wal/" in allowed and f"odpages:{reader_path}/" in allowed

    assert con.execute("SELECT count(*) FROM reader.numbers").fetchone() == (250000,)
    con.execute("INSERT INTO writer.numbers SELECT range, 0, 'x' FROM range(100000)")
    con.execute("UPDATE writer.texts SET maybe = 0 WHERE id < 10")
    con.execute("CREATE TABLE writer.created AS SELECT range AS x FROM range(1000)")
    con.execute("CHECKPOINT writer")
    con.execute("INSERT INTO writer.created VALUES (-1)")
    assert os.path.exists(writer_path + ".wal"), "the WAL was created after the lock"
    assert con.execute("SELECT count(*) FROM writer.numbers").fetchone() == (350000,)

    refused = [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_csv('odpages:/etc/passwd')",
        f"SELECT * FROM read_blob({sql_string('odpages:' + writer_path + '.pages')})",
        f"SELECT * FROM read_blob({sql_string('odpages:' + writer_path + '.overlay')})",
        f"SELECT * FROM read_blob({sql_string(writer_path + '.layer0')})",
        f"SELECT * FROM glob({sql_string('odpages:' + str(tmp_path) + '/*')})",
        f"COPY (SELECT 1) TO {sql_string('odpages:' + str(tmp_path) + '/out.csv')}",
        f"ATTACH {sql_string('odpages:' + str(tmp_path) + '/other.duckdb')} AS other",
        "SET enable_external_access = true",
    ]
    for query in refused:
        with pytest.raises((duckdb.PermissionException, duckdb.InvalidInputException)):
            con.execute(query)
    # The database file and its WAL are allowed paths (as for plain DuckDB), but neither can be overwritten.
    for target in (writer_path, writer_path + ".wal"):
        with pytest.raises(duckdb.PermissionException, match="paged OpenDuck database"):
            con.execute(f"COPY (SELECT 1) TO {sql_string('odpages:' + target)} (FORMAT csv, USE_TMP_FILE false)")
    # Reading them is allowed, as for plain DuckDB: it is the same database.
    assert con.execute(f"SELECT count(*) FROM read_blob({sql_string('odpages:' + writer_path)})").fetchone() == (1,)

    con.execute("DETACH writer")
    con.execute("DETACH reader")
    con.close()
    assert not os.path.exists(writer_path + ".wal")
    length, _ = read_dirty(writer_path)
    check = duckdb.connect()
    rebuilt = materialize(writer_path, original[1])
    with open(writer_path + ".rebuilt", "wb") as f:
        f.write(rebuilt)
    check.execute(f"ATTACH {sql_string(writer_path + '.rebuilt')} AS r (READ_ONLY)")
    assert check.execute("SELECT count(*) FROM r.numbers").fetchone() == (350000,)
    assert check.execute("SELECT count(*), min(x) FROM r.created").fetchone() == (1001, -1)
    check.close()
