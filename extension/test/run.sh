#!/usr/bin/env bash
# Builds the extension (incrementally) and runs its tests: pytest (the ATTACH suites once per client: Python, Node
# and the DuckDB CLI), then the node smoke test. Installs nothing; see extension/README.md for the prerequisites.
set -euo pipefail

TEST_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
EXT_DIR="$(dirname "$TEST_DIR")"
PYTHON="${PYTHON:-python3}"

bash "$EXT_DIR/build.sh"

echo "== pytest"
"$PYTHON" -m pytest "$TEST_DIR" -q -p no:cacheprovider

echo "== node smoke test"
node "$TEST_DIR/node_smoke.mjs" "$EXT_DIR/build/release/openduck.duckdb_extension"
