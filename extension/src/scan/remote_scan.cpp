#include "scan/remote_scan.hpp"

#include "scan/filter_sql.hpp"
#include "scan/forwarded_settings.hpp"
#include "scan/remote_chunk_source.hpp"
#include "storage/openduck_transaction.hpp"

#include "duckdb/common/exception.hpp"
#include "duckdb/common/string_util.hpp"
#include "duckdb/execution/expression_executor.hpp"
#include "duckdb/parser/keyword_helper.hpp"
#include "duckdb/planner/expression/bound_conjunction_expression.hpp"
#include "duckdb/planner/expression/bound_reference_expression.hpp"
#include "duckdb/planner/table_filter.hpp"

namespace openduck {

using namespace duckdb;

namespace {

string Quote(const string &identifier) {
	return KeywordHelper::WriteQuoted(identifier, '"');
}

struct RemoteScanState : public GlobalTableFunctionState {
	vector<LogicalType> types;
	unique_ptr<RemoteChunkSource> source;
	//! Rows received so far, against the table's row estimate: the scan's progress.
	std::atomic<idx_t> rows_received {0};
	optional_idx estimated_rows;
	//! Filters the remote side cannot evaluate, applied to every chunk here.
	unique_ptr<Expression> local_filter;
	unique_ptr<ExpressionExecutor> executor;
	SelectionVector selection {STANDARD_VECTOR_SIZE};

	idx_t MaxThreads() const override {
		return 1;
	}
};

unique_ptr<GlobalTableFunctionState> InitGlobal(ClientContext &context, TableFunctionInitInput &input) {
	auto &bind = input.bind_data->Cast<RemoteScanBindData>();
	auto state = make_uniq<RemoteScanState>();
	vector<string> column_sql;
	for (auto id : input.column_ids) {
		// The remote row id names a row of the transaction's snapshot: UPDATE and DELETE planned here send them back
		// (WritePlanner). Views have none; other virtual columns are placeholders (count(*) asks for one column).
		if (!IsVirtualColumn(id)) {
			column_sql.push_back(Quote(bind.names[id]));
			state->types.push_back(bind.types[id]);
		} else {
			column_sql.push_back(id == COLUMN_IDENTIFIER_ROW_ID && !bind.is_view ? "rowid" : "NULL::BIGINT");
			state->types.push_back(LogicalType::ROW_TYPE);
		}
	}
	auto columns = column_sql.empty() ? string("NULL") : StringUtil::Join(column_sql, ", ");
	string where;
	vector<unique_ptr<Expression>> local;
	if (input.filters) {
		for (auto &entry : input.filters->filters) {
			auto index = entry.first;
			auto condition = FilterToSql(*entry.second, column_sql[index]);
			if (condition.empty()) {
				BoundReferenceExpression column(state->types[index], index);
				local.push_back(entry.second->ToExpression(column));
			} else if (condition != "TRUE") {
				where += (where.empty() ? " WHERE " : " AND ") + condition;
			}
		}
	}
	for (auto &expression : local) {
		state->local_filter = state->local_filter ? make_uniq<BoundConjunctionExpression>(
		                                                ExpressionType::CONJUNCTION_AND, std::move(state->local_filter),
		                                                std::move(expression))
		                                          : std::move(expression);
	}
	if (state->local_filter) {
		state->executor = make_uniq<ExpressionExecutor>(context, *state->local_filter);
	}
	auto sql = "SELECT " + columns + " FROM " + Quote(bind.schema) + "." + Quote(bind.table) + where;
	if (!bind.order_by.empty()) {
		sql += " ORDER BY " + bind.order_by;
	}
	if (bind.limit.IsValid()) {
		sql += " LIMIT " + std::to_string(bind.limit.GetIndex());
	}
	state->source = OpenDuckTransaction::Get(context, *bind.catalog)
	                    .Read(context, std::move(sql), state->types, ForwardedQueryOptions(context),
	                          {bind.schema + "." + bind.table});
	// Filters make the estimate an upper bound; the server's own progress covers the rest.
	state->estimated_rows = input.filters && !input.filters->filters.empty() ? optional_idx() : bind.estimated_rows;
	return std::move(state);
}

void Scan(ClientContext &context, TableFunctionInput &input, DataChunk &output) {
	auto &state = input.global_state->Cast<RemoteScanState>();
	while (state.source->Next(context, output)) {
		state.rows_received += output.size();
		if (!state.executor) {
			return;
		}
		auto count = state.executor->SelectExpression(output, state.selection);
		if (count == output.size()) {
			return;
		}
		if (count > 0) {
			output.Slice(state.selection, count);
			return;
		}
		output.Reset();
	}
}

double ScanProgress(ClientContext &, const FunctionData *, const GlobalTableFunctionState *global_state) {
	auto &state = global_state->Cast<RemoteScanState>();
	if (state.estimated_rows.IsValid() && state.estimated_rows.GetIndex() > 0) {
		return MinValue<double>(100.0, 100.0 * double(state.rows_received) / double(state.estimated_rows.GetIndex()));
	}
	return state.source->Progress();
}

unique_ptr<NodeStatistics> Cardinality(ClientContext &, const FunctionData *bind_data) {
	auto &bind = bind_data->Cast<RemoteScanBindData>();
	if (!bind.estimated_rows.IsValid()) {
		return make_uniq<NodeStatistics>();
	}
	return make_uniq<NodeStatistics>(bind.estimated_rows.GetIndex(), bind.estimated_rows.GetIndex());
}

InsertionOrderPreservingMap<string> ToString(TableFunctionToStringInput &input) {
	auto &bind = input.bind_data->Cast<RemoteScanBindData>();
	InsertionOrderPreservingMap<string> result;
	result["Remote"] = bind.remote->Parameters().Describe();
	result["Table"] = bind.schema + "." + bind.table;
	result["Planned at snapshot"] = bind.snapshot_id;
	return result;
}

InsertionOrderPreservingMap<string> DynamicToString(TableFunctionDynamicToStringInput &input) {
	InsertionOrderPreservingMap<string> result;
	if (input.global_state) {
		result["Remote SQL"] = input.global_state->Cast<RemoteScanState>().source->Sql();
	}
	return result;
}

} // namespace

TableFunction RemoteScanFunction::GetFunction() {
	TableFunction function("openduck_scan", {}, Scan);
	function.init_global = InitGlobal;
	function.table_scan_progress = ScanProgress;
	function.cardinality = Cardinality;
	function.to_string = ToString;
	function.dynamic_to_string = DynamicToString;
	function.projection_pushdown = true;
	function.filter_pushdown = true;
	function.filter_prune = false;
	return function;
}

} // namespace openduck
