//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// scan/remote_query.hpp
//
// A whole statement run on the remote side: the plan of a query that only reads one attached OpenDuck database
// becomes this one scan of its final result.
//===----------------------------------------------------------------------===//

#pragma once

#include "storage/remote_database.hpp"

#include "duckdb/function/table_function.hpp"

namespace openduck {

struct RemoteQueryBindData : public duckdb::TableFunctionData {
	std::shared_ptr<RemoteDatabase> remote;
	//! The catalog the statement was planned with, and the snapshot it describes (it runs at the transaction's).
	duckdb::Catalog *catalog = nullptr;
	std::string snapshot_id;
	//! The remote tables the statement reads ("schema.table").
	duckdb::vector<std::string> tables;
	std::string sql;
	//! The types the local plan promised; the remote answer is cast to them where it differs.
	duckdb::vector<duckdb::LogicalType> types;
};

struct RemoteQueryFunction {
	static duckdb::TableFunction GetFunction();
};

} // namespace openduck
