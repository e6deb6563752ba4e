//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// pushdown/limit_pushdown.hpp
//
// LIMIT and ORDER BY … LIMIT over a remote scan (when the statement as a whole stays local): the remote side
// returns only the rows that can make it into the result. DuckDB's own LIMIT or top-N stays above the scan, so
// the answer is exact either way.
//===----------------------------------------------------------------------===//

#pragma once

#include "duckdb/optimizer/optimizer_extension.hpp"

namespace openduck {

struct LimitPushdown {
	static duckdb::OptimizerExtension GetExtension();
};

} // namespace openduck
