//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// scan/filter_sql.hpp
//
// Table filters DuckDB pushes into a remote scan, written as SQL for the remote side.
//===----------------------------------------------------------------------===//

#pragma once

#include "duckdb/planner/table_filter.hpp"

namespace openduck {

//! The SQL condition `filter` puts on `column` (an already quoted SQL expression), or an empty string when the
//! filter cannot be expressed remotely: the scan then applies it locally. Filters that only help (optional and
//! dynamic ones) yield "TRUE" when they cannot be written.
std::string FilterToSql(const duckdb::TableFilter &filter, const std::string &column);

} // namespace openduck
