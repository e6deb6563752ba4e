//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// functions/arrow_ipc_function.hpp
//
// openduck_arrow_ipc(sql, batch_rows := ..., batch_bytes := ...): a query's result as Arrow IPC stream messages, and
// openduck_arrow_ipc_scan(blobs): the rows of such a stream, its inverse.
//===----------------------------------------------------------------------===//

#pragma once

#include "duckdb.hpp"

namespace openduck {

struct ArrowIpcFunction {
	static duckdb::TableFunction GetFunction();
};

//! Decodes a whole IPC stream given as a list of blobs (the first starting with the Schema message; NULLs are
//! skipped) into its rows, with the original column names and DuckDB types. A diagnostic of the reader.
struct ArrowIpcScanFunction {
	static duckdb::TableFunction GetFunction();
};

} // namespace openduck
