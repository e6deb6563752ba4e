//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// write/remote_ddl.hpp
//
// CREATE, ALTER and DROP on an attached OpenDuck database, run by the server.
//===----------------------------------------------------------------------===//

#pragma once

#include "duckdb/catalog/catalog.hpp"
#include "duckdb/parser/parsed_data/alter_info.hpp"
#include "duckdb/parser/parsed_data/create_info.hpp"
#include "duckdb/parser/parsed_data/drop_info.hpp"

namespace openduck {

//! The statement is rebuilt from DuckDB's parsed form (without the local catalog name) and sent as a write of the
//! current transaction; the catalog that transaction binds against is reloaded after it, so its next statement
//! sees the change.
struct RemoteDdl {
	static void Create(duckdb::CatalogTransaction transaction, duckdb::Catalog &catalog, const duckdb::CreateInfo &info);
	static void Alter(duckdb::CatalogTransaction transaction, duckdb::Catalog &catalog, const duckdb::AlterInfo &info);
	static void Drop(duckdb::ClientContext &context, duckdb::Catalog &catalog, const duckdb::DropInfo &info);
	//! For what DuckDB can only create locally (table functions, collations, ...).
	[[noreturn]] static void Refuse(duckdb::Catalog &catalog, const std::string &what);
};

} // namespace openduck
