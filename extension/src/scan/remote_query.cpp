#include "scan/remote_query.hpp"

#include "scan/forwarded_settings.hpp"
#include "scan/remote_chunk_source.hpp"
#include "storage/openduck_transaction.hpp"


namespace openduck {

using namespace duckdb;

namespace {

struct RemoteQueryState : public GlobalTableFunctionState {
	unique_ptr<RemoteChunkSource> source;

	idx_t MaxThreads() const override {
		return 1;
	}
};

unique_ptr<GlobalTableFunctionState> InitGlobal(ClientContext &context, TableFunctionInitInput &input) {
	auto &bind = input.bind_data->Cast<RemoteQueryBindData>();
	auto state = make_uniq<RemoteQueryState>();
	state->source = OpenDuckTransaction::Get(context, *bind.catalog)
	                    .Read(context, bind.sql, bind.types, ForwardedQueryOptions(context), bind.tables);
	return std::move(state);
}

void Scan(ClientContext &context, TableFunctionInput &input, DataChunk &output) {
	input.global_state->Cast<RemoteQueryState>().source->Next(context, output);
}

double ScanProgress(ClientContext &, const FunctionData *, const GlobalTableFunctionState *global_state) {
	return global_state->Cast<RemoteQueryState>().source->Progress();
}

InsertionOrderPreservingMap<string> ToString(TableFunctionToStringInput &input) {
	auto &bind = input.bind_data->Cast<RemoteQueryBindData>();
	InsertionOrderPreservingMap<string> result;
	result["Remote"] = bind.remote->Parameters().Describe();
	result["Planned at snapshot"] = bind.snapshot_id;
	result["Remote SQL"] = bind.sql;
	return result;
}

} // namespace

TableFunction RemoteQueryFunction::GetFunction() {
	TableFunction function("openduck_query", {}, Scan);
	function.init_global = InitGlobal;
	function.table_scan_progress = ScanProgress;
	function.to_string = ToString;
	return function;
}

} // namespace openduck
