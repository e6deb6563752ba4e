#include "pushdown/remote_statement_writer.hpp"

#include "duckdb/catalog/catalog.hpp"
#include "duckdb/main/database_manager.hpp"
#include "duckdb/parser/expression/function_expression.hpp"
#include "duckdb/parser/expression/star_expression.hpp"
#include "duckdb/parser/expression/subquery_expression.hpp"
#include "duckdb/parser/parsed_data/create_table_info.hpp"
#include "duckdb/parser/parsed_expression_iterator.hpp"
#include "duckdb/parser/statement/create_statement.hpp"
#include "duckdb/parser/statement/delete_statement.hpp"
#include "duckdb/parser/statement/insert_statement.hpp"
#include "duckdb/parser/statement/select_statement.hpp"
#include "duckdb/parser/statement/update_statement.hpp"
#include "duckdb/parser/tableref/basetableref.hpp"

namespace openduck {

using namespace duckdb;

RemoteStatementWriter::RemoteStatementWriter(ClientContext &context, const string &catalog_name)
    : context(context), catalog_name(catalog_name) {
}

void RemoteStatementWriter::VisitCtes(CommonTableExpressionMap &ctes) {
	for (auto &cte : ctes.map) {
		cte_names.insert(cte.first);
		VisitNode(*cte.second->query->node);
	}
}

void RemoteStatementWriter::VisitNode(QueryNode &node) {
	VisitCtes(node.cte_map);
	ParsedExpressionIterator::EnumerateQueryNodeChildren(
	    node, [&](unique_ptr<ParsedExpression> &child) { VisitExpression(*child); },
	    [&](TableRef &ref) { VisitRef(ref); });
}

void RemoteStatementWriter::VisitStatement(SQLStatement &statement) {
	auto visit_all = [&](vector<unique_ptr<ParsedExpression>> &expressions) {
		for (auto &expression : expressions) {
			VisitExpression(*expression);
		}
	};
	auto visit_set = [&](UpdateSetInfo &set) {
		visit_all(set.expressions);
		if (set.condition) {
			VisitExpression(*set.condition);
		}
	};
	switch (statement.type) {
	case StatementType::SELECT_STATEMENT:
		VisitNode(*statement.Cast<SelectStatement>().node);
		break;
	case StatementType::INSERT_STATEMENT: {
		auto &insert = statement.Cast<InsertStatement>();
		VisitCtes(insert.cte_map);
		VisitName(insert.catalog, insert.schema);
		if (insert.table_ref) {
			VisitTableRef(*insert.table_ref);
		}
		if (insert.select_statement) {
			VisitNode(*insert.select_statement->node);
		}
		if (insert.on_conflict_info) {
			if (insert.on_conflict_info->set_info) {
				visit_set(*insert.on_conflict_info->set_info);
			}
			if (insert.on_conflict_info->condition) {
				VisitExpression(*insert.on_conflict_info->condition);
			}
		}
		visit_all(insert.returning_list);
		break;
	}
	case StatementType::UPDATE_STATEMENT: {
		auto &update = statement.Cast<UpdateStatement>();
		VisitCtes(update.cte_map);
		VisitTableRef(*update.table);
		if (update.from_table) {
			VisitTableRef(*update.from_table);
		}
		visit_set(*update.set_info);
		visit_all(update.returning_list);
		break;
	}
	case StatementType::DELETE_STATEMENT: {
		auto &del = statement.Cast<DeleteStatement>();
		VisitCtes(del.cte_map);
		VisitTableRef(*del.table);
		for (auto &ref : del.using_clauses) {
			VisitTableRef(*ref);
		}
		if (del.condition) {
			VisitExpression(*del.condition);
		}
		visit_all(del.returning_list);
		break;
	}
	case StatementType::CREATE_STATEMENT: {
		auto &info = *statement.Cast<CreateStatement>().info;
		if (info.type != CatalogType::TABLE_ENTRY || info.temporary || !info.Cast<CreateTableInfo>().query) {
			ok = false;
			return;
		}
		VisitName(info.catalog, info.schema);
		VisitNode(*info.Cast<CreateTableInfo>().query->node);
		break;
	}
	default:
		ok = false;
	}
}

void RemoteStatementWriter::VisitName(string &catalog, string &schema) {
	if (StringUtil::CIEquals(catalog, catalog_name)) {
		catalog.clear();
	} else if (catalog.empty() && StringUtil::CIEquals(schema, catalog_name)) {
		// `cloud.t` parses as schema.table; the binder found the attached catalog under that name.
		schema.clear();
	} else if (!catalog.empty() ||
	           !StringUtil::CIEquals(DatabaseManager::GetDefaultDatabase(context), catalog_name)) {
		// Unqualified names reach the remote objects only under `USE <attached>`; otherwise the name may be a local
		// view over them, which the remote side does not know.
		ok = false;
	}
}

void RemoteStatementWriter::VisitRef(TableRef &ref) {
	if (ref.type == TableReferenceType::BASE_TABLE) {
		auto &table = ref.Cast<BaseTableRef>();
		if (table.catalog_name.empty() && table.schema_name.empty() && cte_names.count(table.table_name)) {
			// A common table expression of the statement itself.
			return;
		}
		VisitName(table.catalog_name, table.schema_name);
	} else if (ref.type == TableReferenceType::TABLE_FUNCTION) {
		ok = false;
	}
}

void RemoteStatementWriter::VisitTableRef(TableRef &ref) {
	ParsedExpressionIterator::EnumerateTableRefChildren(
	    ref, [&](unique_ptr<ParsedExpression> &child) { VisitExpression(*child); },
	    [&](TableRef &child) { VisitRef(child); });
}

void RemoteStatementWriter::VisitExpression(ParsedExpression &expression) {
	if (expression.GetExpressionClass() == ExpressionClass::FUNCTION) {
		auto &function = expression.Cast<FunctionExpression>();
		if (!function.catalog.empty() || !IsBuiltin(function.function_name)) {
			ok = false;
		}
	} else if (expression.GetExpressionClass() == ExpressionClass::SUBQUERY) {
		VisitNode(*expression.Cast<SubqueryExpression>().subquery->node);
	}
	ParsedExpressionIterator::EnumerateChildren(expression,
	                                            [&](ParsedExpression &child) { VisitExpression(child); });
}

bool RemoteStatementWriter::IsBuiltin(const string &name) {
	auto &system = Catalog::GetSystemCatalog(context);
	for (auto type :
	     {CatalogType::SCALAR_FUNCTION_ENTRY, CatalogType::AGGREGATE_FUNCTION_ENTRY, CatalogType::MACRO_ENTRY}) {
		if (system.GetEntry(context, type, DEFAULT_SCHEMA, name, OnEntryNotFound::RETURN_NULL)) {
			return true;
		}
	}
	return false;
}

void ReturnWholeRows(vector<unique_ptr<ParsedExpression>> &returning_list) {
	if (!returning_list.empty()) {
		returning_list.clear();
		returning_list.push_back(make_uniq<StarExpression>());
	}
}

} // namespace openduck
