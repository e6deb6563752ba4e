#include "storage/snapshot_catalog.hpp"

#include "duckdb/common/exception.hpp"
#include "duckdb/parser/constraints/not_null_constraint.hpp"
#include "duckdb/parser/constraints/unique_constraint.hpp"
#include "duckdb/parser/parsed_data/create_schema_info.hpp"
#include "duckdb/parser/parsed_data/create_table_info.hpp"

namespace openduck {

using namespace duckdb;

namespace {

//! One row per schema, per column of every table and view (in column order) and per primary key column. Types come
//! as DuckDB writes them (duckdb_columns().data_type) and are parsed back here; a named type (CREATE TYPE) is
//! printed as its definition, so every type parses without the remote catalog.
const char *const CATALOG_QUERY = R"(
SELECT 'schema' AS kind, schema_name, NULL::VARCHAR AS table_name, NULL::VARCHAR AS column_name,
       NULL::VARCHAR AS data_type, NULL::BOOLEAN AS not_null, 0 AS position, NULL::BIGINT AS estimated_rows
FROM duckdb_schemas()
WHERE database_name = current_database() AND schema_name NOT IN ('information_schema', 'pg_catalog')
UNION ALL
SELECT CASE WHEN v.view_name IS NULL THEN 'table' ELSE 'view' END, c.schema_name, c.table_name, c.column_name,
       c.data_type, NOT c.is_nullable, c.column_index, t.estimated_size
FROM duckdb_columns() c
LEFT JOIN duckdb_views() v
  ON v.database_name = c.database_name AND v.schema_name = c.schema_name AND v.view_name = c.table_name
LEFT JOIN duckdb_tables() t
  ON t.database_name = c.database_name AND t.schema_name = c.schema_name AND t.table_name = c.table_name
WHERE c.database_name = current_database() AND NOT c.internal
UNION ALL
SELECT 'key', schema_name, table_name, unnest(constraint_column_names), NULL, NULL, constraint_index, NULL
FROM duckdb_constraints()
WHERE database_name = current_database() AND constraint_type = 'PRIMARY KEY'
ORDER BY kind DESC, schema_name, table_name, position
)";

struct TableDefinition {
	string schema;
	bool is_view = false;
	//! Rows as the remote side estimates them (views: unknown).
	optional_idx estimated_rows;
	unique_ptr<CreateTableInfo> info;
};

} // namespace

std::shared_ptr<SnapshotCatalog> SnapshotCatalog::Load(ClientContext &context, Catalog &catalog, RemoteDatabase &remote,
                                                       ExecuteQueryRequest scope) {
	scope.sql = CATALOG_QUERY;
	auto fetched = remote.Fetch(context, std::move(scope));
	auto result = std::make_shared<SnapshotCatalog>();
	result->snapshot_id = fetched.snapshot_id;

	// Rows come ordered by kind descending (view, table, schema, key: keys after their tables), columns in order.
	vector<TableDefinition> tables;
	case_insensitive_map_t<idx_t> table_index;
	case_insensitive_map_t<vector<string>> keys;
	for (auto &chunk : fetched.rows->Chunks()) {
		for (idx_t row = 0; row < chunk.size(); row++) {
			auto kind = chunk.GetValue(0, row).ToString();
			auto schema = chunk.GetValue(1, row).ToString();
			if (kind == "schema") {
				CreateSchemaInfo info;
				info.schema = schema;
				info.internal = false;
				result->schemas[schema] = make_uniq<OpenDuckSchemaEntry>(catalog, info);
				continue;
			}
			auto table = chunk.GetValue(2, row).ToString();
			auto key = schema + "." + table;
			auto &signature = result->signatures[key];
			for (idx_t column : {0, 3, 4, 5, 6}) {
				signature += chunk.GetValue(column, row).ToString();
				signature += '\x1f';
			}
			signature += '\x1e';
			if (kind == "key") {
				keys[key].push_back(chunk.GetValue(3, row).ToString());
				continue;
			}
			auto found = table_index.find(key);
			if (found == table_index.end()) {
				TableDefinition definition;
				definition.schema = schema;
				definition.is_view = kind == "view";
				auto estimate = chunk.GetValue(7, row);
				if (!estimate.IsNull()) {
					definition.estimated_rows = estimate.GetValue<idx_t>();
				}
				definition.info = make_uniq<CreateTableInfo>(catalog.GetName(), schema, table);
				found = table_index.emplace(key, tables.size()).first;
				tables.push_back(std::move(definition));
			}
			auto &info = *tables[found->second].info;
			auto column_name = chunk.GetValue(3, row).ToString();
			auto type_text = chunk.GetValue(4, row).ToString();
			LogicalType type;
			try {
				type = TransformStringToLogicalType(type_text);
			} catch (std::exception &) {
				throw IOException("openduck: column \"%s\" of \"%s\" has type %s, which this DuckDB cannot read",
				                  column_name, key, type_text);
			}
			auto index = info.columns.LogicalColumnCount();
			info.columns.AddColumn(ColumnDefinition(column_name, type));
			if (chunk.GetValue(5, row).GetValue<bool>()) {
				info.constraints.push_back(make_uniq<NotNullConstraint>(LogicalIndex(index)));
			}
		}
	}
	for (auto &key : keys) {
		auto found = table_index.find(key.first);
		if (found != table_index.end()) {
			tables[found->second].info->constraints.push_back(make_uniq<UniqueConstraint>(key.second, true));
		}
	}
	for (auto &definition : tables) {
		auto schema = result->schemas.find(definition.schema);
		if (schema == result->schemas.end()) {
			continue;
		}
		schema->second->AddTable(
		    make_uniq<OpenDuckTableEntry>(catalog, *schema->second, *definition.info, definition.is_view,
		                                  definition.estimated_rows, remote.shared_from_this(), result->snapshot_id));
	}
	return result;
}

bool SnapshotCatalog::SameTables(const SnapshotCatalog &other, const vector<string> &names) const {
	for (auto &name : names) {
		auto mine = signatures.find(name);
		auto theirs = other.signatures.find(name);
		auto found = mine != signatures.end();
		if (found != (theirs != other.signatures.end()) || (found && mine->second != theirs->second)) {
			return false;
		}
	}
	return true;
}

optional_ptr<OpenDuckSchemaEntry> SnapshotCatalog::GetSchema(const string &name) {
	auto entry = schemas.find(name);
	if (entry == schemas.end()) {
		return nullptr;
	}
	return entry->second.get();
}

void SnapshotCatalog::Scan(const std::function<void(SchemaCatalogEntry &)> &callback) {
	for (auto &schema : schemas) {
		callback(*schema.second);
	}
}

} // namespace openduck
