//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// functions/staged_rows_function.hpp
//
// openduck_staged(upload_id): the rows a client staged for the query (StageRows), read from the Arrow IPC files the
// worker fetched for it.
//===----------------------------------------------------------------------===//

#pragma once

#include "duckdb.hpp"
#include "duckdb/main/client_context_state.hpp"

namespace openduck {

//! The staged uploads one inner query may read: upload id -> its part files, in order. Registered on the inner
//! connection only, by the worker that fetched the files: SQL can read exactly these files and no others (the
//! sandbox keeps host files away from it otherwise).
class StagedRows : public duckdb::ClientContextState {
public:
	static constexpr const char *KEY = "openduck_staged";

	explicit StagedRows(std::unordered_map<std::string, duckdb::vector<std::string>> uploads_p)
	    : uploads(std::move(uploads_p)) {
	}

	//! The part files of `upload_id`; throws when this query was given no such upload.
	const duckdb::vector<std::string> &Parts(const std::string &upload_id) const;

private:
	std::unordered_map<std::string, duckdb::vector<std::string>> uploads;
};

struct StagedRowsFunction {
	static duckdb::TableFunction GetFunction();
};

} // namespace openduck
