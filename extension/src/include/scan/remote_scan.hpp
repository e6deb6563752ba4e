//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// scan/remote_scan.hpp
//
// Scanning a remote table: the columns DuckDB needs and the filters it pushes become one remote SELECT at the
// transaction's snapshot; the Arrow IPC answer is decoded into vectors of the exact column types.
//===----------------------------------------------------------------------===//

#pragma once

#include "storage/remote_database.hpp"

#include "duckdb/function/table_function.hpp"

namespace openduck {

struct RemoteScanBindData : public duckdb::TableFunctionData {
	std::shared_ptr<RemoteDatabase> remote;
	//! The catalog the scan was planned with, and the snapshot it describes (reads happen at the transaction's).
	duckdb::Catalog *catalog = nullptr;
	std::string snapshot_id;
	//! The name the remote database is attached under.
	std::string catalog_name;
	std::string schema;
	std::string table;
	bool is_view = false;
	duckdb::vector<std::string> names;
	duckdb::vector<duckdb::LogicalType> types;
	duckdb::optional_idx estimated_rows;
	//! Set by the limit pushdown: the remote side returns at most `limit` rows, in this order (SQL, may be empty).
	duckdb::optional_idx limit;
	std::string order_by;
};

struct RemoteScanFunction {
	static duckdb::TableFunction GetFunction();
};

} // namespace openduck
