//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// functions/inner_query.hpp
//
// Runs SQL on a connection of its own, step by step, on behalf of a table function.
//===----------------------------------------------------------------------===//

#pragma once

#include "duckdb.hpp"
#include "duckdb/common/progress_bar/progress_bar.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace openduck {

//! A table function cannot run SQL on the ClientContext that is executing it, so the SQL runs on a second
//! Connection to the same DatabaseInstance (database-level settings such as enable_external_access apply to it
//! too). The calling thread drives execution itself, one task at a time, which keeps it able to notice that the
//! outer query was interrupted and to report progress while the inner query works.
class InnerQuery {
public:
	enum class Step { CHUNK, FINISHED, DEADLINE };

	//! `settings` (name, value) apply to the inner connection only, e.g. ("TimeZone", "Europe/Berlin"): the caller's
	//! session settings, forwarded so the SQL answers as it would there. They are applied as SET would, but also
	//! under lock_configuration (which the worker's sandbox turns on): the configuration stays locked for SQL.
	//! `staged` (upload id -> part files) are the staged rows the SQL may read with openduck_staged.
	InnerQuery(duckdb::ClientContext &outer, duckdb::string sql,
	           const duckdb::vector<std::pair<duckdb::string, duckdb::string>> &settings = {},
	           const std::unordered_map<duckdb::string, duckdb::vector<duckdb::string>> &staged = {});
	~InnerQuery();

	//! Runs every statement but the last to completion (discarding results) and starts the last one.
	//! Errors are rethrown with DuckDB's own type and message.
	void Start();
	//! Advances the last statement until a chunk is available, the result is exhausted or `deadline` passed.
	Step Fetch(std::chrono::steady_clock::time_point deadline, duckdb::unique_ptr<duckdb::DataChunk> &chunk);

	duckdb::ClientContext &Context() {
		return *connection->context;
	}
	const duckdb::vector<duckdb::LogicalType> &Types() const {
		return types;
	}
	const duckdb::vector<duckdb::string> &Names() const {
		return names;
	}
	duckdb::StatementType GetStatementType() const {
		return statement_type;
	}
	duckdb::StatementReturnType GetReturnType() const {
		return return_type;
	}
	duckdb::QueryProgress Progress() {
		return connection->context->GetQueryProgress();
	}

private:
	void Begin(duckdb::unique_ptr<duckdb::SQLStatement> statement);
	//! The watchdog thread: interrupts the inner connection as soon as the outer query is interrupted.
	void Watch();
	//! Stops the inner query and throws if the outer query was interrupted.
	void CheckInterrupted();
	[[noreturn]] static void Rethrow(const duckdb::ErrorData &error);

	duckdb::ClientContext &outer;
	duckdb::string sql;
	duckdb::unique_ptr<duckdb::Connection> connection;
	duckdb::unique_ptr<duckdb::PendingQueryResult> pending;
	duckdb::unique_ptr<duckdb::QueryResult> result;

	duckdb::vector<duckdb::LogicalType> types;
	duckdb::vector<duckdb::string> names;
	duckdb::StatementType statement_type = duckdb::StatementType::INVALID_STATEMENT;
	duckdb::StatementReturnType return_type = duckdb::StatementReturnType::NOTHING;

	std::mutex watch_lock;
	std::condition_variable watch_changed;
	bool watch_stop = false;
	std::thread watchdog;
};

} // namespace openduck
