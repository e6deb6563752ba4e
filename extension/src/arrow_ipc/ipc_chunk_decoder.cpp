#include "arrow_ipc/ipc_chunk_decoder.hpp"

#include "arrow_ipc/ipc_export.hpp"
#include "arrow_ipc/ipc_format.hpp"
#include "duckdb/common/extra_type_info.hpp"
#include "duckdb/common/types/decimal.hpp"
#include "duckdb/main/client_context.hpp"
#include "duckdb/main/config.hpp"

#include <string_view>
#include <unordered_set>

namespace openduck {

using namespace duckdb;
using namespace ipc_format;

namespace {

//! Refuses, with a clear message, what DuckDB's Arrow scan would read wrong or fail on with an internal error.
void CheckDuckDBSupport(const IpcField &field) {
	const IpcField &value = field.dictionary ? *field.dictionary : field;
	auto &type = value.type;
	switch (type.type_id) {
	case TYPE_DECIMAL:
		if (type.param_a > Decimal::MAX_WIDTH_DECIMAL || type.param_b < 0 || type.param_b > type.param_a) {
			throw NotImplementedException("Arrow IPC: field \"%s\" is a decimal(%d, %d), which DuckDB cannot hold",
			                              field.name, type.param_a, type.param_b);
		}
		break;
	case TYPE_FIXED_SIZE_LIST:
		if (type.param_a == 0 || idx_t(type.param_a) > ArrayType::MAX_ARRAY_SIZE) {
			throw NotImplementedException("Arrow IPC: field \"%s\" is a fixed-size list of %d values, which DuckDB's "
			                              "ARRAY cannot hold",
			                              field.name, type.param_a);
		}
		break;
	case TYPE_UNION:
		// DuckDB takes a type id for the position of the child.
		for (size_t i = 0; i < type.union_type_ids.size(); i++) {
			if (type.union_type_ids[i] != int32_t(i)) {
				throw NotImplementedException("Arrow IPC: union field \"%s\" has type ids other than 0, 1, ..., which "
				                              "DuckDB does not support",
				                              field.name);
			}
		}
		break;
	case TYPE_INTERVAL:
		// DuckDB would take the (int32 days, int32 milliseconds) pair for one int64 of milliseconds.
		if (type.param_a == 1) {
			throw NotImplementedException("Arrow IPC: field \"%s\" is a day-time interval, which DuckDB does not read",
			                              field.name);
		}
		break;
	default:
		break;
	}
	for (auto &child : value.children) {
		CheckDuckDBSupport(child);
	}
}

//! The values of a dictionary of strings (Utf8, int32 offsets).
std::vector<std::string_view> StringValues(const IpcArray &values) {
	std::vector<std::string_view> result;
	auto offsets = static_cast<const int32_t *>(values.buffers[1]);
	auto data = static_cast<const char *>(values.buffers[2]);
	for (int64_t i = 0; i < values.length; i++) {
		result.emplace_back(data + offsets[i], size_t(offsets[i + 1] - offsets[i]));
	}
	return result;
}

//! The ENUM type that the dictionary-encoded `field` stands for, or INVALID. DuckDB exports an ENUM as a dictionary of
//! all its values in order, with the ENUM's own physical type (UINT8, UINT16 or UINT32, by value count) as indices.
LogicalType EnumType(const IpcField &field, const IpcBatch &dictionary) {
	auto &values = dictionary.columns[0];
	if (field.dictionary->type.type_id != TYPE_UTF8 || field.type.flag || values.null_count != 0 ||
	    int64_t(GetTypeIdSize(EnumTypeInfo::DictType(idx_t(values.length)))) != field.type.width) {
		return LogicalType::INVALID;
	}
	for (auto &entry : field.metadata) {
		if (entry.first == "ARROW:extension:name") {
			return LogicalType::INVALID;
		}
	}
	auto strings = StringValues(values);
	if (std::unordered_set<std::string_view>(strings.begin(), strings.end()).size() != strings.size()) {
		return LogicalType::INVALID;
	}
	Vector vector(LogicalType::VARCHAR, strings.size());
	auto data = FlatVector::GetData<string_t>(vector);
	for (idx_t i = 0; i < strings.size(); i++) {
		data[i] = StringVector::AddString(vector, strings[i].data(), strings[i].size());
	}
	return LogicalType::ENUM(vector, strings.size());
}

//! The arrow_to_duckdb conversion of an ENUM column: DuckDB has read the dictionary indices as unsigned integers of
//! the ENUM's physical type, and they are the ENUM's own values, so the vector is taken over without a copy. The
//! result's validity, set before the call, stays.
void IndicesToEnum(ClientContext &, Vector &indices, Vector &result, idx_t) {
	auto validity = FlatVector::Validity(result);
	result.Reinterpret(indices);
	FlatVector::SetValidity(result, validity);
}

//! The DuckDB type of a column as converted: DuckDB's own type, except that nested types are rebuilt from their
//! children, whose types may be ENUMs attached by AttachEnumTypes.
LogicalType ExactType(const ArrowType &type) {
	if (type.HasExtension()) {
		return type.GetDuckType();
	}
	if (type.HasDictionary()) {
		return ExactType(type.GetDictionary());
	}
	auto duck_type = type.GetDuckType();
	switch (duck_type.id()) {
	case LogicalTypeId::LIST:
		return LogicalType::LIST(ExactType(type.GetTypeInfo<ArrowListInfo>().GetChild()));
	case LogicalTypeId::MAP: {
		auto &entries = type.GetTypeInfo<ArrowListInfo>().GetChild().GetTypeInfo<ArrowStructInfo>();
		return LogicalType::MAP(ExactType(entries.GetChild(0)), ExactType(entries.GetChild(1)));
	}
	case LogicalTypeId::ARRAY: {
		auto &info = type.GetTypeInfo<ArrowArrayInfo>();
		return LogicalType::ARRAY(ExactType(info.GetChild()), info.FixedSize());
	}
	case LogicalTypeId::STRUCT: {
		auto &info = type.GetTypeInfo<ArrowStructInfo>();
		child_list_t<LogicalType> children;
		for (idx_t i = 0; i < info.ChildCount(); i++) {
			children.emplace_back(StructType::GetChildName(duck_type, i), ExactType(info.GetChild(i)));
		}
		return LogicalType::STRUCT(std::move(children));
	}
	case LogicalTypeId::UNION: {
		auto &info = type.GetTypeInfo<ArrowStructInfo>();
		child_list_t<LogicalType> members;
		for (idx_t i = 0; i < info.ChildCount(); i++) {
			members.emplace_back(UnionType::GetMemberName(duck_type, i), ExactType(info.GetChild(i)));
		}
		return LogicalType::UNION(std::move(members));
	}
	default:
		return duck_type;
	}
}

} // namespace

template <class NODE>
void IpcChunkDecoder::DetachEnumDictionaries(const IpcField &field, NODE &node) const {
	if (field.dictionary) {
		if (node.dictionary && enums.count(field.dictionary_id)) {
			node.dictionary->release(node.dictionary);
			node.dictionary = nullptr;
		}
		return;
	}
	for (size_t i = 0; i < field.children.size(); i++) {
		DetachEnumDictionaries(field.children[i], *node.children[i]);
	}
}

IpcChunkDecoder::IpcChunkDecoder(ClientContext &context_p, std::string schema_message) : context(context_p) {
	std::vector<std::shared_ptr<const IpcBatch>> batches;
	reader.Read(std::move(schema_message), batches);
	if (!reader.HasSchema()) {
		throw InvalidInputException("Arrow IPC: the stream has no Schema message");
	}
	auto &fields = reader.Fields();
	for (auto &field : fields) {
		CheckDuckDBSupport(field);
		FindEnums(field);
	}
	ArrowSchemaWrapper schema;
	ExportIpcSchema(reader.Fields(), reader.SchemaMetadata(), schema.arrow_schema);
	for (idx_t i = 0; i < fields.size() && !enums.empty(); i++) {
		DetachEnumDictionaries(fields[i], *schema.arrow_schema.children[i]);
	}
	ArrowTableFunction::PopulateArrowTableSchema(DBConfig::GetConfig(context), arrow_table, schema.arrow_schema);
	auto &columns = arrow_table.GetColumns();
	for (idx_t i = 0; i < fields.size(); i++) {
		auto &type = *columns.at(i);
		AttachEnumTypes(fields[i], type);
		types.push_back(ExactType(type));
	}
	names = arrow_table.GetNames();
	scan_state = make_uniq<ArrowScanLocalState>(make_uniq<ArrowArrayWrapper>(), context);
	Queue(batches);
}

void IpcChunkDecoder::FindEnums(const IpcField &field) {
	if (field.dictionary) {
		auto dictionary = reader.Dictionary(field.dictionary_id);
		if (dictionary) {
			auto type = EnumType(field, *dictionary);
			if (type.id() == LogicalTypeId::ENUM) {
				enums.emplace(field.dictionary_id, EnumDictionary {std::move(type), std::move(dictionary)});
			}
		}
		return;
	}
	for (auto &child : field.children) {
		FindEnums(child);
	}
}

void IpcChunkDecoder::AttachEnumTypes(const IpcField &field, ArrowType &type) const {
	if (field.dictionary) {
		auto entry = enums.find(field.dictionary_id);
		if (entry != enums.end()) {
			// The field reached DuckDB without its dictionary, typed as its indices.
			type.extension_data = make_shared_ptr<ArrowTypeExtensionData>(entry->second.type, type.GetDuckType(),
			                                                              IndicesToEnum);
		}
		return;
	}
	if (type.HasExtension()) {
		return;
	}
	switch (field.type.type_id) {
	case TYPE_LIST:
	case TYPE_LARGE_LIST:
	case TYPE_MAP:
		AttachEnumTypes(field.children[0], type.GetTypeInfo<ArrowListInfo>().GetChild());
		break;
	case TYPE_FIXED_SIZE_LIST:
		AttachEnumTypes(field.children[0], type.GetTypeInfo<ArrowArrayInfo>().GetChild());
		break;
	case TYPE_STRUCT:
	case TYPE_UNION: {
		auto &children = type.GetTypeInfo<ArrowStructInfo>().GetChildren();
		for (idx_t i = 0; i < field.children.size(); i++) {
			AttachEnumTypes(field.children[i], *children[i]);
		}
		break;
	}
	default:
		break;
	}
}

void IpcChunkDecoder::CheckEnumDictionaries(const IpcField &field, const IpcArray &array) {
	if (field.dictionary) {
		auto entry = enums.find(field.dictionary_id);
		if (entry == enums.end() || array.dictionary == entry->second.values) {
			return;
		}
		// A replacement dictionary is fine as long as it holds the same values.
		auto &values = array.dictionary->columns[0];
		if (values.null_count != 0 || StringValues(values) != StringValues(entry->second.values->columns[0])) {
			throw InvalidInputException("Arrow IPC: the values of ENUM field \"%s\" change within the stream",
			                            field.name);
		}
		entry->second.values = array.dictionary;
		return;
	}
	for (size_t i = 0; i < field.children.size(); i++) {
		CheckEnumDictionaries(field.children[i], array.children[i]);
	}
}

void IpcChunkDecoder::Queue(std::vector<std::shared_ptr<const IpcBatch>> &batches) {
	auto &fields = reader.Fields();
	for (auto &batch : batches) {
		for (idx_t i = 0; i < fields.size() && !enums.empty(); i++) {
			CheckEnumDictionaries(fields[i], batch->columns[i]);
		}
		if (batch->length > 0) {
			queue.push_back(std::move(batch));
		}
	}
}

void IpcChunkDecoder::Push(std::string messages) {
	std::vector<std::shared_ptr<const IpcBatch>> batches;
	reader.Read(std::move(messages), batches);
	Queue(batches);
}

bool IpcChunkDecoder::Next(DataChunk &output) {
	output.Reset();
	if (queue.empty()) {
		return false;
	}
	auto &batch = queue.front();
	auto count = MinValue<int64_t>(STANDARD_VECTOR_SIZE, batch->length - offset);
	// Each slice goes to DuckDB as an array of its own that starts at the slice, so that DuckDB's scan position in it
	// is always 0: DuckDB 1.4 reads a union's type ids from the start of the array whatever the position, and reads a
	// dictionary's values from the position at which it first meets the dictionary.
	auto slice = make_shared_ptr<ArrowArrayWrapper>();
	ExportIpcBatch(batch, offset, count, slice->arrow_array);
	auto &fields = reader.Fields();
	for (idx_t i = 0; i < fields.size() && !enums.empty(); i++) {
		DetachEnumDictionaries(fields[i], *slice->arrow_array.children[i]);
	}
	scan_state->chunk = std::move(slice);
	scan_state->Reset();
	output.SetCardinality(idx_t(count));
	ArrowTableFunction::ArrowToDuckDB(*scan_state, arrow_table.GetColumns(), output, 0);
	offset += count;
	if (offset == batch->length) {
		queue.pop_front();
		offset = 0;
	}
	return true;
}

} // namespace openduck
