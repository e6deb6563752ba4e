//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// write/write_planner.hpp
//
// Plans INSERT, CREATE TABLE ... AS, UPDATE and DELETE on cloud tables as OPENDUCK_WRITE.
//===----------------------------------------------------------------------===//

#pragma once

#include "duckdb/execution/physical_plan_generator.hpp"
#include "duckdb/planner/operator/logical_create_table.hpp"
#include "duckdb/planner/operator/logical_delete.hpp"
#include "duckdb/planner/operator/logical_insert.hpp"
#include "duckdb/planner/operator/logical_merge_into.hpp"
#include "duckdb/planner/operator/logical_update.hpp"

namespace openduck {

class OpenDuckCatalog;

//! A write whose every table is in the attached database (and that uses nothing the server lacks) is forwarded as
//! its own text. Otherwise the rows it needs from here are staged: an INSERT or CREATE TABLE ... AS uploads its
//! rows; an UPDATE or DELETE uploads the row ids it found (and the new values) and the server applies them to the
//! snapshot they were read at.
struct WritePlanner {
	static duckdb::PhysicalOperator &Insert(duckdb::ClientContext &context, duckdb::PhysicalPlanGenerator &planner,
	                                        OpenDuckCatalog &catalog, duckdb::LogicalInsert &op,
	                                        duckdb::optional_ptr<duckdb::PhysicalOperator> plan);
	static duckdb::PhysicalOperator &CreateTableAs(duckdb::ClientContext &context,
	                                               duckdb::PhysicalPlanGenerator &planner, OpenDuckCatalog &catalog,
	                                               duckdb::LogicalCreateTable &op, duckdb::PhysicalOperator &plan);
	static duckdb::PhysicalOperator &Update(duckdb::ClientContext &context, duckdb::PhysicalPlanGenerator &planner,
	                                        OpenDuckCatalog &catalog, duckdb::LogicalUpdate &op,
	                                        duckdb::PhysicalOperator &plan);
	//! INSERT … ON CONFLICT (which DuckDB binds as a merge for catalogs like this one): forwarded only.
	static duckdb::PhysicalOperator &MergeInto(duckdb::ClientContext &context, duckdb::PhysicalPlanGenerator &planner,
	                                           OpenDuckCatalog &catalog, duckdb::LogicalMergeInto &op);
	static duckdb::PhysicalOperator &Delete(duckdb::ClientContext &context, duckdb::PhysicalPlanGenerator &planner,
	                                        OpenDuckCatalog &catalog, duckdb::LogicalDelete &op,
	                                        duckdb::PhysicalOperator &plan);
};

} // namespace openduck
