//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// remote/execution_messages.hpp
//
// The messages of proto/openduck/v1/execution.proto as plain structs, with their protobuf encodings: requests are
// encoded, responses decoded. Bytes fields are std::string.
//===----------------------------------------------------------------------===//

#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace openduck {

struct QueryOptions {
	//! Largest result, in Arrow IPC bytes, the server may return inline. Unset: the server's default (1 MiB);
	//! 0: always a handle.
	std::optional<uint64_t> inline_limit_bytes;
	//! Session settings the SQL runs with (name, value), e.g. ("TimeZone", "Europe/Berlin").
	std::vector<std::pair<std::string, std::string>> settings;
};

//! Rows staged with StageRows that a request's SQL reads as openduck_staged('<upload_id>').
struct StagedRows {
	std::string upload_id;
	uint32_t parts = 0;
};

struct ExecuteQueryRequest {
	std::string database;
	std::string sql;
	//! A snapshot id or name to read (time travel); empty for the database's head. With begin_transaction: the
	//! snapshot the transaction starts from.
	std::string snapshot;
	QueryOptions options;
	//! The token of the server-side transaction the SQL runs in (ExecuteQueryResponse.transaction), if any.
	std::string transaction;
	//! Begins a server-side transaction with this SQL as its first statement.
	bool begin_transaction = false;
	std::vector<StagedRows> staged;

	std::string Encode() const;
};

struct StageRowsRequest {
	std::string database;
	//! 32 lowercase hex characters, drawn at random per upload.
	std::string upload_id;
	uint32_t part = 0;
	//! One whole Arrow IPC stream, at most 5 MiB.
	std::string arrow_ipc;

	std::string Encode() const;
};

//! What the last statement of the SQL produces. Values the server may add later are kept as they are.
enum class ResultKind : int32_t { UNSPECIFIED = 0, ROWS = 1, CHANGED_ROWS = 2, NOTHING = 3 };

struct Column {
	std::string name;
	//! DuckDB's type name, e.g. "DECIMAL(18,3)".
	std::string type;
};

struct QueryStatistics {
	uint64_t rows = 0;
	//! Arrow IPC bytes of the result.
	uint64_t bytes = 0;
	uint64_t batches = 0;
	double elapsed_ms = 0;
};

struct ExecuteQueryResponse {
	std::string snapshot_id;
	std::string statement_type;
	ResultKind result_kind = ResultKind::UNSPECIFIED;
	std::vector<Column> columns;
	//! One encapsulated Arrow IPC Schema message.
	std::string arrow_schema;
	//! True when all rows are in arrow_batches; otherwise handle is set.
	bool complete = false;
	//! Encapsulated Arrow IPC messages (dictionary batches, then record batches) to read after arrow_schema.
	std::string arrow_batches;
	uint64_t row_count = 0;
	uint64_t rows_affected = 0;
	//! Opaque handle for StreamResults.
	std::string handle;
	uint64_t handle_ttl_ms = 0;
	//! Set for a complete result.
	std::optional<QueryStatistics> statistics;
	//! Inside a server-side transaction: the token for its next statement.
	std::string transaction;

	static ExecuteQueryResponse Decode(const char *data, size_t size);
};

struct StreamResultsRequest {
	std::string handle;
	//! The client fetches rows from URLs (ResultPart) when the server prefers to send them that way.
	bool accept_result_urls = false;

	std::string Encode() const;
};

//! Rows to GET from a presigned URL: encapsulated Arrow IPC messages, as consecutive ArrowBatch ipc would carry.
struct ResultPart {
	std::string url;
	uint64_t byte_length = 0;
	uint64_t row_count = 0;
	uint64_t expires_in_ms = 0;
};

struct PrepareStagedPartsRequest {
	std::string database;
	std::string upload_id;
	uint32_t first_part = 0;
	uint32_t count = 0;

	std::string Encode() const;
};

struct PrepareStagedPartsResponse {
	//! One presigned PUT URL per part, from first_part on.
	std::vector<std::string> urls;
	uint64_t expires_in_ms = 0;

	static PrepareStagedPartsResponse Decode(const char *data, size_t size);
};

struct ArrowBatch {
	//! The dictionary batches this batch needs (first time only), then one record batch.
	std::string ipc;
	uint64_t row_count = 0;
};

struct Progress {
	//! 0 to 100, or -1 when unknown.
	double percentage = 0;
	uint64_t rows_processed = 0;
	uint64_t total_rows = 0;
};

//! One message of StreamResults: exactly one payload member (the one payload_case names) is meaningful.
struct StreamResultsResponse {
	enum class PayloadCase : uint8_t {
		NONE = 0,
		ARROW_SCHEMA = 1,
		BATCH = 2,
		PROGRESS = 3,
		STATISTICS = 4,
		RESULT_PART = 5
	};

	PayloadCase payload_case = PayloadCase::NONE;
	std::string arrow_schema;
	ArrowBatch batch;
	Progress progress;
	QueryStatistics statistics;
	ResultPart result_part;

	static StreamResultsResponse Decode(const char *data, size_t size);
};

} // namespace openduck
