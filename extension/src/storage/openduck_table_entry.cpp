#include "storage/openduck_table_entry.hpp"

#include "scan/remote_scan.hpp"

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
	data->estimated_rows = estimated_rows;
	for (auto &column : columns.Logical()) {
		data->names.push_back(column.Name());
		data->types.push_back(column.Type());
	}
	bind_data = std::move(data);
	return RemoteScanFunction::GetFunction();
}

TableStorageInfo OpenDuckTableEntry::GetStorageInfo(ClientContext &) {
	return TableStorageInfo();
}

} // namespace openduck
