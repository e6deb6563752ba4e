#!/usr/bin/env bash
# Builds the openduck DuckDB extension (see README.md). Incremental: a second run with no changes is a no-op.
#
# Environment:
#   DUCKDB_NODE_LIBDIR          directory holding the libduckdb.so to link against and ship beside the extension
#                               (default: node_modules/@duckdb/node-bindings-linux-x64, searched upwards)
#   OPENDUCK_EXTENSION_VERSION  version written into the metadata footer (default 0.1.0)
#   CMAKE_GENERATOR             defaults to Ninja when available
set -euo pipefail

EXT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(dirname "$EXT_DIR")"
DUCKDB_VERSION="$(tr -d '[:space:]' < "$EXT_DIR/DUCKDB_VERSION")"
EXTENSION_VERSION="${OPENDUCK_EXTENSION_VERSION:-0.1.0}"
BUILD_DIR="$EXT_DIR/build"
DEPS_DIR="$BUILD_DIR/deps"
HEADERS_DIR="$DEPS_DIR/duckdb-$DUCKDB_VERSION"

log() { printf '[openduck build] %s\n' "$*" >&2; }

# DuckDB's headers come from the npm tarball of the same version: `npm pack` only downloads it
# (`npm install duckdb` would compile all of DuckDB). Only headers are extracted.
fetch_headers() {
  if [[ -f "$HEADERS_DIR/.complete" ]]; then
    return
  fi
  log "fetching DuckDB $DUCKDB_VERSION headers (npm pack duckdb@$DUCKDB_VERSION)"
  mkdir -p "$DEPS_DIR"
  local tmp
  tmp="$(mktemp -d "$DEPS_DIR/pack.XXXXXX")"
  trap 'rm -rf "$tmp"' RETURN
  (cd "$tmp" && npm pack "duckdb@$DUCKDB_VERSION" --silent > /dev/null)
  rm -rf "$HEADERS_DIR"
  mkdir -p "$HEADERS_DIR"
  tar -xzf "$tmp/duckdb-$DUCKDB_VERSION.tgz" -C "$HEADERS_DIR" --strip-components=3 --wildcards \
    'package/src/duckdb/src/include/*' \
    'package/src/duckdb/third_party/*.h' \
    'package/src/duckdb/third_party/*.hpp'
  touch "$HEADERS_DIR/.complete"
}

# The node variant links the exact libduckdb.so that @duckdb/node-bindings loads.
find_node_libdir() {
  if [[ -n "${DUCKDB_NODE_LIBDIR:-}" ]]; then
    echo "$DUCKDB_NODE_LIBDIR"
    return
  fi
  local dir="$REPO_ROOT"
  while [[ "$dir" != "/" ]]; do
    local candidate="$dir/node_modules/@duckdb/node-bindings-linux-x64"
    if [[ -f "$candidate/libduckdb.so" ]]; then
      echo "$candidate"
      return
    fi
    dir="$(dirname "$dir")"
  done
}

check_node_bindings_version() {
  local pkg="$1/package.json"
  [[ -f "$pkg" ]] || return 0
  local version
  version="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$pkg" | head -n 1)"
  if [[ "$version" != "$DUCKDB_VERSION" && "$version" != "$DUCKDB_VERSION"-* ]]; then
    log "error: $pkg is version $version, but DUCKDB_VERSION is $DUCKDB_VERSION"
    exit 1
  fi
}

fetch_headers

NODE_LIBDIR="$(find_node_libdir)"
if [[ -z "$NODE_LIBDIR" || ! -f "$NODE_LIBDIR/libduckdb.so" ]]; then
  log "error: libduckdb.so of @duckdb/node-bindings-linux-x64 not found (run npm install or set DUCKDB_NODE_LIBDIR)"
  exit 1
fi
check_node_bindings_version "$NODE_LIBDIR"
DUCKDB_LIBRARY="$(cd "$NODE_LIBDIR" && pwd)/libduckdb.so"
rm -rf "$BUILD_DIR/release/node"

GENERATOR="${CMAKE_GENERATOR:-}"
if [[ -z "$GENERATOR" ]]; then
  if command -v ninja > /dev/null; then GENERATOR=Ninja; else GENERATOR="Unix Makefiles"; fi
fi

CMAKE_BUILD_DIR="$BUILD_DIR/cmake"
CONFIG_ARGS=(
  -DDUCKDB_INCLUDE_ROOT="$HEADERS_DIR"
  -DDUCKDB_VERSION="$DUCKDB_VERSION"
  -DOPENDUCK_EXTENSION_VERSION="$EXTENSION_VERSION"
  -DDUCKDB_LIBRARY="$DUCKDB_LIBRARY"
  -DOPENDUCK_OUTPUT_DIR="$BUILD_DIR/release"
)
# Re-configuring costs a second or two, so only do it when an input changed.
CONFIG_STAMP="$CMAKE_BUILD_DIR/openduck-config.txt"
CONFIG_KEY="$GENERATOR ${CONFIG_ARGS[*]}"
if [[ ! -f "$CMAKE_BUILD_DIR/CMakeCache.txt" || "$(cat "$CONFIG_STAMP" 2> /dev/null)" != "$CONFIG_KEY" ]]; then
  if [[ -f "$CMAKE_BUILD_DIR/CMakeCache.txt" ]] && ! grep -q "CMAKE_GENERATOR:INTERNAL=$GENERATOR\$" "$CMAKE_BUILD_DIR/CMakeCache.txt"; then
    rm -rf "$CMAKE_BUILD_DIR"
  fi
  cmake -S "$EXT_DIR" -B "$CMAKE_BUILD_DIR" -G "$GENERATOR" -DCMAKE_BUILD_TYPE=Release "${CONFIG_ARGS[@]}" > /dev/null
  printf '%s' "$CONFIG_KEY" > "$CONFIG_STAMP"
fi

cmake --build "$CMAKE_BUILD_DIR" --parallel "$(nproc 2> /dev/null || echo 2)"

log "built $BUILD_DIR/release/openduck.duckdb_extension (with libduckdb.so beside it, from $NODE_LIBDIR)"
