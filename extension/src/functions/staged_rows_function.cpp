#include "functions/staged_rows_function.hpp"

#include "arrow_ipc/ipc_chunk_decoder.hpp"

#include "duckdb/execution/partition_info.hpp"
#include "duckdb/main/client_context.hpp"

#include <fstream>
#include <sstream>

namespace openduck {

using namespace duckdb;

const vector<string> &StagedRows::Parts(const string &upload_id) const {
	auto entry = uploads.find(upload_id);
	if (entry == uploads.end()) {
		throw InvalidInputException("openduck_staged: no rows were staged as \"%s\" for this query", upload_id);
	}
	return entry->second;
}

namespace {

//! One part: a whole Arrow IPC stream (schema, batches, end of stream), at most a few MB.
string ReadPart(const string &path) {
	std::ifstream file(path, std::ios::binary);
	std::ostringstream bytes;
	bytes << file.rdbuf();
	if (!file || !bytes) {
		throw IOException("openduck_staged: cannot read the staged part \"%s\"", path);
	}
	return bytes.str();
}

struct StagedBindData : public TableFunctionData {
	vector<string> parts;
	vector<LogicalType> types;

	unique_ptr<FunctionData> Copy() const override {
		auto copy = make_uniq<StagedBindData>();
		copy->parts = parts;
		copy->types = types;
		return std::move(copy);
	}
	bool Equals(const FunctionData &other_p) const override {
		return parts == other_p.Cast<StagedBindData>().parts;
	}
};

//! Threads take whole parts, one after another, so one part's bytes per thread are in memory at a time. A part's
//! index is the batch index of its rows: a write keeps them in upload order although parts decode in parallel.
struct StagedGlobalState : public GlobalTableFunctionState {
	explicit StagedGlobalState(idx_t parts) : parts(parts) {
	}

	idx_t parts;
	std::atomic<idx_t> next_part {0};

	idx_t MaxThreads() const override {
		return parts;
	}
};

struct StagedLocalState : public LocalTableFunctionState {
	idx_t part = 0;
	unique_ptr<IpcChunkDecoder> decoder;
};

unique_ptr<FunctionData> Bind(ClientContext &context, TableFunctionBindInput &input, vector<LogicalType> &return_types,
                              vector<string> &names) {
	if (input.inputs[0].IsNull()) {
		throw BinderException("openduck_staged: the upload id must not be NULL");
	}
	auto staged = context.registered_state->Get<StagedRows>(StagedRows::KEY);
	if (!staged) {
		throw InvalidInputException("openduck_staged: no rows were staged for this query");
	}
	auto result = make_uniq<StagedBindData>();
	result->parts = staged->Parts(StringValue::Get(input.inputs[0]));
	if (result->parts.empty()) {
		throw InvalidInputException("openduck_staged: the upload has no parts");
	}
	IpcChunkDecoder first(context, ReadPart(result->parts[0]));
	return_types = first.Types();
	names = first.Names();
	result->types = return_types;
	return std::move(result);
}

unique_ptr<GlobalTableFunctionState> InitGlobal(ClientContext &, TableFunctionInitInput &input) {
	return make_uniq<StagedGlobalState>(input.bind_data->Cast<StagedBindData>().parts.size());
}

unique_ptr<LocalTableFunctionState> InitLocal(ExecutionContext &, TableFunctionInitInput &, GlobalTableFunctionState *) {
	return make_uniq<StagedLocalState>();
}

void Execute(ClientContext &context, TableFunctionInput &input, DataChunk &output) {
	auto &bind_data = input.bind_data->Cast<StagedBindData>();
	auto &global = input.global_state->Cast<StagedGlobalState>();
	auto &local = input.local_state->Cast<StagedLocalState>();
	while (!local.decoder || !local.decoder->Next(output)) {
		auto index = global.next_part++;
		if (index >= bind_data.parts.size()) {
			local.decoder.reset();
			return;
		}
		local.part = index;
		local.decoder = make_uniq<IpcChunkDecoder>(context, ReadPart(bind_data.parts[index]));
		if (local.decoder->Types() != bind_data.types) {
			throw InvalidInputException("openduck_staged: part %d of the upload has other column types than part 0",
			                            index);
		}
	}
}

OperatorPartitionData PartitionData(ClientContext &, TableFunctionGetPartitionInput &input) {
	return OperatorPartitionData(input.local_state->Cast<StagedLocalState>().part);
}

} // namespace

TableFunction StagedRowsFunction::GetFunction() {
	TableFunction function("openduck_staged", {LogicalType::VARCHAR}, Execute, Bind, InitGlobal, InitLocal);
	function.get_partition_data = PartitionData;
	return function;
}

} // namespace openduck
