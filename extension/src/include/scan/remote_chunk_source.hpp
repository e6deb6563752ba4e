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
	//! Sends `request` right away and receives its answer on a background thread. With `expected` types, rows
	//! arrive cast to them where the remote answer differs (an empty result says nothing of its ENUM columns'
	//! values, for one, and reads back as VARCHAR).
	RemoteChunkSource(std::shared_ptr<RemoteDatabase> remote, ExecuteQueryRequest request,
	                  duckdb::vector<duckdb::LogicalType> expected = {});

	//! The result's columns (the expected ones if given); the first call waits for the first rows.
	const duckdb::vector<duckdb::LogicalType> &Types(duckdb::ClientContext &context);
	const duckdb::vector<std::string> &Names(duckdb::ClientContext &context);
	//! The answer's header (waits for it): snapshot, statement type, schema, transaction token.
	const ExecuteQueryResponse &Header(duckdb::ClientContext &context);
	//! Fills `output` (initialized with Types()) with the next rows; false at the end of the result. The column
	//! count must be as expected (checked).
	bool Next(duckdb::ClientContext &context, duckdb::DataChunk &output);

	const std::string &Sql() const {
		return sql;
	}
	//! Percentage done as the server reports it, or -1 when unknown.
	double Progress() const;
	//! `on_header` runs with the answer's header before anything of it is handed out (a read at the head settles
	//! its transaction's snapshot so); `abandon` runs instead if no answer came.
	void OnHeader(std::function<void(duckdb::ClientContext &, const ExecuteQueryResponse &)> on_header,
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
	std::function<void(duckdb::ClientContext &, const ExecuteQueryResponse &)> on_header;
	std::function<void()> abandon;
};

} // namespace openduck
