//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// pushdown/remote_statement_writer.hpp
//
// Rewrites a parsed statement so that it runs on the remote side, or finds that it cannot.
//===----------------------------------------------------------------------===//

#pragma once

#include "duckdb.hpp"
#include "duckdb/parser/query_node.hpp"
#include "duckdb/parser/sql_statement.hpp"

namespace openduck {

//! References to the attached catalog lose the catalog name (the remote database is the default one there).
//! Anything the remote side may not know (other catalogs' tables, local names, table functions, functions DuckDB
//! does not define itself) makes the statement stay local: `ok` turns false.
class RemoteStatementWriter {
public:
	RemoteStatementWriter(duckdb::ClientContext &context, const std::string &catalog_name);

	bool ok = true;

	void VisitNode(duckdb::QueryNode &node);
	//! SELECT, INSERT, UPDATE, DELETE and CREATE TABLE ... AS; any other statement fails.
	void VisitStatement(duckdb::SQLStatement &statement);
	void VisitExpression(duckdb::ParsedExpression &expression);
	//! A table reference with everything in it (joins, subqueries).
	void VisitTableRef(duckdb::TableRef &ref);
	//! A (catalog, schema) pair naming the attached catalog's objects, rewritten for the remote side.
	void VisitName(std::string &catalog, std::string &schema);

private:
	//! One table reference, not its children.
	void VisitRef(duckdb::TableRef &ref);
	void VisitCtes(duckdb::CommonTableExpressionMap &ctes);
	//! Whether DuckDB itself defines the function (scalar, aggregate or macro), so the remote side has it too.
	bool IsBuiltin(const std::string &name);

	duckdb::ClientContext &context;
	std::string catalog_name;
	duckdb::case_insensitive_set_t cte_names;
};

//! `RETURNING *`: a write planned here returns the whole rows and the plan computes the RETURNING list from them.
void ReturnWholeRows(duckdb::vector<duckdb::unique_ptr<duckdb::ParsedExpression>> &returning_list);

} // namespace openduck
