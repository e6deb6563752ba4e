//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// write/physical_remote_write.hpp
//
// OPENDUCK_WRITE: an INSERT, UPDATE, DELETE or CREATE TABLE ... AS on a cloud table, run by the server.
//===----------------------------------------------------------------------===//

#pragma once

#include "storage/openduck_transaction.hpp"

#include "duckdb/execution/physical_operator.hpp"
#include "duckdb/planner/expression.hpp"

namespace openduck {

class OpenDuckCatalog;

//! What the server runs, and which local rows it reads.
struct RemoteWritePlan {
	//! Replaced by the upload's id in `sql`.
	static constexpr const char *UPLOAD_ID = "{openduck_upload}";

	//! The statement the server runs. A staged write reads the uploaded rows as openduck_staged('{upload id}').
	std::string sql;
	//! Staged writes only: the uploaded columns, computed from each chunk of the local plan by `projection`.
	duckdb::vector<std::string> names;
	duckdb::vector<duckdb::unique_ptr<duckdb::Expression>> projection;
	bool uses_row_ids = false;
	bool changes_catalog = false;
	//! Trailing output columns the server does not return (a merge's RETURNING adds its action), left NULL.
	duckdb::idx_t unanswered_columns = 0;
};

//! With no child, the statement is forwarded as it is: nothing but its text and answer travel. With a child (a
//! staged write), the child's rows are uploaded as they come (RowUpload), and the statement that reads them runs
//! once they are all staged. Either way the operator then returns the server's answer: the count of changed rows,
//! or the whole changed rows for RETURNING (the plan above computes the RETURNING list from them).
class PhysicalRemoteWrite : public duckdb::PhysicalOperator {
public:
	static constexpr const duckdb::PhysicalOperatorType TYPE = duckdb::PhysicalOperatorType::EXTENSION;

	PhysicalRemoteWrite(duckdb::PhysicalPlan &physical_plan, duckdb::vector<duckdb::LogicalType> types,
	                    OpenDuckCatalog &catalog, RemoteWritePlan write, duckdb::idx_t estimated_cardinality);

	std::string GetName() const override;
	duckdb::InsertionOrderPreservingMap<std::string> ParamsToString() const override;

	// Source: the server's answer.
	duckdb::unique_ptr<duckdb::GlobalSourceState> GetGlobalSourceState(duckdb::ClientContext &context) const override;
	duckdb::SourceResultType GetData(duckdb::ExecutionContext &context, duckdb::DataChunk &chunk,
	                                 duckdb::OperatorSourceInput &input) const override;
	bool IsSource() const override {
		return true;
	}

	// Sink (staged writes): the local rows.
	duckdb::unique_ptr<duckdb::GlobalSinkState> GetGlobalSinkState(duckdb::ClientContext &context) const override;
	duckdb::SinkResultType Sink(duckdb::ExecutionContext &context, duckdb::DataChunk &chunk,
	                            duckdb::OperatorSinkInput &input) const override;
	duckdb::SinkFinalizeType Finalize(duckdb::Pipeline &pipeline, duckdb::Event &event,
	                                  duckdb::ClientContext &context,
	                                  duckdb::OperatorSinkFinalizeInput &input) const override;
	bool IsSink() const override {
		return !children.empty();
	}
	//! One thread encodes the rows, in order; sending overlaps with it (RowUpload).
	bool ParallelSink() const override {
		return false;
	}
	bool SinkOrderDependent() const override {
		return true;
	}

private:
	//! Runs the statement; `staged` names the uploaded rows, if any.
	ExecuteQueryResponse Run(duckdb::ClientContext &context, const StagedRows *staged) const;

	OpenDuckCatalog &catalog;
	RemoteWritePlan write;
};

} // namespace openduck
