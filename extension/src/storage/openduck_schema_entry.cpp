#include "storage/openduck_schema_entry.hpp"

#include "duckdb/catalog/catalog.hpp"
#include "duckdb/catalog/entry_lookup_info.hpp"
#include "duckdb/common/exception.hpp"

namespace openduck {

using namespace duckdb;

void ThrowReadOnlyCatalog(Catalog &catalog) {
	throw NotImplementedException("openduck: \"%s\" is read-only in this version of the extension: writes to "
	                              "OpenDuck databases go through ExecuteQuery (the TypeScript client or the HTTP API)",
	                              catalog.GetName());
}

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

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateIndex(CatalogTransaction, CreateIndexInfo &,
                                                            TableCatalogEntry &) {
	ThrowReadOnlyCatalog(catalog);
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateFunction(CatalogTransaction, CreateFunctionInfo &) {
	ThrowReadOnlyCatalog(catalog);
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateTable(CatalogTransaction, BoundCreateTableInfo &) {
	ThrowReadOnlyCatalog(catalog);
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateView(CatalogTransaction, CreateViewInfo &) {
	ThrowReadOnlyCatalog(catalog);
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateSequence(CatalogTransaction, CreateSequenceInfo &) {
	ThrowReadOnlyCatalog(catalog);
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateTableFunction(CatalogTransaction, CreateTableFunctionInfo &) {
	ThrowReadOnlyCatalog(catalog);
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateCopyFunction(CatalogTransaction, CreateCopyFunctionInfo &) {
	ThrowReadOnlyCatalog(catalog);
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreatePragmaFunction(CatalogTransaction, CreatePragmaFunctionInfo &) {
	ThrowReadOnlyCatalog(catalog);
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateCollation(CatalogTransaction, CreateCollationInfo &) {
	ThrowReadOnlyCatalog(catalog);
}

optional_ptr<CatalogEntry> OpenDuckSchemaEntry::CreateType(CatalogTransaction, CreateTypeInfo &) {
	ThrowReadOnlyCatalog(catalog);
}

void OpenDuckSchemaEntry::DropEntry(ClientContext &, DropInfo &) {
	ThrowReadOnlyCatalog(catalog);
}

void OpenDuckSchemaEntry::Alter(CatalogTransaction, AlterInfo &) {
	ThrowReadOnlyCatalog(catalog);
}

} // namespace openduck
