// Smoke test of the openduck extension under @duckdb/node-api:
//   node extension/test/node_smoke.mjs [path/to/openduck.duckdb_extension]
// Streams 10M rows through openduck_arrow_ipc and reports throughput, then checks that
// connection.interrupt() stops a long scan that never produces a row, then attaches a paged database
// (odpages:) read-only and writable. Exits non-zero on failure.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const here = dirname(fileURLToPath(import.meta.url));
const extensionPath = resolve(
  process.argv[2] ?? process.env.OPENDUCK_EXTENSION ?? join(here, '..', 'build', 'release', 'openduck.duckdb_extension'),
);
const ROWS = Number(process.env.OPENDUCK_SMOKE_ROWS ?? 10_000_000);
const INTERRUPT_LIMIT_MS = 1000;
const CONTINUATION = 0xffffffff;

function sqlString(text) {
  return `'${text.replaceAll("'", "''")}'`;
}

async function openConnection() {
  const instance = await DuckDBInstance.create(':memory:', { allow_unsigned_extensions: 'true' });
  const connection = await instance.connect();
  await connection.run(`LOAD ${sqlString(extensionPath)}`);
  // A streamed result is handed out once DuckDB's per-connection buffer is full (or the query ended). The schema
  // and progress rows are tiny, so without this they would only arrive in bulk, late. It also avoids one copy of
  // every batch into that buffer.
  await connection.run(`SET streaming_buffer_size = '1B'`);
  return connection;
}

async function throughput(connection) {
  const inner = `SELECT i, i * 1.5, 'row-' || i FROM range(${ROWS}) t(i)`;
  const started = performance.now();
  const result = await connection.stream(
    `SELECT kind, row_count, info, ipc FROM openduck_arrow_ipc(${sqlString(inner)}, batch_rows := 65536)`,
  );
  const kinds = [];
  let batchRows = 0;
  let ipcBytes = 0;
  let endRows = null;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const kindColumn = chunk.getColumnVector(0);
    const rowCountColumn = chunk.getColumnVector(1);
    const ipcColumn = chunk.getColumnVector(3);
    for (let i = 0; i < chunk.rowCount; i++) {
      const kind = kindColumn.getItem(i);
      kinds.push(kind);
      const blob = ipcColumn.getItem(i);
      if (blob) {
        const bytes = blob.bytes;
        ipcBytes += bytes.length;
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        assert.equal(view.getUint32(0, true), CONTINUATION, `${kind} row must start with an IPC message`);
      }
      if (kind === 'batch') batchRows += Number(rowCountColumn.getItem(i));
      if (kind === 'end') endRows = Number(rowCountColumn.getItem(i));
    }
  }
  const seconds = (performance.now() - started) / 1000;
  assert.equal(kinds[0], 'schema');
  assert.equal(kinds.at(-1), 'end');
  assert.equal(batchRows, ROWS);
  assert.equal(endRows, ROWS);
  const batches = kinds.filter((kind) => kind === 'batch').length;
  console.log(
    `throughput: ${ROWS} rows in ${seconds.toFixed(2)} s = ${Math.round(ROWS / seconds).toLocaleString('en-US')} rows/s, ` +
      `${(ipcBytes / 1e6).toFixed(1)} MB of IPC = ${(ipcBytes / 1e6 / seconds).toFixed(1)} MB/s, ${batches} batches`,
  );
}

async function interruptLatency(connection) {
  const inner = 'SELECT count(*) FROM range(10000000000) WHERE range % 7 = 100';
  const started = performance.now();
  let interruptedAt = 0;
  const timer = setTimeout(() => {
    interruptedAt = performance.now();
    connection.interrupt();
  }, 1500);
  const kinds = [];
  let error = null;
  try {
    const result = await connection.stream(`SELECT kind, row_count FROM openduck_arrow_ipc(${sqlString(inner)})`);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      kinds.push(chunk.getColumnVector(0).getItem(0));
    }
  } catch (caught) {
    error = caught;
  } finally {
    clearTimeout(timer);
  }
  const stoppedAt = performance.now();
  assert.ok(interruptedAt > 0, `the query ended after ${(stoppedAt - started).toFixed(0)} ms, before it was interrupted`);
  // Interrupted while node-api fetches a streamed chunk, the C API reports the end of the result rather than the
  // error; the missing 'end' row is what tells a truncated stream from a complete one.
  if (error) {
    assert.match(String(error.message), /INTERRUPT/i);
  } else {
    assert.ok(!kinds.includes('end'), 'an interrupted stream must not carry an end row');
  }
  assert.ok(kinds.includes('progress'), 'progress rows arrive while the scan runs');
  const latency = stoppedAt - interruptedAt;
  console.log(
    `interrupt: stopped ${latency.toFixed(0)} ms after connection.interrupt() ` +
      `(${error ? 'error: ' + error.message : 'stream ended without an end row'}; ${kinds.length} rows before)`,
  );
  assert.ok(latency < INTERRUPT_LIMIT_MS, `interrupt took ${latency.toFixed(0)} ms (limit ${INTERRUPT_LIMIT_MS} ms)`);

  // The connection stays usable afterwards.
  const reader = await connection.runAndReadAll(`SELECT kind FROM openduck_arrow_ipc('SELECT 42')`);
  assert.deepEqual(
    reader.getRows().map((row) => row[0]),
    ['schema', 'batch', 'end'],
  );
}

// Page layout of packages/storage/FORMAT.md §1 and the page table / dirty list formats of extension/README.md.
const HEADER_PAGE = 12288;
const BLOCK_PAGE = 262144;

function pageRanges(length) {
  const ranges = [];
  for (let start = 0; start < length; start = ranges.length === 1 ? HEADER_PAGE : start + BLOCK_PAGE) {
    const end = Math.min(length, ranges.length === 0 ? HEADER_PAGE : start + BLOCK_PAGE);
    ranges.push([start, end]);
    if (end === length) break;
  }
  return ranges;
}

// Writes <path>.pages and two layer files holding the pages of `data` in reverse order.
function writePaged(data, path) {
  const ranges = pageRanges(data.length);
  const layers = [[], []];
  const sizes = [0, 0];
  const entries = new Array(ranges.length);
  ranges.map((range, page) => [range, page]).reverse().forEach(([[start, end], page], position) => {
    const layer = position % 2;
    entries[page] = [layer, sizes[layer], end - start];
    layers[layer].push(data.subarray(start, end));
    sizes[layer] += end - start;
  });
  const sources = layers.map((parts, layer) => {
    const name = `${path}.layer${layer}`;
    writeFileSync(name, Buffer.concat(parts));
    return Buffer.from(name);
  });
  const header = Buffer.alloc(20);
  header.writeUInt32LE(0x5450444f, 0);
  header.writeUInt32LE(1, 4);
  header.writeBigUInt64LE(BigInt(data.length), 8);
  header.writeUInt32LE(sources.length, 16);
  const parts = [header];
  for (const source of sources) {
    const size = Buffer.alloc(4);
    size.writeUInt32LE(source.length);
    parts.push(size, source);
  }
  const count = Buffer.alloc(4);
  count.writeUInt32LE(entries.length);
  parts.push(count);
  for (const [source, offset, length] of entries) {
    const entry = Buffer.alloc(16);
    entry.writeUInt32LE(source, 0);
    entry.writeBigUInt64LE(BigInt(offset), 4);
    entry.writeUInt32LE(length, 12);
    parts.push(entry);
  }
  writeFileSync(`${path}.pages`, Buffer.concat(parts));
}

async function pagedDatabase() {
  const dir = mkdtempSync(join(tmpdir(), 'openduck-paged-'));
  try {
    const source = join(dir, 'source.duckdb');
    const creator = await DuckDBInstance.create(source);
    const creating = await creator.connect();
    await creating.run('CREATE TABLE t AS SELECT range AS i, md5(range::VARCHAR) AS s FROM range(300000)');
    const summary = 'SELECT count(*)::INTEGER, sum(i)::BIGINT, max(s) FROM ';
    const expected = (await creating.runAndReadAll(summary + 't')).getRows();
    creating.closeSync();
    creator.closeSync();
    const path = join(dir, 'db.duckdb');
    writePaged(readFileSync(source), path);

    const instance = await DuckDBInstance.create(':memory:', { allow_unsigned_extensions: 'true' });
    const connection = await instance.connect();
    await connection.run(`LOAD ${sqlString(extensionPath)}`);
    await connection.run(`ATTACH ${sqlString(`odpages:${path}`)} AS reader (READ_ONLY)`);
    const read = await connection.runAndReadAll(summary + 'reader.t');
    assert.deepEqual(read.getRows(), expected);
    await connection.run('DETACH reader');

    await connection.run(`ATTACH ${sqlString(`odpages:${path}`)} AS writer`);
    await connection.run("INSERT INTO writer.t VALUES (-1, 'from node')");
    await connection.run('CHECKPOINT writer');
    await connection.run('DETACH writer');
    const dirty = readFileSync(`${path}.dirty`);
    assert.equal(dirty.readUInt32LE(0), 0x5044444f);
    const pages = dirty.readUInt32LE(16);
    assert.ok(pages > 0 && dirty.length === 20 + 4 * pages, 'the dirty list names the changed pages');
    assert.ok(existsSync(`${path}.overlay`) && !existsSync(path) && !existsSync(`${path}.wal`));

    await connection.run(`ATTACH ${sqlString(`odpages:${path}`)} AS again (READ_ONLY)`);
    const again = await connection.runAndReadAll('SELECT count(*)::INTEGER FROM again.t WHERE i = -1');
    assert.deepEqual(again.getRows(), [[1]]);
    connection.closeSync();
    instance.closeSync();
    const total = pageRanges(readFileSync(source).length).length;
    console.log(`paged: read ${total} pages from 2 layers; a 1-row insert dirtied ${pages}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!existsSync(extensionPath)) {
  console.error(`node variant not found at ${extensionPath}; run extension/build.sh first`);
  process.exit(1);
}
const connection = await openConnection();
await throughput(connection);
await interruptLatency(connection);
await pagedDatabase();
console.log('node smoke: 3 passed, 0 failed');
