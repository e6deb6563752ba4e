//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// storage/snapshot_catalog.hpp
//
// Every schema, table and view of a remote database at one snapshot, loaded with one remote query.
//===----------------------------------------------------------------------===//

#pragma once

#include "storage/openduck_schema_entry.hpp"
#include "storage/remote_database.hpp"

namespace openduck {

class SnapshotCatalog {
public:
	//! Reads the catalog of `remote` where `scope` reads (its snapshot, empty for the head, or its transaction),
	//! building entries that belong to `catalog`.
	static std::shared_ptr<SnapshotCatalog> Load(duckdb::ClientContext &context, duckdb::Catalog &catalog,
	                                             RemoteDatabase &remote, ExecuteQueryRequest scope);

	//! The snapshot id the entries describe; every scan in the transaction reads this snapshot.
	const std::string &SnapshotId() const {
		return snapshot_id;
	}
	//! Whether the tables and views `names` ("schema.table") are the same in `other`: columns, types and
	//! constraints (row estimates aside), or missing in both.
	bool SameTables(const SnapshotCatalog &other, const duckdb::vector<std::string> &names) const;
	duckdb::optional_ptr<OpenDuckSchemaEntry> GetSchema(const std::string &name);
	void Scan(const std::function<void(duckdb::SchemaCatalogEntry &)> &callback);

private:
	std::string snapshot_id;
	//! Per "schema.table": the catalog query's rows about it without the row estimate, as text.
	duckdb::case_insensitive_map_t<std::string> signatures;
	duckdb::case_insensitive_map_t<duckdb::unique_ptr<OpenDuckSchemaEntry>> schemas;
};

} // namespace openduck
