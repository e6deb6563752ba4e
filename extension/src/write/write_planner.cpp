#include "write/write_planner.hpp"

#include "pushdown/remote_statement_writer.hpp"
#include "scan/forwarded_settings.hpp"
#include "storage/openduck_catalog.hpp"
#include "write/physical_remote_write.hpp"

#include "duckdb/catalog/catalog_entry/table_catalog_entry.hpp"
#include "duckdb/parser/keyword_helper.hpp"
#include "duckdb/parser/parsed_data/create_table_info.hpp"
#include "duckdb/parser/parser.hpp"
#include "duckdb/parser/statement/delete_statement.hpp"
#include "duckdb/parser/statement/explain_statement.hpp"
#include "duckdb/parser/statement/insert_statement.hpp"
#include "duckdb/parser/statement/update_statement.hpp"
#include "duckdb/planner/expression/bound_reference_expression.hpp"

namespace openduck {

using namespace duckdb;

namespace {

string Quote(const string &identifier) {
	return KeywordHelper::WriteQuoted(identifier, '"');
}

//! The alias the staged rows go by in the statements below.
constexpr const char *STAGED_ALIAS = "openduck_rows";

string StagedRowsSql() {
	return string("openduck_staged('") + RemoteWritePlan::UPLOAD_ID + "') AS " + STAGED_ALIAS;
}

string TableSql(const TableCatalogEntry &table) {
	return Quote(table.schema.name) + "." + Quote(table.name);
}

//! The server returns whole rows: the plan above computes the RETURNING list from them.
string ReturningSql(bool return_chunk) {
	return return_chunk ? " RETURNING *" : "";
}

//! A staged UPDATE or DELETE names its rows by the remote row ids the local plan read (`row_id`, a column of the
//! plan): they travel as `rid`, and RowIdMatch joins them back to the table.
RemoteWritePlan RowIdWrite(unique_ptr<Expression> row_id) {
	RemoteWritePlan write;
	write.uses_row_ids = true;
	write.names.push_back("rid");
	write.projection.push_back(std::move(row_id));
	return write;
}

string RowIdMatch(const TableCatalogEntry &table) {
	return " WHERE " + Quote(table.name) + ".rowid = " + STAGED_ALIAS + ".rid";
}

//! The statement being planned, parsed again from its text: the one statement of `type` in it, or null (a prepared
//! statement's EXECUTE, several such statements in one text).
unique_ptr<SQLStatement> CurrentStatement(ClientContext &context, StatementType type) {
	Parser parser(context.GetParserOptions());
	try {
		parser.ParseQuery(context.GetCurrentQuery());
	} catch (std::exception &) {
		return nullptr;
	}
	unique_ptr<SQLStatement> found;
	for (auto &statement : parser.statements) {
		if (statement->type == StatementType::EXPLAIN_STATEMENT) {
			statement = std::move(statement->Cast<ExplainStatement>().stmt);
		}
		if (statement->type == type) {
			if (found) {
				return nullptr;
			}
			found = std::move(statement);
		}
	}
	return found;
}

//! The statement's text for the server, or an empty string when it must be planned here.
string ForwardedSql(ClientContext &context, OpenDuckCatalog &catalog, optional_ptr<SQLStatement> parsed) {
	if (!parsed || !parsed->named_param_map.empty() || ChangedUnforwardedSettings(context)) {
		return string();
	}
	auto statement = parsed->Copy();
	RemoteStatementWriter writer(context, catalog.GetName());
	writer.VisitStatement(*statement);
	if (!writer.ok) {
		return string();
	}
	switch (statement->type) {
	case StatementType::INSERT_STATEMENT:
		ReturnWholeRows(statement->Cast<InsertStatement>().returning_list);
		break;
	case StatementType::UPDATE_STATEMENT:
		ReturnWholeRows(statement->Cast<UpdateStatement>().returning_list);
		break;
	case StatementType::DELETE_STATEMENT:
		ReturnWholeRows(statement->Cast<DeleteStatement>().returning_list);
		break;
	default:
		break;
	}
	return statement->ToString();
}

PhysicalOperator &Forward(PhysicalPlanGenerator &planner, OpenDuckCatalog &catalog, LogicalOperator &op, string sql,
                          bool changes_catalog) {
	RemoteWritePlan write;
	write.sql = std::move(sql);
	write.changes_catalog = changes_catalog;
	return planner.Make<PhysicalRemoteWrite>(op.types, catalog, std::move(write), op.estimated_cardinality);
}

PhysicalOperator &Stage(PhysicalPlanGenerator &planner, OpenDuckCatalog &catalog, LogicalOperator &op,
                        PhysicalOperator &plan, RemoteWritePlan write) {
	auto &result = planner.Make<PhysicalRemoteWrite>(op.types, catalog, std::move(write), op.estimated_cardinality);
	result.children.push_back(plan);
	return result;
}

} // namespace

PhysicalOperator &WritePlanner::Insert(ClientContext &context, PhysicalPlanGenerator &planner,
                                       OpenDuckCatalog &catalog, LogicalInsert &op,
                                       optional_ptr<PhysicalOperator> plan) {
	auto parsed = CurrentStatement(context, StatementType::INSERT_STATEMENT);
	auto sql = ForwardedSql(context, catalog, parsed.get());
	if (!sql.empty()) {
		return Forward(planner, catalog, op, std::move(sql), false);
	}
	if (!plan) {
		throw NotImplementedException("openduck: this INSERT into \"%s\" cannot be planned", catalog.GetName());
	}
	auto insert = parsed ? &parsed->Cast<InsertStatement>() : nullptr;
	// The columns the statement names (the server fills in the others' defaults), else all of them.
	RemoteWritePlan write;
	vector<string> column_sql;
	for (auto &column : op.table.GetColumns().Physical()) {
		auto &name = column.Name();
		auto named = !insert || insert->columns.empty() ||
		             std::any_of(insert->columns.begin(), insert->columns.end(),
		                         [&](const string &candidate) { return StringUtil::CIEquals(candidate, name); });
		auto index = column.Physical().index;
		auto position = op.column_index_map.empty() ? index : op.column_index_map[column.Physical()];
		if (!named || position == DConstants::INVALID_INDEX) {
			continue;
		}
		write.names.push_back(name);
		write.projection.push_back(make_uniq<BoundReferenceExpression>(column.Type(), position));
		column_sql.push_back(Quote(name));
	}
	write.sql = "INSERT INTO " + TableSql(op.table) + " (" + StringUtil::Join(column_sql, ", ") +
	            ") SELECT * FROM " + StagedRowsSql() + ReturningSql(op.return_chunk);
	return Stage(planner, catalog, op, *plan, std::move(write));
}

PhysicalOperator &WritePlanner::CreateTableAs(ClientContext &context, PhysicalPlanGenerator &planner,
                                              OpenDuckCatalog &catalog, LogicalCreateTable &op,
                                              PhysicalOperator &plan) {
	auto parsed = CurrentStatement(context, StatementType::CREATE_STATEMENT);
	auto sql = ForwardedSql(context, catalog, parsed.get());
	if (!sql.empty()) {
		return Forward(planner, catalog, op, std::move(sql), true);
	}
	auto &info = op.info->Base();
	if (info.temporary) {
		throw BinderException("openduck: temporary tables live in the local session, not in \"%s\"",
		                      catalog.GetName());
	}
	RemoteWritePlan write;
	write.changes_catalog = true;
	idx_t position = 0;
	for (auto &column : info.columns.Logical()) {
		write.names.push_back(column.Name());
		write.projection.push_back(make_uniq<BoundReferenceExpression>(column.Type(), position++));
	}
	string create = info.on_conflict == OnCreateConflict::REPLACE_ON_CONFLICT ? "CREATE OR REPLACE TABLE " : "CREATE TABLE ";
	if (info.on_conflict == OnCreateConflict::IGNORE_ON_CONFLICT) {
		create += "IF NOT EXISTS ";
	}
	write.sql = create + Quote(op.schema.name) + "." + Quote(info.table) + " AS SELECT * FROM " + StagedRowsSql();
	return Stage(planner, catalog, op, plan, std::move(write));
}

PhysicalOperator &WritePlanner::Update(ClientContext &context, PhysicalPlanGenerator &planner,
                                       OpenDuckCatalog &catalog, LogicalUpdate &op, PhysicalOperator &plan) {
	auto parsed = CurrentStatement(context, StatementType::UPDATE_STATEMENT);
	auto sql = ForwardedSql(context, catalog, parsed.get());
	if (!sql.empty()) {
		return Forward(planner, catalog, op, std::move(sql), false);
	}
	// The child's rows: the new values (op.expressions reference them), then the row id.
	auto write = RowIdWrite(make_uniq<BoundReferenceExpression>(LogicalType::ROW_TYPE, plan.types.size() - 1));
	vector<string> assignments;
	for (idx_t i = 0; i < op.expressions.size(); i++) {
		auto &expression = op.expressions[i];
		auto &column = op.table.GetColumns().GetColumn(op.columns[i]);
		if (expression->GetExpressionType() != ExpressionType::BOUND_REF) {
			throw NotImplementedException("openduck: SET %s = DEFAULT in an UPDATE of \"%s\" that reads local data "
			                              "is not supported; set the value itself",
			                              column.Name(), catalog.GetName());
		}
		auto name = "v" + std::to_string(i);
		write.names.push_back(name);
		write.projection.push_back(expression->Copy());
		assignments.push_back(Quote(column.Name()) + " = " + STAGED_ALIAS + "." + name);
	}
	write.sql = "UPDATE " + TableSql(op.table) + " SET " + StringUtil::Join(assignments, ", ") + " FROM " +
	            StagedRowsSql() + RowIdMatch(op.table) + ReturningSql(op.return_chunk);
	return Stage(planner, catalog, op, plan, std::move(write));
}

PhysicalOperator &WritePlanner::MergeInto(ClientContext &context, PhysicalPlanGenerator &planner,
                                          OpenDuckCatalog &catalog, LogicalMergeInto &op) {
	auto parsed = CurrentStatement(context, StatementType::INSERT_STATEMENT);
	auto sql = ForwardedSql(context, catalog, parsed.get());
	if (sql.empty()) {
		throw NotImplementedException(
		    "openduck: INSERT … ON CONFLICT into \"%s\" runs on the server, so its rows must come from tables of "
		    "that database: load local rows into a cloud table first (CREATE TABLE %s.… AS SELECT …), then upsert "
		    "from it (MERGE INTO is not supported through ATTACH)",
		    catalog.GetName(), catalog.GetName());
	}
	RemoteWritePlan write;
	write.sql = std::move(sql);
	if (op.return_chunk) {
		write.unanswered_columns = op.types.size() - op.table.GetColumns().PhysicalColumnCount();
	}
	return planner.Make<PhysicalRemoteWrite>(op.types, catalog, std::move(write), op.estimated_cardinality);
}

PhysicalOperator &WritePlanner::Delete(ClientContext &context, PhysicalPlanGenerator &planner,
                                       OpenDuckCatalog &catalog, LogicalDelete &op, PhysicalOperator &plan) {
	auto parsed = CurrentStatement(context, StatementType::DELETE_STATEMENT);
	auto sql = ForwardedSql(context, catalog, parsed.get());
	if (!sql.empty()) {
		return Forward(planner, catalog, op, std::move(sql), false);
	}
	auto write = RowIdWrite(op.expressions[0]->Copy());
	write.sql = "DELETE FROM " + TableSql(op.table) + " USING " + StagedRowsSql() + RowIdMatch(op.table) +
	            ReturningSql(op.return_chunk);
	return Stage(planner, catalog, op, plan, std::move(write));
}

} // namespace openduck
