#include "arrow_ipc/ipc_reader.hpp"

#include "arrow_ipc/flatbuffer_reader.hpp"
#include "arrow_ipc/ipc_batch_reader.hpp"
#include "arrow_ipc/ipc_format.hpp"
#include "duckdb/common/exception.hpp"

#include <algorithm>
#include <cstring>

namespace openduck {

using duckdb::InvalidInputException;
using duckdb::NotImplementedException;
using namespace ipc_format;

namespace {

//! Deeper schemas are refused rather than recursing without bound on hostile input.
constexpr int MAX_NESTING_DEPTH = 64;
//! Element size of FlatBuffers vectors of tables.
constexpr uint32_t OFFSET_SIZE = 4;

template <class T>
T Load(const uint8_t *data) {
	T value;
	memcpy(&value, data, sizeof(T));
	return value;
}

std::vector<std::pair<std::string, std::string>> ReadKeyValues(const FlatVectorView &entries) {
	std::vector<std::pair<std::string, std::string>> result;
	for (uint32_t i = 0; i < entries.Size(); i++) {
		auto entry = entries.Table(i);
		result.emplace_back(entry.String(0), entry.String(1)); // KeyValue: key, value
	}
	return result;
}

IpcType ReadIntType(const FlatTableView &table, const std::string &name) {
	auto bits = table.Scalar<int32_t>(0, 0); // bitWidth
	if (bits != 8 && bits != 16 && bits != 32 && bits != 64) {
		throw InvalidInputException("Arrow IPC: field \"%s\" is an integer of %d bits", name, bits);
	}
	return IpcType::Integer(bits, table.Scalar<uint8_t>(1, 0) != 0); // is_signed
}

//! TimeUnit: SECOND, MILLISECOND, MICROSECOND, NANOSECOND.
int32_t ReadTimeUnit(const FlatTableView &table, int16_t default_unit, const std::string &name) {
	auto unit = table.Scalar<int16_t>(0, default_unit);
	if (unit < 0 || unit > 3) {
		throw InvalidInputException("Arrow IPC: field \"%s\" has an unknown time unit (%d)", name, unit);
	}
	return unit;
}

//! The type of a field from its `type` union member and type table (defaults as in Schema.fbs).
IpcType ReadType(uint8_t type_id, const FlatTableView &table, size_t child_count, const std::string &name) {
	switch (type_id) {
	case TYPE_NULL:
		return IpcType::Of(TYPE_NULL, IpcLayout::NO_BUFFERS);
	case TYPE_INT:
		return ReadIntType(table, name);
	case TYPE_FLOATING_POINT: {
		auto precision = table.Scalar<int16_t>(0, 0); // HALF, SINGLE, DOUBLE
		if (precision < 0 || precision > 2) {
			throw InvalidInputException("Arrow IPC: field \"%s\" has an unknown floating point precision (%d)", name,
			                            precision);
		}
		auto type = IpcType::Of(TYPE_FLOATING_POINT, IpcLayout::FIXED_WIDTH, int64_t(2) << precision);
		type.param_a = precision;
		return type;
	}
	case TYPE_BINARY:
	case TYPE_UTF8:
		return IpcType::Of(type_id, IpcLayout::BINARY);
	case TYPE_LARGE_BINARY:
	case TYPE_LARGE_UTF8:
		return IpcType::Of(type_id, IpcLayout::LARGE_BINARY);
	case TYPE_BINARY_VIEW:
	case TYPE_UTF8_VIEW:
		return IpcType::Of(type_id, IpcLayout::BINARY_VIEW);
	case TYPE_BOOL:
		return IpcType::Of(TYPE_BOOL, IpcLayout::BITS);
	case TYPE_DECIMAL: {
		auto bit_width = table.Scalar<int32_t>(2, 128);
		if (bit_width != 32 && bit_width != 64 && bit_width != 128 && bit_width != 256) {
			throw InvalidInputException("Arrow IPC: field \"%s\" is a decimal of %d bits", name, bit_width);
		}
		auto type = IpcType::Of(TYPE_DECIMAL, IpcLayout::FIXED_WIDTH, bit_width / 8);
		type.param_a = table.Scalar<int32_t>(0, 0); // precision
		type.param_b = table.Scalar<int32_t>(1, 0); // scale
		type.param_c = bit_width;
		if (type.param_a <= 0) {
			throw InvalidInputException("Arrow IPC: field \"%s\" is a decimal of precision %d", name, type.param_a);
		}
		return type;
	}
	case TYPE_DATE: {
		auto unit = table.Scalar<int16_t>(0, 1); // DAY (int32), MILLISECOND (int64)
		if (unit != 0 && unit != 1) {
			throw InvalidInputException("Arrow IPC: field \"%s\" has an unknown date unit (%d)", name, unit);
		}
		auto type = IpcType::Of(TYPE_DATE, IpcLayout::FIXED_WIDTH, unit == 0 ? 4 : 8);
		type.param_a = unit;
		return type;
	}
	case TYPE_TIME: {
		auto unit = ReadTimeUnit(table, 1, name);
		auto bit_width = table.Scalar<int32_t>(1, 32);
		// Seconds and milliseconds take 32 bits, microseconds and nanoseconds 64.
		if (bit_width != (unit <= 1 ? 32 : 64)) {
			throw InvalidInputException("Arrow IPC: field \"%s\" is a time of %d bits in time unit %d", name,
			                            bit_width, unit);
		}
		auto type = IpcType::Of(TYPE_TIME, IpcLayout::FIXED_WIDTH, bit_width / 8);
		type.param_a = unit;
		type.param_b = bit_width;
		return type;
	}
	case TYPE_TIMESTAMP: {
		auto type = IpcType::Of(TYPE_TIMESTAMP, IpcLayout::FIXED_WIDTH, 8);
		type.param_a = ReadTimeUnit(table, 0, name);
		type.timezone = table.String(1);
		return type;
	}
	case TYPE_DURATION: {
		auto type = IpcType::Of(TYPE_DURATION, IpcLayout::FIXED_WIDTH, 8);
		type.param_a = ReadTimeUnit(table, 1, name);
		return type;
	}
	case TYPE_INTERVAL: {
		auto unit = table.Scalar<int16_t>(0, 0); // YEAR_MONTH (4 bytes), DAY_TIME (8), MONTH_DAY_NANO (16)
		if (unit < 0 || unit > 2) {
			throw InvalidInputException("Arrow IPC: field \"%s\" has an unknown interval unit (%d)", name, unit);
		}
		auto type = IpcType::Of(TYPE_INTERVAL, IpcLayout::FIXED_WIDTH, int64_t(4) << unit);
		type.param_a = unit;
		return type;
	}
	case TYPE_FIXED_SIZE_BINARY:
	case TYPE_FIXED_SIZE_LIST: {
		auto size = table.Scalar<int32_t>(0, 0); // byteWidth / listSize
		if (size < 0) {
			throw InvalidInputException("Arrow IPC: field \"%s\" has a negative fixed size (%d)", name, size);
		}
		auto layout = type_id == TYPE_FIXED_SIZE_BINARY ? IpcLayout::FIXED_WIDTH : IpcLayout::FIXED_LIST;
		auto type = IpcType::Of(type_id, layout, size);
		type.param_a = size;
		return type;
	}
	case TYPE_LIST:
		return IpcType::Of(TYPE_LIST, IpcLayout::LIST);
	case TYPE_LARGE_LIST:
		return IpcType::Of(TYPE_LARGE_LIST, IpcLayout::LARGE_LIST);
	case TYPE_STRUCT:
		return IpcType::Of(TYPE_STRUCT, IpcLayout::STRUCT);
	case TYPE_MAP: {
		auto type = IpcType::Of(TYPE_MAP, IpcLayout::LIST);
		type.flag = table.Scalar<uint8_t>(0, 0) != 0; // keysSorted
		return type;
	}
	case TYPE_UNION: {
		auto mode = table.Scalar<int16_t>(0, 0); // Sparse, Dense
		if (mode != 0 && mode != 1) {
			throw InvalidInputException("Arrow IPC: field \"%s\" has an unknown union mode (%d)", name, mode);
		}
		auto type = IpcType::Of(TYPE_UNION, mode == 0 ? IpcLayout::SPARSE_UNION : IpcLayout::DENSE_UNION);
		type.param_a = mode;
		// Without typeIds, the type id of each child is its position.
		auto type_ids = table.Vector(1, sizeof(int32_t));
		for (uint32_t i = 0; i < (table.Has(1) ? type_ids.Size() : child_count); i++) {
			type.union_type_ids.push_back(table.Has(1) ? type_ids.Scalar<int32_t>(i) : int32_t(i));
		}
		// The data stores type ids as int8, one per child.
		auto ids = type.union_type_ids;
		std::sort(ids.begin(), ids.end());
		if (ids.size() != child_count || (!ids.empty() && (ids.front() < 0 || ids.back() > 127)) ||
		    std::adjacent_find(ids.begin(), ids.end()) != ids.end()) {
			throw InvalidInputException("Arrow IPC: union field \"%s\" has invalid type ids for its %d children", name,
			                            child_count);
		}
		return type;
	}
	case TYPE_RUN_END_ENCODED:
	case TYPE_LIST_VIEW:
	case TYPE_LARGE_LIST_VIEW:
		throw NotImplementedException("Arrow IPC: field \"%s\" has a type this reader does not support (%s)", name,
		                              type_id == TYPE_RUN_END_ENCODED ? "run-end encoded" : "list view");
	default:
		throw InvalidInputException("Arrow IPC: field \"%s\" has an unknown type (%d)", name, type_id);
	}
}

void CheckChildren(const IpcType &type, const std::vector<IpcField> &children, const std::string &name) {
	size_t expected = 0;
	switch (type.type_id) {
	case TYPE_STRUCT:
	case TYPE_UNION: // counted against the type ids by ReadType
		return;
	case TYPE_MAP:
		// Map<entries: Struct<key, value>>.
		if (children.size() != 1 || children[0].type.type_id != TYPE_STRUCT || children[0].children.size() != 2) {
			throw InvalidInputException("Arrow IPC: map field \"%s\" does not have one struct child of two fields",
			                            name);
		}
		return;
	case TYPE_LIST:
	case TYPE_LARGE_LIST:
	case TYPE_FIXED_SIZE_LIST:
		expected = 1;
		break;
	default:
		break;
	}
	if (children.size() != expected) {
		throw InvalidInputException("Arrow IPC: field \"%s\" has %d children, its type takes %d", name,
		                            children.size(), expected);
	}
}

IpcField ReadField(const FlatTableView &table, int depth) {
	if (depth > MAX_NESTING_DEPTH) {
		throw InvalidInputException("Arrow IPC: the schema nests fields more than %d levels deep", MAX_NESTING_DEPTH);
	}
	IpcField field;
	field.name = table.String(0);
	field.nullable = table.Scalar<uint8_t>(1, 0) != 0;
	auto child_tables = table.Vector(5, OFFSET_SIZE);
	std::vector<IpcField> children;
	for (uint32_t i = 0; i < child_tables.Size(); i++) {
		children.push_back(ReadField(child_tables.Table(i), depth + 1));
	}
	field.metadata = ReadKeyValues(table.Vector(6, OFFSET_SIZE));
	auto type = ReadType(table.Scalar<uint8_t>(2, 0), table.Table(3), children.size(), field.name);
	CheckChildren(type, children, field.name);
	if (!table.Has(4)) {
		field.type = std::move(type);
		field.children = std::move(children);
		return field;
	}
	// Dictionary-encoded: the field's type and children describe the values, DictionaryEncoding the indices.
	auto encoding = table.Table(4);
	if (encoding.Scalar<int16_t>(3, 0) != 0) {
		throw NotImplementedException("Arrow IPC: field \"%s\" has a dictionary kind other than DenseArray",
		                              field.name);
	}
	field.dictionary_id = encoding.Scalar<int64_t>(0, 0);
	// Without an indexType the indices are int32.
	field.type = encoding.Has(1) ? ReadIntType(encoding.Table(1), field.name) : IpcType::Integer(32, true);
	field.dictionary_ordered = encoding.Scalar<uint8_t>(2, 0) != 0;
	field.dictionary = std::unique_ptr<IpcField>(new IpcField());
	field.dictionary->nullable = true;
	field.dictionary->type = std::move(type);
	field.dictionary->children = std::move(children);
	return field;
}

//! The message body as the batches keep it: in place when 8-byte aligned in memory, which DuckDB's Arrow scan needs
//! as it reads values in place; otherwise an aligned copy. DuckDB may read a validity bitmap one byte beyond its end
//! (when realigning a child's bits), which in place stays inside the bytes or hits the string's terminating NUL; the
//! copy has a word to spare for it.
std::shared_ptr<const void> BodyOf(const std::shared_ptr<const std::string> &bytes, const uint8_t *body,
                                   int64_t length) {
	if (reinterpret_cast<uintptr_t>(body) % IPC_ALIGNMENT == 0) {
		return std::shared_ptr<const void>(bytes, body);
	}
	auto copy = std::make_shared<std::vector<uint64_t>>(size_t(length + IPC_ALIGNMENT - 1) / IPC_ALIGNMENT + 1);
	memcpy(copy->data(), body, size_t(length));
	return std::shared_ptr<const void>(copy, copy->data());
}

} // namespace

void IpcStreamReader::Read(std::string bytes_p, std::vector<std::shared_ptr<const IpcBatch>> &batches) {
	auto bytes = std::make_shared<const std::string>(std::move(bytes_p));
	auto data = reinterpret_cast<const uint8_t *>(bytes->data());
	const uint64_t size = bytes->size();
	uint64_t position = 0;
	while (position < size) {
		if (ended) {
			throw InvalidInputException("Arrow IPC: a message follows the end-of-stream marker (at byte %d)",
			                            position);
		}
		// Encapsulated message: continuation marker, int32 metadata length, metadata (a Message), body.
		if (size - position < 2 * sizeof(uint32_t)) {
			throw InvalidInputException("Arrow IPC: truncated message at byte %d (%d bytes left)", position,
			                            size - position);
		}
		if (Load<uint32_t>(data + position) != CONTINUATION_MARKER) {
			throw InvalidInputException("Arrow IPC: no message at byte %d (it does not start with the continuation "
			                            "marker 0xFFFFFFFF)",
			                            position);
		}
		auto metadata_length = Load<int32_t>(data + position + sizeof(uint32_t));
		position += 2 * sizeof(uint32_t);
		if (metadata_length == 0) {
			ended = true;
			continue;
		}
		if (metadata_length < 0 || uint64_t(metadata_length) > size - position) {
			throw InvalidInputException("Arrow IPC: truncated message at byte %d (its metadata takes %d bytes, %d are "
			                            "left)",
			                            position, metadata_length, size - position);
		}
		auto message = FlatTableView::Root(data + position, uint32_t(metadata_length));
		position += uint64_t(metadata_length);
		auto version = message.Scalar<int16_t>(0, 0);
		if (version != METADATA_VERSION_V5) {
			throw NotImplementedException("Arrow IPC: metadata version V%d is not supported (only V5)", version + 1);
		}
		auto header_type = message.Scalar<uint8_t>(1, 0);
		auto header = message.Table(2);
		auto body_length = message.Scalar<int64_t>(3, 0);
		if (body_length < 0 || uint64_t(body_length) > size - position) {
			throw InvalidInputException("Arrow IPC: truncated message at byte %d (its body takes %d bytes, %d are "
			                            "left)",
			                            position, body_length, size - position);
		}
		auto body = data + position;
		position += uint64_t(body_length);
		if (header_type != HEADER_SCHEMA && !has_schema) {
			throw InvalidInputException("Arrow IPC: the stream does not start with a Schema message");
		}
		switch (header_type) {
		case HEADER_SCHEMA:
			ReadSchema(header);
			break;
		case HEADER_DICTIONARY_BATCH:
			ReadDictionaryBatch(header, BodyOf(bytes, body, body_length), body_length);
			break;
		case HEADER_RECORD_BATCH:
			batches.push_back(ReadIpcBatch(header, fields.data(), fields.size(), BodyOf(bytes, body, body_length),
			                               body_length, dictionaries));
			break;
		case HEADER_TENSOR:
		case HEADER_SPARSE_TENSOR:
			throw NotImplementedException("Arrow IPC: tensor messages are not supported");
		default:
			throw InvalidInputException("Arrow IPC: unknown message type %d", header_type);
		}
	}
}

void IpcStreamReader::ReadSchema(const FlatTableView &schema) {
	if (has_schema) {
		throw InvalidInputException("Arrow IPC: the stream has a second Schema message");
	}
	if (schema.Scalar<int16_t>(0, 0) != 0) { // endianness: Little, Big
		throw NotImplementedException("Arrow IPC: big-endian streams are not supported");
	}
	auto field_tables = schema.Vector(1, OFFSET_SIZE);
	for (uint32_t i = 0; i < field_tables.Size(); i++) {
		fields.push_back(ReadField(field_tables.Table(i), 0));
	}
	schema_metadata = ReadKeyValues(schema.Vector(2, OFFSET_SIZE));
	for (auto &field : fields) {
		RegisterDictionaries(field);
	}
	has_schema = true;
}

void IpcStreamReader::RegisterDictionaries(const IpcField &field) {
	if (field.dictionary) {
		if (!dictionary_fields.emplace(field.dictionary_id, field.dictionary.get()).second) {
			throw NotImplementedException("Arrow IPC: dictionary %d is shared by several fields, which is not supported",
			                              field.dictionary_id);
		}
		RegisterDictionaries(*field.dictionary);
	}
	for (auto &child : field.children) {
		RegisterDictionaries(child);
	}
}

void IpcStreamReader::ReadDictionaryBatch(const FlatTableView &header, std::shared_ptr<const void> body,
                                          int64_t body_length) {
	auto id = header.Scalar<int64_t>(0, 0);
	auto field = dictionary_fields.find(id);
	if (field == dictionary_fields.end()) {
		throw InvalidInputException("Arrow IPC: the stream sends dictionary %d, which no field uses", id);
	}
	if (header.Scalar<uint8_t>(2, 0) != 0) { // isDelta
		throw NotImplementedException("Arrow IPC: delta dictionary batches are not supported (dictionary %d)", id);
	}
	if (!header.Has(1)) {
		throw InvalidInputException("Arrow IPC: the batch of dictionary %d has no data", id);
	}
	// A batch already read keeps the dictionary it was read with; this one replaces it for the batches to come.
	auto batch = ReadIpcBatch(header.Table(1), field->second, 1, std::move(body), body_length, dictionaries);
	dictionaries[id] = std::move(batch);
}

std::shared_ptr<const IpcBatch> IpcStreamReader::Dictionary(int64_t id) const {
	auto entry = dictionaries.find(id);
	return entry == dictionaries.end() ? nullptr : entry->second;
}

} // namespace openduck
