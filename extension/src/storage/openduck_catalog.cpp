#include "storage/openduck_catalog.hpp"

#include "storage/openduck_schema_entry.hpp"
#include "storage/openduck_transaction.hpp"

#include "duckdb/catalog/entry_lookup_info.hpp"
#include "duckdb/common/exception.hpp"
#include "duckdb/storage/database_size.hpp"

namespace openduck {

using namespace duckdb;

OpenDuckCatalog::OpenDuckCatalog(AttachedDatabase &db, std::shared_ptr<RemoteDatabase> remote_p)
    : Catalog(db), remote(std::move(remote_p)) {
}

void OpenDuckCatalog::Initialize(bool) {
}

std::shared_ptr<SnapshotCatalog> OpenDuckCatalog::BindingSnapshot(ClientContext &context, bool &settled) {
	auto &pinned = remote->Parameters().snapshot;
	{
		std::lock_guard<std::mutex> guard(lock);
		if (latest) {
			settled = !pinned.empty();
			return latest;
		}
	}
	// The first transaction: the catalog at the pinned snapshot or at the head (an empty snapshot reads the head).
	settled = true;
	return LoadSnapshot(context, pinned);
}

std::shared_ptr<SnapshotCatalog> OpenDuckCatalog::LoadSnapshot(ClientContext &context, const string &snapshot_id) {
	auto loaded = SnapshotCatalog::Load(context, *this, *remote, snapshot_id);
	std::lock_guard<std::mutex> guard(lock);
	latest = loaded;
	return loaded;
}

optional_ptr<CatalogEntry> OpenDuckCatalog::CreateSchema(CatalogTransaction, CreateSchemaInfo &) {
	ThrowReadOnlyCatalog(*this);
}

optional_ptr<SchemaCatalogEntry> OpenDuckCatalog::LookupSchema(CatalogTransaction transaction,
                                                               const EntryLookupInfo &schema_lookup,
                                                               OnEntryNotFound if_not_found) {
	auto &context = transaction.GetContext();
	auto &snapshot = transaction.transaction->Cast<OpenDuckTransaction>().GetSnapshot(context);
	auto schema = snapshot.GetSchema(schema_lookup.GetEntryName());
	if (!schema && if_not_found == OnEntryNotFound::THROW_EXCEPTION) {
		throw CatalogException(schema_lookup.GetErrorContext(), "Schema with name \"%s\" does not exist in \"%s\"",
		                       schema_lookup.GetEntryName(), GetName());
	}
	return schema.get();
}

void OpenDuckCatalog::ScanSchemas(ClientContext &context, std::function<void(SchemaCatalogEntry &)> callback) {
	OpenDuckTransaction::Get(context, *this).GetSnapshot(context).Scan(callback);
}

PhysicalOperator &OpenDuckCatalog::PlanCreateTableAs(ClientContext &, PhysicalPlanGenerator &, LogicalCreateTable &,
                                                     PhysicalOperator &) {
	ThrowReadOnlyCatalog(*this);
}

PhysicalOperator &OpenDuckCatalog::PlanInsert(ClientContext &, PhysicalPlanGenerator &, LogicalInsert &,
                                              optional_ptr<PhysicalOperator>) {
	ThrowReadOnlyCatalog(*this);
}

PhysicalOperator &OpenDuckCatalog::PlanDelete(ClientContext &, PhysicalPlanGenerator &, LogicalDelete &,
                                              PhysicalOperator &) {
	ThrowReadOnlyCatalog(*this);
}

PhysicalOperator &OpenDuckCatalog::PlanUpdate(ClientContext &, PhysicalPlanGenerator &, LogicalUpdate &,
                                              PhysicalOperator &) {
	ThrowReadOnlyCatalog(*this);
}

void OpenDuckCatalog::DropSchema(ClientContext &, DropInfo &) {
	ThrowReadOnlyCatalog(*this);
}

DatabaseSize OpenDuckCatalog::GetDatabaseSize(ClientContext &) {
	return DatabaseSize();
}

string OpenDuckCatalog::GetDBPath() {
	return remote->Parameters().Describe();
}

} // namespace openduck
