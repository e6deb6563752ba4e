#include "storage/openduck_schema_entry.hpp"

#include "write/remote_ddl.hpp"

#include "duckdb/parser/parsed_data/create_function_info.hpp"
#include "duckdb/parser/parsed_data/create_type_info.hpp"
#include "duckdb/parser/parsed_data/create_view_info.hpp"
#include "duckdb/planner/parsed_data/bound_create_table_info.hpp"

#include "duckdb/catalog/catalog.hpp"
#include "duckdb/catalog/entry_lookup_info.hpp"
#include "duckdb/common/exception.hpp"

namespace openduck {

using namespace duckdb;

OpenDuckSchemaEntry::OpenDuckSchemaEntry(Catalog &catalog, CreateSchemaInfo &info) : SchemaCatalogEntry(catalog, info) {
}

void OpenDuckSchemaEntry::AddTable(unique_ptr<OpenDuckTableEntry> table) {
	auto name = table->name;
	tables[name] = std::move(table);
}

void OpenDuckSchemaEntry::Scan(ClientContext &, CatalogType type, const std::function<void(CatalogEntry &)> &callback) {
	Scan(type, callback);
}

void OpenDuckSchemaEntry::Scan(CatalogType type, const std::function<void(CatalogEntry &)> &callback) {
	if (type != CatalogType::TABLE_ENTRY) {
		return;
	}
	for (auto &table : tables) {
		callback(*table.second);
	}
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::LookupEntry(CatalogTransaction, const EntryLookupInfo &lookup_info) {
	if (lookup_info.GetCatalogType() != CatalogType::TABLE_ENTRY) {
		return nullptr;
	}
	auto entry = tables.find(lookup_info.GetEntryName());
	if (entry == tables.end()) {
		return nullptr;
	}
	return entry->second.get();
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateIndex(CatalogTransaction transaction, CreateIndexInfo &info,
                                                            TableCatalogEntry &) {
	RemoteDdl::Create(transaction, catalog, info);
	return nullptr;
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateFunction(CatalogTransaction transaction, CreateFunctionInfo &info) {
	RemoteDdl::Create(transaction, catalog, info);
	return nullptr;
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateTable(CatalogTransaction transaction, BoundCreateTableInfo &info) {
	RemoteDdl::Create(transaction, catalog, info.Base());
	return nullptr;
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateView(CatalogTransaction transaction, CreateViewInfo &info) {
	RemoteDdl::Create(transaction, catalog, info);
	return nullptr;
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateSequence(CatalogTransaction transaction, CreateSequenceInfo &info) {
	RemoteDdl::Create(transaction, catalog, info);
	return nullptr;
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateTableFunction(CatalogTransaction transaction, CreateTableFunctionInfo &info) {
	RemoteDdl::Refuse(catalog, "table function");
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateCopyFunction(CatalogTransaction transaction, CreateCopyFunctionInfo &info) {
	RemoteDdl::Refuse(catalog, "copy function");
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreatePragmaFunction(CatalogTransaction transaction, CreatePragmaFunctionInfo &info) {
	RemoteDdl::Refuse(catalog, "pragma function");
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateCollation(CatalogTransaction transaction, CreateCollationInfo &info) {
	RemoteDdl::Refuse(catalog, "collation");
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateType(CatalogTransaction transaction, CreateTypeInfo &info) {
	RemoteDdl::Create(transaction, catalog, info);
	return nullptr;
}

void OpenDuckSchemaEntry::DropEntry(ClientContext &context, DropInfo &info) {
	RemoteDdl::Drop(context, catalog, info);
}

void OpenDuckSchemaEntry::Alter(CatalogTransaction transaction, AlterInfo &info) {
	RemoteDdl::Alter(transaction, catalog, info);
}

} // namespace openduck
