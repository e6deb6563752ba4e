//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// pushdown/statement_pushdown.hpp
//
// Whole statements run remotely: before DuckDB optimizes a SELECT whose every table is in one attached OpenDuck
// database (at one snapshot), its plan is replaced by a single remote query of the statement, so the remote side
// returns only the final result. Anything that cannot be answered remotely keeps the local plan: parameters,
// local tables, table functions, functions that are not DuckDB built-ins (macros, other extensions).
//===----------------------------------------------------------------------===//

#pragma once

#include "duckdb/optimizer/optimizer_extension.hpp"

namespace openduck {

struct StatementPushdown {
	static duckdb::OptimizerExtension GetExtension();
};

} // namespace openduck
