#include "scan/filter_sql.hpp"

#include "duckdb/parser/keyword_helper.hpp"
#include "duckdb/planner/filter/conjunction_filter.hpp"
#include "duckdb/planner/filter/constant_filter.hpp"
#include "duckdb/planner/filter/in_filter.hpp"
#include "duckdb/planner/filter/optional_filter.hpp"
#include "duckdb/planner/filter/struct_filter.hpp"

namespace openduck {

using namespace duckdb;

namespace {

//! Constants whose SQL literal reads back as the same value of the same type on the remote side.
bool HasPortableLiteral(const Value &value) {
	switch (value.type().id()) {
	case LogicalTypeId::ENUM:
	case LogicalTypeId::LIST:
	case LogicalTypeId::ARRAY:
	case LogicalTypeId::STRUCT:
	case LogicalTypeId::MAP:
	case LogicalTypeId::UNION:
	case LogicalTypeId::USER:
		return false;
	default:
		return true;
	}
}

const char *ComparisonOperator(ExpressionType type) {
	switch (type) {
	case ExpressionType::COMPARE_EQUAL:
		return "=";
	case ExpressionType::COMPARE_NOTEQUAL:
		return "<>";
	case ExpressionType::COMPARE_LESSTHAN:
		return "<";
	case ExpressionType::COMPARE_GREATERTHAN:
		return ">";
	case ExpressionType::COMPARE_LESSTHANOREQUALTO:
		return "<=";
	case ExpressionType::COMPARE_GREATERTHANOREQUALTO:
		return ">=";
	case ExpressionType::COMPARE_DISTINCT_FROM:
		return "IS DISTINCT FROM";
	case ExpressionType::COMPARE_NOT_DISTINCT_FROM:
		return "IS NOT DISTINCT FROM";
	default:
		return nullptr;
	}
}

string Conjunction(const vector<unique_ptr<TableFilter>> &children, const string &column, const char *op) {
	string result;
	for (auto &child : children) {
		auto condition = FilterToSql(*child, column);
		if (condition.empty()) {
			return string();
		}
		result += (result.empty() ? "(" : string(" ") + op + " ") + condition;
	}
	return result.empty() ? result : result + ")";
}

} // namespace

string FilterToSql(const TableFilter &filter, const string &column) {
	switch (filter.filter_type) {
	case TableFilterType::CONSTANT_COMPARISON: {
		auto &constant = filter.Cast<ConstantFilter>();
		auto op = ComparisonOperator(constant.comparison_type);
		if (!op || !HasPortableLiteral(constant.constant)) {
			return string();
		}
		return column + " " + op + " " + constant.constant.ToSQLString();
	}
	case TableFilterType::IS_NULL:
		return column + " IS NULL";
	case TableFilterType::IS_NOT_NULL:
		return column + " IS NOT NULL";
	case TableFilterType::CONJUNCTION_AND:
		return Conjunction(filter.Cast<ConjunctionAndFilter>().child_filters, column, "AND");
	case TableFilterType::CONJUNCTION_OR:
		return Conjunction(filter.Cast<ConjunctionOrFilter>().child_filters, column, "OR");
	case TableFilterType::STRUCT_EXTRACT: {
		auto &child = filter.Cast<StructFilter>();
		return FilterToSql(*child.child_filter,
		                   "struct_extract(" + column + ", " + KeywordHelper::WriteQuoted(child.child_name) + ")");
	}
	case TableFilterType::IN_FILTER: {
		auto &in = filter.Cast<InFilter>();
		string list;
		for (auto &value : in.values) {
			if (!HasPortableLiteral(value)) {
				return string();
			}
			list += (list.empty() ? "" : ", ") + value.ToSQLString();
		}
		return column + " IN (" + list + ")";
	}
	case TableFilterType::OPTIONAL_FILTER: {
		auto &optional = filter.Cast<OptionalFilter>();
		auto condition = optional.child_filter ? FilterToSql(*optional.child_filter, column) : string();
		return condition.empty() ? "TRUE" : condition;
	}
	case TableFilterType::DYNAMIC_FILTER:
		// A top-N boundary that moves while the scan runs; the operator above applies it anyway.
		return "TRUE";
	default:
		return string();
	}
}

} // namespace openduck
