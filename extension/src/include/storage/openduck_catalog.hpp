//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// storage/openduck_catalog.hpp
//
// The catalog of an attached OpenDuck database: schemas, tables and views of the remote database as first-class
// entries, read at the snapshot of the current transaction.
//===----------------------------------------------------------------------===//

#pragma once

#include "storage/snapshot_catalog.hpp"

#include "duckdb/catalog/catalog.hpp"

namespace openduck {

class OpenDuckCatalog : public duckdb::Catalog {
public:
	OpenDuckCatalog(duckdb::AttachedDatabase &db, std::shared_ptr<RemoteDatabase> remote);

	RemoteDatabase &Remote() {
		return *remote;
	}

	//! The catalog a new transaction binds against: the attach's pinned snapshot (`settled`: the transaction reads
	//! it), else the catalog loaded last (`settled` false: the transaction's first read settles its snapshot, see
	//! OpenDuckTransaction), else the head's, loaded now (`settled`). Entries are loaded once per snapshot.
	std::shared_ptr<SnapshotCatalog> BindingSnapshot(duckdb::ClientContext &context, bool &settled);
	//! Loads the catalog at `snapshot_id`; new transactions bind against it from now on.
	std::shared_ptr<SnapshotCatalog> LoadSnapshot(duckdb::ClientContext &context, const std::string &snapshot_id);

	void Initialize(bool load_builtin) override;
	std::string GetCatalogType() override {
		return "openduck";
	}

	duckdb::optional_ptr<duckdb::CatalogEntry> CreateSchema(duckdb::CatalogTransaction transaction,
	                                                        duckdb::CreateSchemaInfo &info) override;
	duckdb::optional_ptr<duckdb::SchemaCatalogEntry> LookupSchema(duckdb::CatalogTransaction transaction,
	                                                              const duckdb::EntryLookupInfo &schema_lookup,
	                                                              duckdb::OnEntryNotFound if_not_found) override;
	void ScanSchemas(duckdb::ClientContext &context,
	                 std::function<void(duckdb::SchemaCatalogEntry &)> callback) override;

	duckdb::PhysicalOperator &PlanCreateTableAs(duckdb::ClientContext &context, duckdb::PhysicalPlanGenerator &planner,
	                                            duckdb::LogicalCreateTable &op, duckdb::PhysicalOperator &plan) override;
	duckdb::PhysicalOperator &PlanInsert(duckdb::ClientContext &context, duckdb::PhysicalPlanGenerator &planner,
	                                     duckdb::LogicalInsert &op,
	                                     duckdb::optional_ptr<duckdb::PhysicalOperator> plan) override;
	duckdb::PhysicalOperator &PlanDelete(duckdb::ClientContext &context, duckdb::PhysicalPlanGenerator &planner,
	                                     duckdb::LogicalDelete &op, duckdb::PhysicalOperator &plan) override;
	duckdb::PhysicalOperator &PlanUpdate(duckdb::ClientContext &context, duckdb::PhysicalPlanGenerator &planner,
	                                     duckdb::LogicalUpdate &op, duckdb::PhysicalOperator &plan) override;
	duckdb::PhysicalOperator &PlanMergeInto(duckdb::ClientContext &context, duckdb::PhysicalPlanGenerator &planner,
	                                        duckdb::LogicalMergeInto &op, duckdb::PhysicalOperator &plan) override;

	duckdb::unique_ptr<duckdb::LogicalOperator> BindCreateIndex(duckdb::Binder &binder, duckdb::CreateStatement &stmt,
	                                                            duckdb::TableCatalogEntry &table,
	                                                            duckdb::unique_ptr<duckdb::LogicalOperator> plan) override;

	duckdb::DatabaseSize GetDatabaseSize(duckdb::ClientContext &context) override;
	bool InMemory() override {
		return false;
	}
	std::string GetDBPath() override;

private:
	void DropSchema(duckdb::ClientContext &context, duckdb::DropInfo &info) override;

	std::shared_ptr<RemoteDatabase> remote;
	std::mutex lock;
	std::shared_ptr<SnapshotCatalog> latest;
};

} // namespace openduck
