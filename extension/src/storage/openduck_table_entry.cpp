#include "storage/openduck_table_entry.hpp"

#include "scan/remote_scan.hpp"

#include "duckdb/parser/constraints/unique_constraint.hpp"
#include "duckdb/storage/table_storage_info.hpp"

namespace openduck {

using namespace duckdb;

OpenDuckTableEntry::OpenDuckTableEntry(Catalog &catalog, SchemaCatalogEntry &schema, CreateTableInfo &info,
                                       bool is_view_p, optional_idx estimated_rows_p,
                                       std::shared_ptr<RemoteDatabase> remote_p, string snapshot_id_p)
    : TableCatalogEntry(catalog, schema, info), is_view(is_view_p), estimated_rows(estimated_rows_p),
      remote(std::move(remote_p)), snapshot_id(std::move(snapshot_id_p)) {
}

unique_ptr<BaseStatistics> OpenDuckTableEntry::GetStatistics(ClientContext &, column_t) {
	return nullptr;
}

TableFunction OpenDuckTableEntry::GetScanFunction(ClientContext &, unique_ptr<FunctionData> &bind_data) {
	auto data = make_uniq<RemoteScanBindData>();
	data->remote = remote;
	data->catalog = &catalog;
	data->snapshot_id = snapshot_id;
	data->catalog_name = catalog.GetName();
	data->schema = schema.name;
	data->table = name;
	data->is_view = is_view;
	data->estimated_rows = estimated_rows;
	for (auto &column : columns.Logical()) {
		data->names.push_back(column.Name());
		data->types.push_back(column.Type());
	}
	bind_data = std::move(data);
	return RemoteScanFunction::GetFunction();
}

TableStorageInfo OpenDuckTableEntry::GetStorageInfo(ClientContext &) {
	// The remote table's keys, as the unique indexes the binder matches an ON CONFLICT target against.
	TableStorageInfo result;
	result.cardinality = estimated_rows;
	for (auto &constraint : GetConstraints()) {
		if (constraint->type != ConstraintType::UNIQUE) {
			continue;
		}
		auto &unique = constraint->Cast<UniqueConstraint>();
		IndexInfo index;
		index.is_unique = true;
		index.is_primary = unique.IsPrimaryKey();
		index.is_foreign = false;
		for (auto &column : unique.GetLogicalIndexes(columns)) {
			index.column_set.insert(columns.LogicalToPhysical(column).index);
		}
		result.index_info.push_back(std::move(index));
	}
	return result;
}

} // namespace openduck
