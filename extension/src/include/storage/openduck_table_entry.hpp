//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// storage/openduck_table_entry.hpp
//
// A remote table (or view) as a catalog entry: its columns with their exact types, NOT NULL and primary key.
//===----------------------------------------------------------------------===//

#pragma once

#include "storage/remote_database.hpp"

#include "duckdb/catalog/catalog_entry/table_catalog_entry.hpp"

namespace openduck {

class OpenDuckTableEntry : public duckdb::TableCatalogEntry {
public:
	OpenDuckTableEntry(duckdb::Catalog &catalog, duckdb::SchemaCatalogEntry &schema, duckdb::CreateTableInfo &info,
	                   bool is_view, duckdb::optional_idx estimated_rows, std::shared_ptr<RemoteDatabase> remote,
	                   std::string snapshot_id);

	//! Whether the remote object is a view (it reads like a table here; writes go to tables only).
	const bool is_view;
	//! The remote side's row estimate, which the join order planner needs (unknown for views).
	const duckdb::optional_idx estimated_rows;
	const std::shared_ptr<RemoteDatabase> remote;
	//! The snapshot this entry was read at; scans read the same one.
	const std::string snapshot_id;

	duckdb::unique_ptr<duckdb::BaseStatistics> GetStatistics(duckdb::ClientContext &context,
	                                                         duckdb::column_t column_id) override;
	duckdb::TableFunction GetScanFunction(duckdb::ClientContext &context,
	                                      duckdb::unique_ptr<duckdb::FunctionData> &bind_data) override;
	duckdb::TableStorageInfo GetStorageInfo(duckdb::ClientContext &context) override;
};

} // namespace openduck
