//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// storage/remote_database.hpp
//
// One attached OpenDuck database: where it is, and the HTTP connections to it.
//===----------------------------------------------------------------------===//

#pragma once

#include "remote/connect_client.hpp"
#include "remote/object_client.hpp"
#include "storage/attach_parameters.hpp"

#include "duckdb/common/types/column/column_data_collection.hpp"

#include <atomic>
#include <memory>
#include <mutex>

namespace openduck {

//! A whole result fetched into memory: for catalog queries and other small answers.
struct RemoteRows {
	std::string snapshot_id;
	//! The server-side transaction's token for its next statement, if the request ran in one.
	std::string transaction;
	duckdb::vector<std::string> names;
	duckdb::unique_ptr<duckdb::ColumnDataCollection> rows;
};

class RemoteDatabase : public std::enable_shared_from_this<RemoteDatabase> {
public:
	explicit RemoteDatabase(AttachParameters parameters);

	const AttachParameters &Parameters() const {
		return parameters;
	}

	//! A client for one request at a time; give it back with Release so its connection is reused.
	std::unique_ptr<ConnectClient> Acquire();
	void Release(std::unique_ptr<ConnectClient> client);

	//! Sends `request` (its database is filled in) and returns every row of the answer. Remote errors become DuckDB
	//! exceptions.
	RemoteRows Fetch(duckdb::ClientContext &context, ExecuteQueryRequest request);
	//! Sends `request` and returns the answer as it is (a write's answer is always complete). Interrupting
	//! `context` cancels the call.
	ExecuteQueryResponse Execute(duckdb::ClientContext &context, ExecuteQueryRequest request);
	//! Stages one part of an upload (its database is filled in).
	void Stage(duckdb::ClientContext &context, StageRowsRequest request);
	//! Presigned URLs to PUT parts first_part … first_part + count - 1 of an upload to, or none when the server
	//! takes parts only through Stage (remembered for later uploads).
	std::vector<std::string> PrepareStagedParts(duckdb::ClientContext &context, const std::string &upload_id,
	                                            uint32_t first_part, uint32_t count);
	//! PUTs one part to a URL from PrepareStagedParts.
	void PutStagedPart(duckdb::ClientContext &context, ObjectClient &objects, const std::string &url,
	                   const std::string &part);

private:
	AttachParameters parameters;
	std::mutex lock;
	std::vector<std::unique_ptr<ConnectClient>> idle;
	//! False once the server said it has no URLs for staged parts.
	std::atomic<bool> presigned_staging {true};
};

//! Turns a RemoteError into the DuckDB exception a user expects (never mentioning the token).
[[noreturn]] void ThrowRemoteError(const RemoteError &error, const AttachParameters &parameters);

} // namespace openduck
