// One @duckdb/node-api connection driven over stdin/stdout, so the Python tests can run the same statements in Node
// as in Python and the DuckDB CLI (see clients.py):
//   node node_client.mjs EXTENSION_PATH [DATABASE_PATH] [read_only]
// Each stdin line is a JSON command; each answer a JSON line on stdout:
//   {"id": 1, "op": "execute", "sql": "...", "params": [...]}  ->  {"id": 1, "rows": [[...], ...]} or {"id": 1, "error": "..."}
//   {"id": 2, "op": "progress"}                              ->  {"id": 2, "progress": 37.5}   (-1: no query running)
//   {"op": "interrupt"}                                        ->  (no answer; the running statement fails)
// Commands are handled as they arrive, so progress and interrupt reach a statement that is still running.
// Values keep what JSON would lose: {"$int": "…"} for BIGINT-like integers, {"$decimal": "…"}, {"$float": "NaN"};
// lists, arrays and structs become JSON arrays and objects; every other type arrives as DuckDB's text for it.
import { createInterface } from 'node:readline';
import {
  DuckDBArrayValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBStructValue,
} from '@duckdb/node-api';

const [extensionPath, databasePath = ':memory:', mode] = process.argv.slice(2);
const instance = await DuckDBInstance.create(databasePath, {
  allow_unsigned_extensions: 'true',
  ...(mode === 'read_only' ? { access_mode: 'READ_ONLY' } : {}),
});
const connection = await instance.connect();
await connection.run(`LOAD '${extensionPath.replaceAll("'", "''")}'`);

function plain(value) {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'bigint':
      return { $int: value.toString() };
    case 'number':
      return Number.isFinite(value) ? value : { $float: String(value) };
    case 'boolean':
    case 'string':
      return value;
  }
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return value.items.map(plain);
  if (value instanceof DuckDBStructValue) {
    return Object.fromEntries(Object.entries(value.entries).map(([key, entry]) => [key, plain(entry)]));
  }
  if (value instanceof DuckDBDecimalValue) return { $decimal: value.toString() };
  return value.toString();
}

function answer(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

async function execute({ id, sql, params }) {
  try {
    const reader = await connection.runAndReadAll(sql, params ?? undefined);
    answer({ id, rows: reader.getRows().map((row) => row.map(plain)) });
  } catch (error) {
    answer({ id, error: String(error?.message ?? error) });
  }
}

// Statements run one after another, as in one DuckDB connection; progress and interrupt do not wait for them.
let queue = Promise.resolve();
for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line);
  if (command.op === 'execute') queue = queue.then(() => execute(command));
  else if (command.op === 'interrupt') connection.interrupt();
  else if (command.op === 'progress') answer({ id: command.id, progress: connection.progress.percentage });
  else answer({ id: command.id, error: `unknown op ${command.op}` });
}
await queue;
connection.closeSync();
instance.closeSync();
