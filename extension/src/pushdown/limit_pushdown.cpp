#include "pushdown/limit_pushdown.hpp"

#include "scan/filter_sql.hpp"
#include "scan/remote_scan.hpp"

#include "duckdb/parser/keyword_helper.hpp"
#include "duckdb/planner/expression/bound_columnref_expression.hpp"
#include "duckdb/planner/operator/logical_get.hpp"
#include "duckdb/planner/operator/logical_limit.hpp"
#include "duckdb/planner/operator/logical_projection.hpp"
#include "duckdb/planner/operator/logical_top_n.hpp"

namespace openduck {

using namespace duckdb;

namespace {

//! The remote scan right below `op` (through projections), if every filter it has runs remotely: a remote LIMIT is
//! only right when no row it returns is dropped here afterwards.
optional_ptr<LogicalGet> RemoteScanBelow(LogicalOperator &op) {
	auto current = &op;
	while (current->type == LogicalOperatorType::LOGICAL_PROJECTION && current->children.size() == 1) {
		current = current->children[0].get();
	}
	if (current->type != LogicalOperatorType::LOGICAL_GET) {
		return nullptr;
	}
	auto &get = current->Cast<LogicalGet>();
	if (get.function.name != "openduck_scan" || !get.bind_data) {
		return nullptr;
	}
	// Here filters are keyed by the table's column index (the scan gets them by position later).
	for (auto &filter : get.table_filters.filters) {
		if (IsVirtualColumn(filter.first) || FilterToSql(*filter.second, "x").empty()) {
			return nullptr;
		}
	}
	return &get;
}

//! The scan column a sort key names, following column references down through projections; empty if it is
//! anything else.
string SortColumn(LogicalOperator &op, const Expression &expression, LogicalGet &get) {
	if (expression.GetExpressionClass() != ExpressionClass::BOUND_COLUMN_REF) {
		return string();
	}
	auto binding = expression.Cast<BoundColumnRefExpression>().binding;
	auto current = &op;
	while (current->type == LogicalOperatorType::LOGICAL_PROJECTION) {
		auto &projection = current->Cast<LogicalProjection>();
		if (binding.table_index != projection.table_index || binding.column_index >= projection.expressions.size()) {
			return string();
		}
		auto &inner = *projection.expressions[binding.column_index];
		if (inner.GetExpressionClass() != ExpressionClass::BOUND_COLUMN_REF) {
			return string();
		}
		binding = inner.Cast<BoundColumnRefExpression>().binding;
		current = current->children[0].get();
	}
	auto &column_ids = get.GetColumnIds();
	if (binding.table_index != get.table_index || binding.column_index >= column_ids.size()) {
		return string();
	}
	auto id = column_ids[binding.column_index].GetPrimaryIndex();
	if (IsVirtualColumn(id)) {
		return string();
	}
	return KeywordHelper::WriteQuoted(get.GetColumnName(ColumnIndex(id)), '"');
}

void PushLimits(LogicalOperator &op) {
	if (op.type == LogicalOperatorType::LOGICAL_LIMIT) {
		auto &limit = op.Cast<LogicalLimit>();
		auto offset_ok = limit.offset_val.Type() == LimitNodeType::UNSET ||
		                 limit.offset_val.Type() == LimitNodeType::CONSTANT_VALUE;
		auto get = RemoteScanBelow(*op.children[0]);
		if (get && offset_ok && limit.limit_val.Type() == LimitNodeType::CONSTANT_VALUE) {
			auto offset =
			    limit.offset_val.Type() == LimitNodeType::CONSTANT_VALUE ? limit.offset_val.GetConstantValue() : 0;
			get->bind_data->Cast<RemoteScanBindData>().limit = limit.limit_val.GetConstantValue() + offset;
		}
	} else if (op.type == LogicalOperatorType::LOGICAL_TOP_N) {
		auto &top = op.Cast<LogicalTopN>();
		auto get = RemoteScanBelow(*op.children[0]);
		string order_by;
		for (idx_t i = 0; get && i < top.orders.size(); i++) {
			auto &order = top.orders[i];
			auto column = SortColumn(*op.children[0], *order.expression, *get);
			if (column.empty()) {
				get = nullptr;
				break;
			}
			order_by += (i == 0 ? "" : ", ") + column + (order.type == OrderType::DESCENDING ? " DESC" : " ASC") +
			            (order.null_order == OrderByNullType::NULLS_FIRST ? " NULLS FIRST" : " NULLS LAST");
		}
		if (get) {
			auto &bind = get->bind_data->Cast<RemoteScanBindData>();
			bind.order_by = order_by;
			bind.limit = top.limit + top.offset;
		}
	}
	for (auto &child : op.children) {
		PushLimits(*child);
	}
}

void Optimize(OptimizerExtensionInput &, unique_ptr<LogicalOperator> &plan) {
	PushLimits(*plan);
}

} // namespace

OptimizerExtension LimitPushdown::GetExtension() {
	OptimizerExtension extension;
	extension.optimize_function = Optimize;
	return extension;
}

} // namespace openduck
