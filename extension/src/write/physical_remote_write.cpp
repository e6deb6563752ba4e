#include "write/physical_remote_write.hpp"

#include "arrow_ipc/ipc_chunk_decoder.hpp"
#include "storage/openduck_catalog.hpp"
#include "write/row_upload.hpp"

#include "duckdb/common/vector_operations/vector_operations.hpp"
#include "duckdb/execution/expression_executor.hpp"

namespace openduck {

using namespace duckdb;

namespace {

struct WriteSinkState : public GlobalSinkState {
	unique_ptr<RowUpload> upload;
	unique_ptr<ExpressionExecutor> executor;
	DataChunk staged_chunk;
	ExecuteQueryResponse response;
};

struct WriteSourceState : public GlobalSourceState {
	unique_ptr<IpcChunkDecoder> decoder;
	//! Rows as decoded, when they need a cast into the operator's types.
	DataChunk received;
	bool cast = false;
};

} // namespace

PhysicalRemoteWrite::PhysicalRemoteWrite(PhysicalPlan &physical_plan, vector<LogicalType> types,
                                         OpenDuckCatalog &catalog_p, RemoteWritePlan write_p,
                                         idx_t estimated_cardinality)
    : PhysicalOperator(physical_plan, TYPE, std::move(types), estimated_cardinality), catalog(catalog_p),
      write(std::move(write_p)) {
}

string PhysicalRemoteWrite::GetName() const {
	return "OPENDUCK_WRITE";
}

InsertionOrderPreservingMap<string> PhysicalRemoteWrite::ParamsToString() const {
	InsertionOrderPreservingMap<string> result;
	result["Rows"] = children.empty() ? "forwarded" : "staged";
	result["Remote SQL"] = write.sql;
	result["Remote"] = catalog.Remote().Parameters().Describe();
	return result;
}

ExecuteQueryResponse PhysicalRemoteWrite::Run(ClientContext &context, const StagedRows *staged) const {
	RemoteWrite request;
	request.sql = write.sql;
	if (staged) {
		request.sql = StringUtil::Replace(request.sql, RemoteWritePlan::UPLOAD_ID, staged->upload_id);
		request.staged.push_back(*staged);
	}
	request.uses_row_ids = write.uses_row_ids;
	request.changes_catalog = write.changes_catalog;
	return OpenDuckTransaction::Get(context, catalog).Write(context, std::move(request));
}

unique_ptr<GlobalSinkState> PhysicalRemoteWrite::GetGlobalSinkState(ClientContext &context) const {
	auto state = make_uniq<WriteSinkState>();
	vector<LogicalType> types;
	for (auto &expression : write.projection) {
		types.push_back(expression->return_type);
	}
	state->upload = make_uniq<RowUpload>(context, catalog.Remote().shared_from_this(), types, write.names);
	state->executor = make_uniq<ExpressionExecutor>(context);
	for (auto &expression : write.projection) {
		state->executor->AddExpression(*expression);
	}
	state->staged_chunk.Initialize(context, types);
	return std::move(state);
}

SinkResultType PhysicalRemoteWrite::Sink(ExecutionContext &, DataChunk &chunk, OperatorSinkInput &input) const {
	auto &state = input.global_state.Cast<WriteSinkState>();
	state.staged_chunk.Reset();
	state.executor->Execute(chunk, state.staged_chunk);
	state.upload->Append(state.staged_chunk);
	return SinkResultType::NEED_MORE_INPUT;
}

SinkFinalizeType PhysicalRemoteWrite::Finalize(Pipeline &, Event &, ClientContext &context,
                                               OperatorSinkFinalizeInput &input) const {
	auto &state = input.global_state.Cast<WriteSinkState>();
	state.upload->Finish();
	state.response = Run(context, &state.upload->Staged());
	state.upload.reset();
	return SinkFinalizeType::READY;
}

unique_ptr<GlobalSourceState> PhysicalRemoteWrite::GetGlobalSourceState(ClientContext &) const {
	return make_uniq<WriteSourceState>();
}

SourceResultType PhysicalRemoteWrite::GetData(ExecutionContext &context, DataChunk &chunk,
                                              OperatorSourceInput &input) const {
	auto &state = input.global_state.Cast<WriteSourceState>();
	if (!state.decoder) {
		auto response = children.empty() ? Run(context.client, nullptr) : sink_state->Cast<WriteSinkState>().response;
		if (response.arrow_schema.empty()) {
			return SourceResultType::FINISHED;
		}
		state.decoder = make_uniq<IpcChunkDecoder>(context.client, response.arrow_schema + response.arrow_batches);
		auto answered = vector<LogicalType>(types.begin(), types.end() - NumericCast<int64_t>(write.unanswered_columns));
		if (state.decoder->Types().size() != answered.size()) {
			throw IOException("openduck: the server answered the write \"%s\" with %llu columns where %llu were "
			                  "expected",
			                  write.sql, state.decoder->Types().size(), answered.size());
		}
		state.cast = state.decoder->Types() != answered || write.unanswered_columns > 0;
		if (state.cast) {
			state.received.Initialize(context.client, state.decoder->Types());
		}
	}
	auto &target = state.cast ? state.received : chunk;
	target.Reset();
	if (!state.decoder->Next(target)) {
		return SourceResultType::FINISHED;
	}
	if (state.cast) {
		for (idx_t column = 0; column < chunk.ColumnCount(); column++) {
			if (column < state.received.ColumnCount()) {
				VectorOperations::Cast(context.client, state.received.data[column], chunk.data[column],
				                       state.received.size());
			} else {
				chunk.data[column].SetVectorType(VectorType::CONSTANT_VECTOR);
				ConstantVector::SetNull(chunk.data[column], true);
			}
		}
		chunk.SetCardinality(state.received.size());
	}
	return SourceResultType::HAVE_MORE_OUTPUT;
}

} // namespace openduck
