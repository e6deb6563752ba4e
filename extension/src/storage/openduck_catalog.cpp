#include "storage/openduck_catalog.hpp"

#include "storage/openduck_schema_entry.hpp"
#include "storage/openduck_transaction.hpp"
#include "write/remote_ddl.hpp"
#include "write/write_planner.hpp"

#include "duckdb/catalog/entry_lookup_info.hpp"
#include "duckdb/parser/parsed_data/create_schema_info.hpp"
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
	ExecuteQueryRequest scope;
	scope.snapshot = snapshot_id;
	auto loaded = SnapshotCatalog::Load(context, *this, *remote, std::move(scope));
	std::lock_guard<std::mutex> guard(lock);
	latest = loaded;
	return loaded;
}

optional_ptr<CatalogEntry> OpenDuckCatalog::CreateSchema(CatalogTransaction transaction, CreateSchemaInfo &info) {
	RemoteDdl::Create(transaction, *this, info);
	return nullptr;
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

PhysicalOperator &OpenDuckCatalog::PlanCreateTableAs(ClientContext &context, PhysicalPlanGenerator &planner,
                                                     LogicalCreateTable &op, PhysicalOperator &plan) {
	return WritePlanner::CreateTableAs(context, planner, *this, op, plan);
}

PhysicalOperator &OpenDuckCatalog::PlanInsert(ClientContext &context, PhysicalPlanGenerator &planner,
                                              LogicalInsert &op, optional_ptr<PhysicalOperator> plan) {
	return WritePlanner::Insert(context, planner, *this, op, plan);
}

PhysicalOperator &OpenDuckCatalog::PlanDelete(ClientContext &context, PhysicalPlanGenerator &planner,
                                              LogicalDelete &op, PhysicalOperator &plan) {
	return WritePlanner::Delete(context, planner, *this, op, plan);
}

PhysicalOperator &OpenDuckCatalog::PlanUpdate(ClientContext &context, PhysicalPlanGenerator &planner,
                                              LogicalUpdate &op, PhysicalOperator &plan) {
	return WritePlanner::Update(context, planner, *this, op, plan);
}

PhysicalOperator &OpenDuckCatalog::PlanMergeInto(ClientContext &context, PhysicalPlanGenerator &planner,
                                                 LogicalMergeInto &op, PhysicalOperator &) {
	return WritePlanner::MergeInto(context, planner, *this, op);
}

unique_ptr<LogicalOperator> OpenDuckCatalog::BindCreateIndex(Binder &, CreateStatement &, TableCatalogEntry &table,
                                                             unique_ptr<LogicalOperator>) {
	throw NotImplementedException("openduck: CREATE INDEX on \"%s.%s\" is not supported through ATTACH; declare "
	                              "PRIMARY KEY or UNIQUE constraints when creating the table",
	                              GetName(), table.name);
}

void OpenDuckCatalog::DropSchema(ClientContext &context, DropInfo &info) {
	RemoteDdl::Drop(context, *this, info);
}

DatabaseSize OpenDuckCatalog::GetDatabaseSize(ClientContext &) {
	return DatabaseSize();
}

string OpenDuckCatalog::GetDBPath() {
	return remote->Parameters().Describe();
}

} // namespace openduck
