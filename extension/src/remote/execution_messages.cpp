#include "remote/execution_messages.hpp"

#include "remote/proto_wire.hpp"

namespace openduck {

// Decoding follows protobuf's merge rules: a repeated scalar field keeps its last value, a repeated embedded message
// merges into the one already read, and a oneof member replaces any other member.

static void MergeQueryStatistics(ProtoReader reader, QueryStatistics &statistics) {
	while (reader.Next()) {
		switch (reader.Field()) {
		case 1:
			statistics.rows = reader.ReadVarint();
			break;
		case 2:
			statistics.bytes = reader.ReadVarint();
			break;
		case 3:
			statistics.batches = reader.ReadVarint();
			break;
		case 4:
			statistics.elapsed_ms = reader.ReadDouble();
			break;
		default:
			reader.Skip();
		}
	}
}

static void MergeColumn(ProtoReader reader, Column &column) {
	while (reader.Next()) {
		switch (reader.Field()) {
		case 1:
			column.name = reader.ReadBytes();
			break;
		case 2:
			column.type = reader.ReadBytes();
			break;
		default:
			reader.Skip();
		}
	}
}

static void MergeArrowBatch(ProtoReader reader, ArrowBatch &batch) {
	while (reader.Next()) {
		switch (reader.Field()) {
		case 1:
			batch.ipc = reader.ReadBytes();
			break;
		case 2:
			batch.row_count = reader.ReadVarint();
			break;
		default:
			reader.Skip();
		}
	}
}

static void MergeResultPart(ProtoReader reader, ResultPart &part) {
	while (reader.Next()) {
		switch (reader.Field()) {
		case 1:
			part.url = reader.ReadBytes();
			break;
		case 2:
			part.byte_length = reader.ReadVarint();
			break;
		case 3:
			part.row_count = reader.ReadVarint();
			break;
		case 4:
			part.expires_in_ms = reader.ReadVarint();
			break;
		default:
			reader.Skip();
		}
	}
}

static void MergeProgress(ProtoReader reader, Progress &progress) {
	while (reader.Next()) {
		switch (reader.Field()) {
		case 1:
			progress.percentage = reader.ReadDouble();
			break;
		case 2:
			progress.rows_processed = reader.ReadVarint();
			break;
		case 3:
			progress.total_rows = reader.ReadVarint();
			break;
		default:
			reader.Skip();
		}
	}
}

std::string ExecuteQueryRequest::Encode() const {
	ProtoWriter writer;
	if (!database.empty()) {
		writer.BytesField(1, database);
	}
	if (!sql.empty()) {
		writer.BytesField(2, sql);
	}
	if (!snapshot.empty()) {
		writer.BytesField(3, snapshot);
	}
	// inline_limit_bytes has explicit presence: 0 is sent. Without it and settings the message is left out.
	ProtoWriter query_options;
	if (options.inline_limit_bytes) {
		query_options.VarintField(1, *options.inline_limit_bytes);
	}
	for (auto &setting : options.settings) {
		// A map entry is a message of key (1) and value (2).
		ProtoWriter entry;
		entry.BytesField(1, setting.first);
		entry.BytesField(2, setting.second);
		query_options.BytesField(2, entry.Data());
	}
	if (!query_options.Data().empty()) {
		writer.BytesField(4, query_options.Data());
	}
	if (!transaction.empty()) {
		writer.BytesField(5, transaction);
	}
	if (begin_transaction) {
		writer.VarintField(6, 1);
	}
	for (auto &upload : staged) {
		ProtoWriter entry;
		entry.BytesField(1, upload.upload_id);
		entry.VarintField(2, upload.parts);
		writer.BytesField(7, entry.Data());
	}
	return writer.Data();
}

std::string StageRowsRequest::Encode() const {
	ProtoWriter writer;
	writer.BytesField(1, database);
	writer.BytesField(2, upload_id);
	if (part != 0) {
		writer.VarintField(3, part);
	}
	writer.BytesField(4, arrow_ipc);
	return writer.Data();
}

ExecuteQueryResponse ExecuteQueryResponse::Decode(const char *data, size_t size) {
	ExecuteQueryResponse response;
	ProtoReader reader(data, size);
	while (reader.Next()) {
		switch (reader.Field()) {
		case 1:
			response.snapshot_id = reader.ReadBytes();
			break;
		case 2:
			response.statement_type = reader.ReadBytes();
			break;
		case 3:
			response.result_kind = static_cast<ResultKind>(reader.ReadInt32());
			break;
		case 4:
			response.columns.emplace_back();
			MergeColumn(reader.ReadMessage(), response.columns.back());
			break;
		case 5:
			response.arrow_schema = reader.ReadBytes();
			break;
		case 6:
			response.complete = reader.ReadBool();
			break;
		case 7:
			response.arrow_batches = reader.ReadBytes();
			break;
		case 8:
			response.row_count = reader.ReadVarint();
			break;
		case 9:
			response.rows_affected = reader.ReadVarint();
			break;
		case 10:
			response.handle = reader.ReadBytes();
			break;
		case 11:
			response.handle_ttl_ms = reader.ReadVarint();
			break;
		case 12:
			if (!response.statistics) {
				response.statistics.emplace();
			}
			MergeQueryStatistics(reader.ReadMessage(), *response.statistics);
			break;
		case 13:
			response.transaction = reader.ReadBytes();
			break;
		default:
			reader.Skip();
		}
	}
	return response;
}

std::string StreamResultsRequest::Encode() const {
	ProtoWriter writer;
	if (!handle.empty()) {
		writer.BytesField(1, handle);
	}
	if (accept_result_urls) {
		writer.VarintField(2, 1);
	}
	return writer.Data();
}

std::string PrepareStagedPartsRequest::Encode() const {
	ProtoWriter writer;
	writer.BytesField(1, database);
	writer.BytesField(2, upload_id);
	if (first_part != 0) {
		writer.VarintField(3, first_part);
	}
	if (count != 0) {
		writer.VarintField(4, count);
	}
	return writer.Data();
}

PrepareStagedPartsResponse PrepareStagedPartsResponse::Decode(const char *data, size_t size) {
	PrepareStagedPartsResponse response;
	ProtoReader reader(data, size);
	while (reader.Next()) {
		switch (reader.Field()) {
		case 1:
			response.urls.push_back(reader.ReadBytes());
			break;
		case 2:
			response.expires_in_ms = reader.ReadVarint();
			break;
		default:
			reader.Skip();
		}
	}
	return response;
}

//! Makes `payload_case` the set member of the oneof, clearing the others when it was not already.
static void SelectPayload(StreamResultsResponse &response, StreamResultsResponse::PayloadCase payload_case) {
	if (response.payload_case != payload_case) {
		response = StreamResultsResponse();
		response.payload_case = payload_case;
	}
}

StreamResultsResponse StreamResultsResponse::Decode(const char *data, size_t size) {
	StreamResultsResponse response;
	ProtoReader reader(data, size);
	while (reader.Next()) {
		switch (reader.Field()) {
		case 1:
			SelectPayload(response, PayloadCase::ARROW_SCHEMA);
			response.arrow_schema = reader.ReadBytes();
			break;
		case 2:
			SelectPayload(response, PayloadCase::BATCH);
			MergeArrowBatch(reader.ReadMessage(), response.batch);
			break;
		case 3:
			SelectPayload(response, PayloadCase::PROGRESS);
			MergeProgress(reader.ReadMessage(), response.progress);
			break;
		case 4:
			SelectPayload(response, PayloadCase::STATISTICS);
			MergeQueryStatistics(reader.ReadMessage(), response.statistics);
			break;
		case 5:
			SelectPayload(response, PayloadCase::RESULT_PART);
			MergeResultPart(reader.ReadMessage(), response.result_part);
			break;
		default:
			reader.Skip();
		}
	}
	return response;
}

} // namespace openduck
