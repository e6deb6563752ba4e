//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// scan/remote_chunk_source.hpp
//
// The rows of one remote query as DuckDB DataChunks of the exact types the remote side produced.
//===----------------------------------------------------------------------===//

#pragma once

#include "arrow_ipc/ipc_chunk_decoder.hpp"
#include "scan/remote_result_stream.hpp"

namespace openduck {

class RemoteChunkSource {
public:
	//! Starts running `sql` at `snapshot` (empty: the head) right away, on a background thread. With `expected`
	//! types, rows arrive cast to them where the remote answer differs (an empty result says nothing of its ENUM
	//! columns' values, for one, and reads back as VARCHAR). `options` go with the request (session settings).
	RemoteChunkSource(std::shared_ptr<RemoteDatabase> remote, std::string sql, std::string snapshot,
	                  duckdb::vector<duckdb::LogicalType> expected = {}, QueryOptions options = {});

	//! The result's columns (the expected ones if given); the first call waits for the first rows.
	const duckdb::vector<duckdb::LogicalType> &Types(duckdb::ClientContext &context);
	const duckdb::vector<std::string> &Names(duckdb::ClientContext &context);
	//! The snapshot the query read.
	const std::string &SnapshotId(duckdb::ClientContext &context);
	//! Fills `output` (initialized with Types()) with the next rows; false at the end of the result. The column
	//! count must be as expected (checked).
	bool Next(duckdb::ClientContext &context, duckdb::DataChunk &output);

	const std::string &Sql() const {
		return sql;
	}
	//! Percentage done as the server reports it, or -1 when unknown.
	double Progress() const;
	//! For a read at the head that settles a transaction's snapshot: `resolve` runs with the snapshot the answer
	//! read before any row is handed out; `abandon` runs instead if no answer came.
	void OnSnapshot(std::function<void(duckdb::ClientContext &, const std::string &)> resolve,
	                std::function<void()> abandon);
	~RemoteChunkSource();

private:
	IpcChunkDecoder &Decoder(duckdb::ClientContext &context);

	std::string sql;
	duckdb::vector<duckdb::LogicalType> expected;
	RemoteResultStream stream;
	duckdb::unique_ptr<IpcChunkDecoder> decoder;
	//! Rows as received, when they need a cast into the expected types.
	duckdb::unique_ptr<duckdb::DataChunk> received;
	bool done = false;
	std::function<void(duckdb::ClientContext &, const std::string &)> resolve;
	std::function<void()> abandon;
};

} // namespace openduck
