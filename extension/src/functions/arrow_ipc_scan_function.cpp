#include "functions/arrow_ipc_function.hpp"

#include "arrow_ipc/ipc_chunk_decoder.hpp"

namespace openduck {

using namespace duckdb;

namespace {

struct ArrowIpcScanBindData : public TableFunctionData {
	//! The blobs, concatenated: the whole stream.
	shared_ptr<const string> stream;

	unique_ptr<FunctionData> Copy() const override {
		auto copy = make_uniq<ArrowIpcScanBindData>();
		copy->stream = stream;
		return std::move(copy);
	}
	bool Equals(const FunctionData &other_p) const override {
		return *stream == *other_p.Cast<ArrowIpcScanBindData>().stream;
	}
};

struct ArrowIpcScanGlobalState : public GlobalTableFunctionState {
	unique_ptr<IpcChunkDecoder> decoder;
};

unique_ptr<FunctionData> Bind(ClientContext &context, TableFunctionBindInput &input, vector<LogicalType> &return_types,
                              vector<string> &names) {
	if (input.inputs[0].IsNull()) {
		throw BinderException("openduck_arrow_ipc_scan: the list of blobs must not be NULL");
	}
	// NULL elements (the progress rows of openduck_arrow_ipc) carry no message.
	string stream;
	for (auto &blob : ListValue::GetChildren(input.inputs[0])) {
		if (!blob.IsNull()) {
			stream += StringValue::Get(blob);
		}
	}
	// The whole stream is read to find the column types: an ENUM's values arrive with the first record batch.
	IpcChunkDecoder decoder(context, stream);
	if (decoder.Types().empty()) {
		throw BinderException("openduck_arrow_ipc_scan: the stream has no columns");
	}
	return_types = decoder.Types();
	names = decoder.Names();
	auto result = make_uniq<ArrowIpcScanBindData>();
	result->stream = make_shared_ptr<const string>(std::move(stream));
	return std::move(result);
}

unique_ptr<GlobalTableFunctionState> InitGlobal(ClientContext &context, TableFunctionInitInput &input) {
	auto &bind_data = input.bind_data->Cast<ArrowIpcScanBindData>();
	auto state = make_uniq<ArrowIpcScanGlobalState>();
	state->decoder = make_uniq<IpcChunkDecoder>(context, *bind_data.stream);
	return std::move(state);
}

void Execute(ClientContext &context, TableFunctionInput &input, DataChunk &output) {
	input.global_state->Cast<ArrowIpcScanGlobalState>().decoder->Next(output);
}

} // namespace

TableFunction ArrowIpcScanFunction::GetFunction() {
	return TableFunction("openduck_arrow_ipc_scan", {LogicalType::LIST(LogicalType::BLOB)}, Execute, Bind, InitGlobal);
}

} // namespace openduck
