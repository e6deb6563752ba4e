#include "pushdown/statement_pushdown.hpp"

#include "pushdown/remote_statement_writer.hpp"
#include "scan/forwarded_settings.hpp"
#include "scan/remote_query.hpp"
#include "scan/remote_scan.hpp"
#include "storage/openduck_transaction.hpp"

#include "duckdb/catalog/catalog.hpp"
#include "duckdb/main/client_context.hpp"
#include "duckdb/optimizer/optimizer.hpp"
#include "duckdb/parser/parser.hpp"
#include "duckdb/parser/query_node.hpp"
#include "duckdb/parser/statement/explain_statement.hpp"
#include "duckdb/parser/statement/select_statement.hpp"
#include "duckdb/planner/binder.hpp"
#include "duckdb/planner/operator/logical_get.hpp"

#include <unordered_map>

namespace openduck {

using namespace duckdb;

namespace {

//! The one remote scan source every table of the plan reads, if there is one.
struct RemoteSource {
	optional_ptr<RemoteScanBindData> first;
	bool pushable = true;
	//! Every remote table read ("schema.table").
	vector<string> tables;
};

void FindSource(LogicalOperator &op, RemoteSource &source) {
	switch (op.type) {
	case LogicalOperatorType::LOGICAL_GET: {
		auto &get = op.Cast<LogicalGet>();
		if (get.function.name != "openduck_scan" || !get.bind_data) {
			source.pushable = false;
			return;
		}
		auto &bind = get.bind_data->Cast<RemoteScanBindData>();
		if (source.first && (source.first->remote != bind.remote || source.first->snapshot_id != bind.snapshot_id)) {
			source.pushable = false;
			return;
		}
		source.first = &bind;
		source.tables.push_back(bind.schema + "." + bind.table);
		break;
	}
	case LogicalOperatorType::LOGICAL_INSERT:
	case LogicalOperatorType::LOGICAL_UPDATE:
	case LogicalOperatorType::LOGICAL_DELETE:
	case LogicalOperatorType::LOGICAL_MERGE_INTO:
	case LogicalOperatorType::LOGICAL_CREATE_TABLE:
	case LogicalOperatorType::LOGICAL_COPY_TO_FILE:
	case LogicalOperatorType::LOGICAL_PREPARE:
	case LogicalOperatorType::LOGICAL_EXECUTE:
		source.pushable = false;
		return;
	default:
		break;
	}
	for (auto &child : op.children) {
		FindSource(*child, source);
		if (!source.pushable) {
			return;
		}
	}
}

//! The SQL to send for the statement being planned, or an empty string when it must stay local.
string RemoteSql(ClientContext &context, const string &catalog_name, bool explain) {
	Parser parser(context.GetParserOptions());
	try {
		parser.ParseQuery(context.GetCurrentQuery());
	} catch (std::exception &) {
		return string();
	}
	if (parser.statements.size() != 1) {
		return string();
	}
	auto statement = std::move(parser.statements[0]);
	if (explain) {
		if (statement->type != StatementType::EXPLAIN_STATEMENT) {
			return string();
		}
		statement = std::move(statement->Cast<ExplainStatement>().stmt);
	}
	if (statement->type != StatementType::SELECT_STATEMENT || !statement->named_param_map.empty()) {
		return string();
	}
	auto &select = statement->Cast<SelectStatement>();
	RemoteStatementWriter writer(context, catalog_name);
	writer.VisitNode(*select.node);
	return writer.ok ? select.ToString() : string();
}

//! Replaces the plan by one openduck_query when the whole statement can run remotely; true if it did.
bool PushWholeStatement(OptimizerExtensionInput &input, unique_ptr<LogicalOperator> &plan) {
	bool explain = plan->type == LogicalOperatorType::LOGICAL_EXPLAIN;
	auto &root = explain ? plan->children[0] : plan;
	RemoteSource source;
	FindSource(*root, source);
	if (!source.pushable || !source.first) {
		return false;
	}
	if (ChangedUnforwardedSettings(input.context)) {
		return false;
	}
	auto &remote = source.first->remote;
	auto sql = RemoteSql(input.context, source.first->catalog_name, explain);
	if (sql.empty()) {
		return false;
	}
	root->ResolveOperatorTypes();
	auto bind = make_uniq<RemoteQueryBindData>();
	bind->remote = remote;
	bind->catalog = source.first->catalog;
	bind->tables = std::move(source.tables);
	bind->snapshot_id = source.first->snapshot_id;
	bind->sql = std::move(sql);
	bind->types = root->types;
	vector<string> names;
	for (idx_t i = 0; i < root->types.size(); i++) {
		names.push_back("column" + std::to_string(i));
	}
	auto types = root->types;
	auto get = make_uniq<LogicalGet>(input.optimizer.binder.GenerateTableIndex(), RemoteQueryFunction::GetFunction(),
	                                 std::move(bind), std::move(types), std::move(names));
	for (idx_t i = 0; i < root->types.size(); i++) {
		get->AddColumnId(i);
	}
	get->ResolveOperatorTypes();
	root = std::move(get);
	return true;
}

//! The tables each attached database's scans read ("schema.table", one per scan).
void CollectScans(LogicalOperator &op, std::unordered_map<Catalog *, vector<string>> &scans) {
	if (op.type == LogicalOperatorType::LOGICAL_GET) {
		auto &get = op.Cast<LogicalGet>();
		if (get.function.name == "openduck_scan" && get.bind_data) {
			auto &bind = get.bind_data->Cast<RemoteScanBindData>();
			scans[bind.catalog].push_back(bind.schema + "." + bind.table);
		}
	}
	for (auto &child : op.children) {
		CollectScans(*child, scans);
	}
}

//! A transaction's first remote read settles its snapshot (OpenDuckTransaction). When a statement reads one
//! attached database through several scans, they start together, so the snapshot is settled before.
void SettleSharedSnapshots(ClientContext &context, LogicalOperator &plan) {
	std::unordered_map<Catalog *, vector<string>> scans;
	CollectScans(plan, scans);
	for (auto &entry : scans) {
		if (entry.second.size() > 1) {
			OpenDuckTransaction::Get(context, *entry.first).ResolveNow(context, entry.second);
		}
	}
}

void PlanRemoteWork(OptimizerExtensionInput &input, unique_ptr<LogicalOperator> &plan) {
	if (!PushWholeStatement(input, plan)) {
		SettleSharedSnapshots(input.context, *plan);
	}
}

} // namespace

OptimizerExtension StatementPushdown::GetExtension() {
	OptimizerExtension extension;
	extension.pre_optimize_function = PlanRemoteWork;
	return extension;
}

} // namespace openduck
