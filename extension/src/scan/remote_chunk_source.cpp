#include "scan/remote_chunk_source.hpp"

#include "duckdb/common/exception.hpp"
#include "duckdb/common/vector_operations/vector_operations.hpp"

namespace openduck {

using namespace duckdb;

RemoteChunkSource::RemoteChunkSource(std::shared_ptr<RemoteDatabase> remote, ExecuteQueryRequest request,
                                     vector<LogicalType> expected_p)
    : sql(request.sql), expected(std::move(expected_p)), stream(std::move(remote), std::move(request)) {
}

RemoteChunkSource::~RemoteChunkSource() {
	if (abandon) {
		abandon();
	}
}

void RemoteChunkSource::OnHeader(std::function<void(ClientContext &, const ExecuteQueryResponse &)> on_header_p,
                                 std::function<void()> abandon_p) {
	on_header = std::move(on_header_p);
	abandon = std::move(abandon_p);
}

const ExecuteQueryResponse &RemoteChunkSource::Header(ClientContext &context) {
	auto &header = stream.Header(context);
	if (on_header) {
		auto callback = std::move(on_header);
		on_header = nullptr;
		abandon = nullptr;
		callback(context, header);
	}
	return header;
}

IpcChunkDecoder &RemoteChunkSource::Decoder(ClientContext &context) {
	if (decoder) {
		return *decoder;
	}
	auto &header = Header(context);
	if (header.arrow_schema.empty()) {
		throw IOException("openduck: the server answered \"%s\" without rows", sql);
	}
	// The first messages carry the dictionaries that make ENUM columns ENUMs.
	string first;
	done = !stream.Next(context, first);
	decoder = make_uniq<IpcChunkDecoder>(context, header.arrow_schema + first);
	auto &types = decoder->Types();
	if (!expected.empty() && expected.size() != types.size()) {
		throw IOException("openduck: the remote answer to \"%s\" has %llu columns where %llu were expected", sql,
		                  types.size(), expected.size());
	}
	if (!expected.empty() && expected != types) {
		received = make_uniq<DataChunk>();
		received->Initialize(context, types);
	}
	return *decoder;
}

const vector<LogicalType> &RemoteChunkSource::Types(ClientContext &context) {
	auto &source = Decoder(context);
	return expected.empty() ? source.Types() : expected;
}

const vector<string> &RemoteChunkSource::Names(ClientContext &context) {
	return Decoder(context).Names();
}

bool RemoteChunkSource::Next(ClientContext &context, DataChunk &output) {
	auto &source = Decoder(context);
	auto &target = received ? *received : output;
	for (;;) {
		if (received) {
			received->Reset();
		}
		if (source.Next(target)) {
			break;
		}
		string messages;
		if (done || !stream.Next(context, messages)) {
			done = true;
			return false;
		}
		source.Push(std::move(messages));
	}
	if (received) {
		for (idx_t column = 0; column < received->ColumnCount(); column++) {
			VectorOperations::Cast(context, received->data[column], output.data[column], received->size());
		}
		output.SetCardinality(received->size());
	}
	return true;
}

double RemoteChunkSource::Progress() const {
	return stream.Progress();
}

} // namespace openduck
