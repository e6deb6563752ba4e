#include "functions/inner_query.hpp"

#include "functions/staged_rows_function.hpp"

#include "duckdb/catalog/catalog_search_path.hpp"
#include "duckdb/main/client_config.hpp"
#include "duckdb/main/config.hpp"
#include "duckdb/main/client_data.hpp"
#include "duckdb/main/client_context.hpp"
#include "duckdb/main/stream_query_result.hpp"
#include "duckdb/parser/parsed_data/create_table_info.hpp"
#include "duckdb/parser/statement/create_statement.hpp"
#include "duckdb/parser/statement/multi_statement.hpp"

#include <thread>

namespace openduck {

using namespace duckdb;

// Interruption: the calling thread runs the inner query's tasks itself through
// PendingQueryResult/StreamQueryResult::ExecuteTask and checks the outer context's interrupted flag between calls.
// One call can take long, though: a partial task runs a bounded number of chunks, and a chunk of a nested-loop join
// can take a second. So a watchdog thread also passes the outer interrupt on to the inner connection at once
// (within WATCH_INTERVAL); DuckDB's operators check the inner flag often, on every thread running the query.

namespace {

//! What `SET name = value` does for an extension's setting (TimeZone and Calendar belong to ICU), without the
//! configuration lock check.
void ApplySessionSetting(ClientContext &context, const string &name, const string &value) {
	auto &config = DBConfig::GetConfig(context);
	auto option = config.extension_parameters.find(name);
	if (option == config.extension_parameters.end()) {
		throw InvalidInputException("the session setting %s is not available on this server", name);
	}
	try {
		auto target = Value(value).CastAs(context, option->second.type);
		if (option->second.set_function) {
			option->second.set_function(context, SetScope::SESSION, target);
		}
		ClientConfig::GetConfig(context).set_variables[name] = std::move(target);
	} catch (std::exception &ex) {
		ErrorData error(ex);
		throw InvalidInputException("session setting %s: %s", name, error.RawMessage());
	}
}

} // namespace

//! How often the watchdog looks at the outer context's interrupted flag.
constexpr auto WATCH_INTERVAL = std::chrono::milliseconds(20);

InnerQuery::InnerQuery(ClientContext &outer_p, string sql_p, const vector<std::pair<string, string>> &settings,
                       const std::unordered_map<string, vector<string>> &staged)
    : outer(outer_p), sql(std::move(sql_p)) {
	connection = make_uniq<Connection>(DatabaseInstance::GetDatabase(outer));
	// The SQL was written for the caller's session: unqualified names resolve where they would there (the
	// caller's USE), not in the instance's default database.
	auto &caller_path = ClientData::Get(outer).catalog_search_path->GetSetPaths();
	if (!caller_path.empty()) {
		ClientData::Get(*connection->context).catalog_search_path->Set(caller_path, CatalogSetPathType::SET_DIRECTLY);
	}
	// DuckDB only tracks a query's progress while a progress bar is enabled; it is never printed.
	auto &config = ClientConfig::GetConfig(*connection->context);
	config.enable_progress_bar = true;
	config.print_progress_bar = false;
	for (auto &setting : settings) {
		ApplySessionSetting(*connection->context, setting.first, setting.second);
	}
	if (!staged.empty()) {
		connection->context->registered_state->GetOrCreate<StagedRows>(StagedRows::KEY, staged);
	}
	watchdog = std::thread([this]() { Watch(); });
}

void InnerQuery::Watch() {
	std::unique_lock<std::mutex> guard(watch_lock);
	while (!watch_stop) {
		if (outer.interrupted) {
			connection->Interrupt();
			return;
		}
		watch_changed.wait_for(guard, WATCH_INTERVAL);
	}
}

InnerQuery::~InnerQuery() {
	{
		std::lock_guard<std::mutex> guard(watch_lock);
		watch_stop = true;
	}
	watch_changed.notify_all();
	watchdog.join();
	// An unfinished query (LIMIT on the outer query, an error, destruction) is cancelled rather than run to the end:
	// interrupting first makes worker threads drop its tasks at their next chunk.
	if (pending || result) {
		connection->Interrupt();
	}
	result.reset();
	pending.reset();
	connection.reset();
}

void InnerQuery::Rethrow(const ErrorData &error) {
	// The inner context already formatted the message (including its "LINE n:" excerpt of the statement). Its
	// position refers to the inner SQL, so it is dropped; otherwise the outer context would render a second excerpt
	// of the wrong query text. Type and message pass through unchanged.
	auto extra_info = error.ExtraInfo();
	extra_info.erase("position");
	throw Exception(error.Type(), error.RawMessage(), extra_info);
}

void InnerQuery::CheckInterrupted() {
	if (outer.interrupted) {
		connection->Interrupt();
		throw InterruptException();
	}
}

// The SQL comes from remote users. Database-level settings (enable_external_access, lock_configuration) keep it
// away from host files, the network and configuration; these statements would still reach beyond the one
// database it was given (an in-memory ATTACH, DETACH of the database itself) or load code (a built-in
// extension), so they are refused before anything runs.
static void RefuseOutsideAccess(const SQLStatement &statement) {
	switch (statement.type) {
	case StatementType::ATTACH_STATEMENT:
		throw PermissionException("ATTACH is not allowed in OpenDuck's remote SQL: a query sees only its own database");
	case StatementType::DETACH_STATEMENT:
		throw PermissionException("DETACH is not allowed in OpenDuck's remote SQL");
	case StatementType::COPY_DATABASE_STATEMENT:
		throw PermissionException("COPY FROM DATABASE is not allowed in OpenDuck's remote SQL");
	case StatementType::LOAD_STATEMENT:
	case StatementType::UPDATE_EXTENSIONS_STATEMENT:
		throw PermissionException(
		    "INSTALL and LOAD are not allowed in OpenDuck's remote SQL: the server decides which extensions run");
	case StatementType::MULTI_STATEMENT:
		for (auto &inner : statement.Cast<MultiStatement>().statements) {
			RefuseOutsideAccess(*inner);
		}
		return;
	default:
		return;
	}
}

void InnerQuery::Start() {
	vector<unique_ptr<SQLStatement>> statements;
	try {
		statements = connection->ExtractStatements(sql);
	} catch (std::exception &ex) {
		Rethrow(ErrorData(ex));
	}
	if (statements.empty()) {
		throw InvalidInputException("openduck_arrow_ipc: the SQL text holds no statement");
	}
	for (auto &statement : statements) {
		RefuseOutsideAccess(*statement);
	}
	for (idx_t i = 0; i + 1 < statements.size(); i++) {
		Begin(std::move(statements[i]));
		unique_ptr<DataChunk> discarded;
		while (Fetch(std::chrono::steady_clock::time_point::max(), discarded) != Step::FINISHED) {
		}
	}
	Begin(std::move(statements.back()));
}

//! CREATE TABLE ... AS reports NOTHING as its return type yet returns the number of rows it inserted, as INSERT
//! does; callers want that count as the rows the statement changed.
static bool CreatesTableFromQuery(const SQLStatement &statement) {
	if (statement.type != StatementType::CREATE_STATEMENT) {
		return false;
	}
	auto &info = *statement.Cast<CreateStatement>().info;
	return info.type == CatalogType::TABLE_ENTRY && info.Cast<CreateTableInfo>().query;
}

void InnerQuery::Begin(unique_ptr<SQLStatement> statement) {
	CheckInterrupted();
	auto changes_rows = CreatesTableFromQuery(*statement);
	try {
		pending = connection->PendingQuery(std::move(statement), true);
	} catch (std::exception &ex) {
		Rethrow(ErrorData(ex));
	}
	if (pending->HasError()) {
		Rethrow(pending->GetErrorObject());
	}
	types = pending->types;
	names = pending->names;
	statement_type = pending->statement_type;
	return_type = changes_rows ? StatementReturnType::CHANGED_ROWS : pending->properties.return_type;
}

InnerQuery::Step InnerQuery::Fetch(std::chrono::steady_clock::time_point deadline, unique_ptr<DataChunk> &chunk) {
	while (true) {
		CheckInterrupted();
		if (pending) {
			auto state = pending->ExecuteTask();
			if (state == PendingExecutionResult::EXECUTION_ERROR) {
				Rethrow(pending->GetErrorObject());
			}
			if (PendingQueryResult::IsResultReady(state)) {
				// Streaming statements are ready once their result collector has data; others when they finished.
				result = pending->Execute();
				pending.reset();
				if (result->HasError()) {
					Rethrow(result->GetErrorObject());
				}
			} else if (state == PendingExecutionResult::BLOCKED) {
				pending->WaitForTask();
			} else if (state == PendingExecutionResult::NO_TASKS_AVAILABLE) {
				// Worker threads hold all runnable tasks; let them have the core.
				std::this_thread::yield();
			}
		} else if (!result) {
			return Step::FINISHED;
		} else if (result->type == QueryResultType::STREAM_RESULT) {
			auto &stream = result->Cast<StreamQueryResult>();
			auto state = stream.ExecuteTask();
			if (state == StreamExecutionResult::BLOCKED) {
				stream.WaitForTask();
			} else if (StreamQueryResult::IsChunkReady(state)) {
				if (state == StreamExecutionResult::EXECUTION_ERROR || stream.HasError()) {
					Rethrow(stream.GetErrorObject());
				}
				if (state == StreamExecutionResult::EXECUTION_CANCELLED) {
					throw InternalException("openduck_arrow_ipc: the inner query was cancelled");
				}
				// Does not block: a chunk is buffered or execution finished.
				chunk = stream.Fetch();
				if (stream.HasError()) {
					Rethrow(stream.GetErrorObject());
				}
				if (!chunk || chunk->size() == 0) {
					result.reset();
					return Step::FINISHED;
				}
				return Step::CHUNK;
			}
		} else {
			// Statements that cannot stream (INSERT ... RETURNING, EXPLAIN, ...) come back materialized by DuckDB.
			chunk = result->Fetch();
			if (!chunk || chunk->size() == 0) {
				result.reset();
				return Step::FINISHED;
			}
			return Step::CHUNK;
		}
		if (std::chrono::steady_clock::now() >= deadline) {
			return Step::DEADLINE;
		}
	}
}

} // namespace openduck
