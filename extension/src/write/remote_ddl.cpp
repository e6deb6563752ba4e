#include "write/remote_ddl.hpp"

#include "pushdown/remote_statement_writer.hpp"
#include "storage/openduck_transaction.hpp"

#include "duckdb/common/exception.hpp"
#include "duckdb/parser/keyword_helper.hpp"
#include "duckdb/parser/parsed_data/alter_table_info.hpp"
#include "duckdb/parser/parsed_data/create_view_info.hpp"
#include "duckdb/parser/statement/select_statement.hpp"

namespace openduck {

using namespace duckdb;

namespace {

void Run(ClientContext &context, Catalog &catalog, string sql) {
	RemoteWrite write;
	write.sql = std::move(sql);
	write.changes_catalog = true;
	OpenDuckTransaction::Get(context, catalog).Write(context, std::move(write));
}

//! DuckDB 1.4 cannot print ADD COLUMN (its column definition) back as SQL.
string AddColumnSql(const AddColumnInfo &info) {
	auto &column = info.new_column;
	if (column.Generated()) {
		throw NotImplementedException("openduck: generated columns cannot be added to OpenDuck tables");
	}
	string sql = "ALTER TABLE ";
	if (info.if_not_found == OnEntryNotFound::RETURN_NULL) {
		sql += "IF EXISTS ";
	}
	if (!info.schema.empty()) {
		sql += KeywordHelper::WriteQuoted(info.schema, '"') + ".";
	}
	sql += KeywordHelper::WriteQuoted(info.name, '"') + " ADD COLUMN ";
	if (info.if_column_not_exists) {
		sql += "IF NOT EXISTS ";
	}
	sql += KeywordHelper::WriteQuoted(column.Name(), '"') + " " + column.Type().ToString();
	if (column.HasDefaultValue()) {
		sql += " DEFAULT " + column.DefaultValue().ToString();
	}
	return sql;
}

} // namespace

void RemoteDdl::Create(CatalogTransaction transaction, Catalog &catalog, const CreateInfo &info) {
	auto copy = info.Copy();
	copy->catalog.clear();
	if (copy->temporary) {
		throw BinderException("openduck: temporary objects live in the local session, not in \"%s\"",
		                      catalog.GetName());
	}
	if (copy->type == CatalogType::VIEW_ENTRY) {
		// The view's query runs on the server: it may only read that database.
		auto &view = copy->Cast<CreateViewInfo>();
		RemoteStatementWriter writer(transaction.GetContext(), catalog.GetName());
		writer.VisitNode(*view.query->node);
		if (!writer.ok) {
			throw BinderException("openduck: a view in \"%s\" runs on the server, so it may only read tables of that "
			                      "database and DuckDB's own functions",
			                      catalog.GetName());
		}
	}
	string sql;
	try {
		sql = copy->ToString();
	} catch (NotImplementedException &) {
		Refuse(catalog, CatalogTypeToString(copy->type));
	}
	Run(transaction.GetContext(), catalog, std::move(sql));
}

void RemoteDdl::Alter(CatalogTransaction transaction, Catalog &catalog, const AlterInfo &info) {
	auto copy = info.Copy();
	copy->catalog.clear();
	auto is_add_column = copy->type == AlterType::ALTER_TABLE &&
	                     copy->Cast<AlterTableInfo>().alter_table_type == AlterTableType::ADD_COLUMN;
	Run(transaction.GetContext(), catalog,
	    is_add_column ? AddColumnSql(copy->Cast<AddColumnInfo>()) : copy->ToString());
}

void RemoteDdl::Drop(ClientContext &context, Catalog &catalog, const DropInfo &info) {
	auto copy = info.Copy();
	copy->catalog.clear();
	Run(context, catalog, copy->ToString());
}

void RemoteDdl::Refuse(Catalog &catalog, const string &what) {
	throw NotImplementedException("openduck: cannot create a %s in OpenDuck database \"%s\"", what,
	                              catalog.GetName());
}

} // namespace openduck
