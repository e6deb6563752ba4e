#include "functions/arrow_ipc_function.hpp"

#include "arrow_ipc/batch_builder.hpp"
#include "arrow_ipc/ipc_writer.hpp"
#include "common/json_writer.hpp"
#include "functions/inner_query.hpp"

#include "duckdb/common/arrow/arrow_converter.hpp"
#include "duckdb/main/client_config.hpp"
#include "duckdb/main/client_context.hpp"

#include <chrono>
#include <map>
#include <cstring>

namespace openduck {

using namespace duckdb;

namespace {

constexpr int64_t DEFAULT_BATCH_ROWS = 65536;
// Keeps one message well below 6 MB (a typical per-message cap of the transports the worker forwards to).
constexpr int64_t DEFAULT_BATCH_BYTES = 4 * 1024 * 1024;
constexpr std::chrono::milliseconds PROGRESS_INTERVAL(250);
constexpr std::chrono::microseconds COALESCE_WINDOW(500);

enum Column : idx_t { KIND = 0, ROW_COUNT = 1, INFO = 2, IPC = 3 };

//! Named parameters that set a session setting of the inner connection, and the setting each one sets.
const std::map<string, string> SETTING_PARAMETERS = {{"time_zone", "TimeZone"}, {"calendar", "Calendar"}};

struct ArrowIpcBindData : public TableFunctionData {
	string sql;
	idx_t batch_rows = DEFAULT_BATCH_ROWS;
	idx_t batch_bytes = DEFAULT_BATCH_BYTES;
	//! Session settings for the inner connection (name, value).
	vector<std::pair<string, string>> settings;
	//! Staged rows the SQL may read (upload id -> part files).
	std::unordered_map<string, vector<string>> staged;

	unique_ptr<FunctionData> Copy() const override {
		auto copy = make_uniq<ArrowIpcBindData>();
		copy->sql = sql;
		copy->batch_rows = batch_rows;
		copy->batch_bytes = batch_bytes;
		copy->settings = settings;
		copy->staged = staged;
		return std::move(copy);
	}
	bool Equals(const FunctionData &other_p) const override {
		auto &other = other_p.Cast<ArrowIpcBindData>();
		return sql == other.sql && batch_rows == other.batch_rows && batch_bytes == other.batch_bytes &&
		       settings == other.settings && staged == other.staged;
	}
};

struct ArrowIpcGlobalState : public GlobalTableFunctionState {
	enum class Phase { SCHEMA, BATCHES, DONE };

	Phase phase = Phase::SCHEMA;
	unique_ptr<InnerQuery> query;
	unique_ptr<IpcStreamWriter> writer;
	unique_ptr<ArrowBatchBuilder> batch;
	//! The chunk being split into batches and how many of its rows were consumed.
	unique_ptr<DataChunk> chunk;
	idx_t chunk_offset = 0;
	idx_t total_rows = 0;
	int64_t rows_affected = 0;
	std::chrono::steady_clock::time_point next_progress;
	// The function produces one row per call and must not run in parallel with itself: MaxThreads() stays 1.
};

unique_ptr<FunctionData> Bind(ClientContext &context, TableFunctionBindInput &input, vector<LogicalType> &return_types,
                              vector<string> &names) {
	auto result = make_uniq<ArrowIpcBindData>();
	if (input.inputs[0].IsNull()) {
		throw BinderException("openduck_arrow_ipc: the SQL text must not be NULL");
	}
	result->sql = StringValue::Get(input.inputs[0]);
	for (auto &entry : input.named_parameters) {
		auto setting = SETTING_PARAMETERS.find(entry.first);
		if (setting != SETTING_PARAMETERS.end()) {
			if (!entry.second.IsNull()) {
				result->settings.emplace_back(setting->second, StringValue::Get(entry.second));
			}
			continue;
		}
		if (entry.first == "staged") {
			if (!entry.second.IsNull()) {
				for (auto &upload : MapValue::GetChildren(entry.second)) {
					auto &pair = StructValue::GetChildren(upload);
					auto &parts = result->staged[StringValue::Get(pair[0])];
					for (auto &part : ListValue::GetChildren(pair[1])) {
						parts.push_back(StringValue::Get(part));
					}
				}
			}
			continue;
		}
		auto value = entry.second.IsNull() ? int64_t(0) : entry.second.GetValue<int64_t>();
		if (value <= 0) {
			throw BinderException("openduck_arrow_ipc: %s must be a positive number", entry.first);
		}
		if (entry.first == "batch_rows") {
			result->batch_rows = NumericCast<idx_t>(value);
		} else if (entry.first == "batch_bytes") {
			result->batch_bytes = NumericCast<idx_t>(value);
		}
	}
	names = {"kind", "row_count", "info", "ipc"};
	return_types = {LogicalType::VARCHAR, LogicalType::BIGINT, LogicalType::VARCHAR, LogicalType::BLOB};
	// Each row is a message someone waits for (the schema before a long aggregate, progress). With DuckDB's
	// default streaming buffer (~1 MB) a streamed caller would get the small ones only once enough data piled up
	// behind them, so the calling connection streams row by row from now on. 3 bytes is the smallest buffer that
	// still gives the batched collector's two queues (60% and 40% of it) a nonzero capacity; at zero it spins.
	// The setting is local-only, cannot be set globally, and is read when the caller's result collector is
	// created, after this bind. It stays on the connection: the worker's connections run nothing but this
	// function.
	ClientConfig::GetConfig(context).streaming_buffer_size = 3;
	return std::move(result);
}

unique_ptr<GlobalTableFunctionState> InitGlobal(ClientContext &context, TableFunctionInitInput &input) {
	auto &bind_data = input.bind_data->Cast<ArrowIpcBindData>();
	auto state = make_uniq<ArrowIpcGlobalState>();
	state->query = make_uniq<InnerQuery>(context, bind_data.sql, bind_data.settings, bind_data.staged);
	return std::move(state);
}

string ReturnTypeName(StatementReturnType type) {
	switch (type) {
	case StatementReturnType::QUERY_RESULT:
		return "rows";
	case StatementReturnType::CHANGED_ROWS:
		return "changed_rows";
	default:
		return "nothing";
	}
}

void SetRow(DataChunk &output, idx_t row, const string &kind, const Value &row_count, const Value &info) {
	output.SetValue(KIND, row, Value(kind));
	output.SetValue(ROW_COUNT, row, row_count);
	output.SetValue(INFO, row, info);
	output.SetValue(IPC, row, Value(LogicalType::BLOB));
}

//! Writes `messages` (plus `trailer`) straight into the BLOB of the output row, without an intermediate copy.
//! Returns the BLOB's size.
idx_t SetIpc(DataChunk &output, idx_t row, const std::vector<IpcMessage> &messages,
             const string &trailer = string()) {
	idx_t size = trailer.size();
	for (auto &message : messages) {
		size += message.Size();
	}
	auto &vector = output.data[IPC];
	auto blob = StringVector::EmptyString(vector, size);
	auto target = blob.GetDataWriteable();
	for (auto &message : messages) {
		target = message.WriteTo(target);
	}
	memcpy(target, trailer.data(), trailer.size());
	blob.Finalize();
	FlatVector::GetData<string_t>(vector)[row] = blob;
	FlatVector::Validity(vector).SetValid(row);
	return size;
}

idx_t EmitSchema(ArrowIpcGlobalState &state, const ArrowIpcBindData &bind_data, DataChunk &output, idx_t row) {
	auto &query = *state.query;
	query.Start();

	auto properties = ArrowBatchBuilder::ExportProperties(query.Context());
	ArrowReleaser<ArrowSchema> schema {};
	ArrowBatchBuilder::ExportSchema(schema.value, query.Types(), query.Names(), properties);
	state.writer = make_uniq<IpcStreamWriter>(schema.value);
	state.batch = make_uniq<ArrowBatchBuilder>(query.Types(), properties, bind_data.batch_rows, bind_data.batch_bytes);

	JsonWriter info;
	info.StartObject();
	info.Key("statement_type").String(StatementTypeToString(query.GetStatementType()));
	info.Key("result").String(ReturnTypeName(query.GetReturnType()));
	info.Key("columns").StartArray();
	for (idx_t i = 0; i < query.Types().size(); i++) {
		info.StartObject();
		info.Key("name").String(query.Names()[i]);
		info.Key("type").String(query.Types()[i].ToString());
		info.EndObject();
	}
	info.EndArray();
	info.EndObject();

	SetRow(output, row, "schema", Value(), info.Result());
	std::vector<IpcMessage> messages;
	messages.push_back(state.writer->SchemaMessage());
	return SetIpc(output, row, messages);
}

void EmitProgress(ArrowIpcGlobalState &state, DataChunk &output, idx_t row) {
	auto progress = state.query->Progress();
	JsonWriter info;
	info.StartObject();
	info.Key("percentage").Double(progress.GetPercentage());
	info.Key("rows_processed").UInt(progress.GetRowsProcesseed());
	info.Key("total_rows").UInt(progress.GetTotalRowsToProcess());
	info.EndObject();
	SetRow(output, row, "progress", Value(), info.Result());
}

idx_t EmitBatch(ArrowIpcGlobalState &state, DataChunk &output, idx_t row) {
	auto row_count = state.batch->RowCount();
	ArrowReleaser<ArrowArray> array {state.batch->Finish()};
	auto messages = state.writer->BatchMessages(array.value);
	state.total_rows += row_count;
	SetRow(output, row, "batch", Value::BIGINT(NumericCast<int64_t>(row_count)), Value());
	return SetIpc(output, row, messages);
}

void EmitEnd(ArrowIpcGlobalState &state, DataChunk &output, idx_t row) {
	JsonWriter info;
	info.StartObject();
	info.Key("rows").UInt(state.total_rows);
	if (state.query->GetReturnType() == StatementReturnType::CHANGED_ROWS) {
		info.Key("rows_affected").Int(state.rows_affected);
	}
	info.EndObject();
	SetRow(output, row, "end", Value::BIGINT(NumericCast<int64_t>(state.total_rows)), info.Result());
	// The end-of-stream marker makes the concatenated blobs a complete IPC stream.
	SetIpc(output, row, {}, IpcStreamWriter::EndOfStream());
}

//! A CHANGED_ROWS statement returns its count(s) as rows of a single BIGINT column.
void CountAffectedRows(ArrowIpcGlobalState &state, DataChunk &chunk) {
	if (state.query->GetReturnType() != StatementReturnType::CHANGED_ROWS || chunk.ColumnCount() != 1 ||
	    chunk.data[0].GetType().id() != LogicalTypeId::BIGINT) {
		return;
	}
	UnifiedVectorFormat format;
	chunk.data[0].ToUnifiedFormat(chunk.size(), format);
	auto counts = UnifiedVectorFormat::GetData<int64_t>(format);
	for (idx_t i = 0; i < chunk.size(); i++) {
		auto idx = format.sel->get_index(i);
		if (format.validity.RowIsValid(idx)) {
			state.rows_affected += counts[idx];
		}
	}
}

enum class Next { BATCH, DEADLINE, END };

//! Fills the batch builder until a batch is complete (BATCH), `deadline` passes first (DEADLINE), or the result
//! is exhausted with nothing left to send (END; a last, partial batch is reported as BATCH first).
Next FillBatch(ArrowIpcGlobalState &state, std::chrono::steady_clock::time_point deadline) {
	auto &batch = *state.batch;
	while (true) {
		if (!state.chunk) {
			auto step = state.query->Fetch(deadline, state.chunk);
			if (step == InnerQuery::Step::DEADLINE) {
				return Next::DEADLINE;
			}
			if (step == InnerQuery::Step::FINISHED) {
				return batch.RowCount() > 0 ? Next::BATCH : Next::END;
			}
			state.chunk_offset = 0;
			CountAffectedRows(state, *state.chunk);
		}
		state.chunk_offset += batch.Append(*state.chunk, state.chunk_offset);
		if (state.chunk_offset >= state.chunk->size()) {
			state.chunk.reset();
		}
		if (batch.IsFull()) {
			return Next::BATCH;
		}
	}
}

//! An error of the query after the schema went out: an "error" row carrying DuckDB's message ends the stream, so a
//! client that consumes it as a stream (node-api's streaming results lose a thrown error's message) still learns
//! what happened. Interruptions are not errors of the query and still throw.
void EmitError(const ErrorData &error, DataChunk &output, idx_t row) {
	JsonWriter info;
	info.StartObject();
	info.Key("type").String(Exception::ExceptionTypeToString(error.Type()));
	info.Key("message").String(error.Message());
	info.EndObject();
	SetRow(output, row, "error", Value(), info.Result());
}

//! Emits the rows that are ready. The first row of a call may wait for the query (a progress row fills a silence
//! of PROGRESS_INTERVAL); further rows join it only if they are ready within COALESCE_WINDOW and the chunk holds
//! less than one batch budget of IPC. A small result thus travels as one chunk (schema, batches, end) and a
//! caller fetching it pays one round trip, while a large one still moves one batch at a time.
void Execute(ClientContext &context, TableFunctionInput &input, DataChunk &output) {
	auto &state = input.global_state->Cast<ArrowIpcGlobalState>();
	auto &bind_data = input.bind_data->Cast<ArrowIpcBindData>();
	auto coalesce_until = std::chrono::steady_clock::now() + COALESCE_WINDOW;
	idx_t row = 0;
	idx_t bytes = 0;
	while (state.phase != ArrowIpcGlobalState::Phase::DONE && row < STANDARD_VECTOR_SIZE &&
	       bytes < bind_data.batch_bytes) {
		if (state.phase == ArrowIpcGlobalState::Phase::SCHEMA) {
			bytes += EmitSchema(state, bind_data, output, row++);
			state.phase = ArrowIpcGlobalState::Phase::BATCHES;
			state.next_progress = std::chrono::steady_clock::now() + PROGRESS_INTERVAL;
			continue;
		}
		auto deadline = row == 0 ? state.next_progress : std::min(state.next_progress, coalesce_until);
		Next next;
		try {
			next = FillBatch(state, deadline);
		} catch (std::exception &ex) {
			ErrorData error(ex);
			if (error.Type() == ExceptionType::INTERRUPT) {
				throw;
			}
			EmitError(error, output, row++);
			state.phase = ArrowIpcGlobalState::Phase::DONE;
			break;
		}
		if (next == Next::DEADLINE) {
			if (row == 0) {
				EmitProgress(state, output, row++);
				state.next_progress = std::chrono::steady_clock::now() + PROGRESS_INTERVAL;
			}
			break;
		}
		if (next == Next::END) {
			EmitEnd(state, output, row++);
			state.phase = ArrowIpcGlobalState::Phase::DONE;
			break;
		}
		bytes += EmitBatch(state, output, row++);
		// Progress rows only fill silences: any row restarts the interval.
		state.next_progress = std::chrono::steady_clock::now() + PROGRESS_INTERVAL;
	}
	output.SetCardinality(row);
}

} // namespace

TableFunction ArrowIpcFunction::GetFunction() {
	TableFunction function("openduck_arrow_ipc", {LogicalType::VARCHAR}, Execute, Bind, InitGlobal);
	function.named_parameters["batch_rows"] = LogicalType::BIGINT;
	function.named_parameters["batch_bytes"] = LogicalType::BIGINT;
	for (auto &setting : SETTING_PARAMETERS) {
		function.named_parameters[setting.first] = LogicalType::VARCHAR;
	}
	function.named_parameters["staged"] = LogicalType::MAP(LogicalType::VARCHAR, LogicalType::LIST(LogicalType::VARCHAR));
	return function;
}

} // namespace openduck
