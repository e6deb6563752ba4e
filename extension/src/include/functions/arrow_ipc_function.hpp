//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// functions/arrow_ipc_function.hpp
//
// openduck_arrow_ipc(sql, batch_rows := ..., batch_bytes := ...): a query's result as Arrow IPC stream messages.
//===----------------------------------------------------------------------===//

#pragma once

#include "duckdb.hpp"

namespace openduck {

struct ArrowIpcFunction {
	static duckdb::TableFunction GetFunction();
};

} // namespace openduck
