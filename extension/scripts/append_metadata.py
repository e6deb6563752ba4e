#!/usr/bin/env python3
"""Append DuckDB's 512-byte extension metadata footer to a shared library.

DuckDB reads the last 512 bytes of a `.duckdb_extension` file: eight 32-byte,
NUL-padded fields (read back to front: magic "4", platform, DuckDB version,
extension version, ABI type, three unused) followed by a 256-byte signature
area that stays zeroed for unsigned builds. Official builds prepend a WebAssembly
custom-section header so the same layout stays valid for wasm modules; it costs
22 bytes and keeps our files byte-compatible with theirs, so we write it too.
See src/main/extension/extension_load.cpp (ParseExtensionMetaData) in DuckDB.
"""
import argparse
import os
import shutil
import tempfile

FIELD_SIZE = 32
SIGNATURE_SIZE = 256
WASM_SECTION_HEADER = b"\x00\x93\x04\x10duckdb_signature\x80\x04"


def field(value: str) -> bytes:
    raw = value.encode("ascii")
    if len(raw) > FIELD_SIZE:
        raise SystemExit(f"metadata field too long ({len(raw)} > {FIELD_SIZE}): {value!r}")
    return raw.ljust(FIELD_SIZE, b"\0")


def footer(platform: str, duckdb_version: str, extension_version: str, abi_type: str) -> bytes:
    # Stored in reverse order of how DuckDB numbers them: field 0 (magic) comes last.
    fields = ["", "", "", abi_type, extension_version, duckdb_version, platform, "4"]
    return WASM_SECTION_HEADER + b"".join(field(f) for f in fields) + b"\0" * SIGNATURE_SIZE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", help="compiled shared library")
    parser.add_argument("output", help="resulting .duckdb_extension file")
    parser.add_argument("--platform", default="linux_amd64")
    parser.add_argument("--duckdb-version", required=True, help="e.g. v1.4.4")
    parser.add_argument("--extension-version", required=True)
    parser.add_argument("--abi-type", default="CPP")
    args = parser.parse_args()

    data = footer(args.platform, args.duckdb_version, args.extension_version, args.abi_type)
    out_dir = os.path.dirname(os.path.abspath(args.output))
    os.makedirs(out_dir, exist_ok=True)
    # Write next to the target and rename, so a host never dlopens a half-written file.
    fd, tmp_path = tempfile.mkstemp(dir=out_dir, prefix=".openduck-")
    try:
        with os.fdopen(fd, "wb") as out, open(args.library, "rb") as lib:
            shutil.copyfileobj(lib, out)
            out.write(data)
        os.chmod(tmp_path, 0o755)
        os.replace(tmp_path, args.output)
    except BaseException:
        os.unlink(tmp_path)
        raise


if __name__ == "__main__":
    main()
