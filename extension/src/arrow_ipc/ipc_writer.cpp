#include "arrow_ipc/ipc_writer.hpp"

#include "arrow_ipc/flatbuffer_builder.hpp"
#include "arrow_ipc/ipc_format.hpp"
#include "duckdb/common/exception.hpp"

#include <cstring>

namespace openduck {

using duckdb::InternalException;
using duckdb::NotImplementedException;
using namespace ipc_format;

namespace {

int64_t PadTo8(int64_t size) {
	return (size + IPC_ALIGNMENT - 1) / IPC_ALIGNMENT * IPC_ALIGNMENT;
}

// TimeUnit: SECOND, MILLISECOND, MICROSECOND, NANOSECOND.
int32_t ParseTimeUnit(char unit, const std::string &format) {
	switch (unit) {
	case 's':
		return 0;
	case 'm':
		return 1;
	case 'u':
		return 2;
	case 'n':
		return 3;
	default:
		throw NotImplementedException("Arrow IPC: unsupported time unit in format '%s'", format);
	}
}

std::vector<int32_t> ParseIntList(const std::string &text) {
	std::vector<int32_t> result;
	size_t start = 0;
	while (start < text.size()) {
		auto end = text.find(',', start);
		if (end == std::string::npos) {
			end = text.size();
		}
		result.push_back(std::stoi(text.substr(start, end - start)));
		start = end + 1;
	}
	return result;
}

//! Parses a C data interface format string (https://arrow.apache.org/docs/format/CDataInterface.html).
IpcType ParseFormat(const std::string &format) {
	if (format.size() == 1) {
		switch (format[0]) {
		case 'n':
			return IpcType::Of(TYPE_NULL, IpcLayout::NO_BUFFERS);
		case 'b':
			return IpcType::Of(TYPE_BOOL, IpcLayout::BITS);
		case 'c':
			return IpcType::Integer(8, true);
		case 'C':
			return IpcType::Integer(8, false);
		case 's':
			return IpcType::Integer(16, true);
		case 'S':
			return IpcType::Integer(16, false);
		case 'i':
			return IpcType::Integer(32, true);
		case 'I':
			return IpcType::Integer(32, false);
		case 'l':
			return IpcType::Integer(64, true);
		case 'L':
			return IpcType::Integer(64, false);
		case 'e':
		case 'f':
		case 'g': {
			// Precision: HALF, SINGLE, DOUBLE.
			int32_t precision = format[0] == 'e' ? 0 : format[0] == 'f' ? 1 : 2;
			auto type = IpcType::Of(TYPE_FLOATING_POINT, IpcLayout::FIXED_WIDTH, int64_t(2) << precision);
			type.param_a = precision;
			return type;
		}
		case 'z':
			return IpcType::Of(TYPE_BINARY, IpcLayout::BINARY);
		case 'Z':
			return IpcType::Of(TYPE_LARGE_BINARY, IpcLayout::LARGE_BINARY);
		case 'u':
			return IpcType::Of(TYPE_UTF8, IpcLayout::BINARY);
		case 'U':
			return IpcType::Of(TYPE_LARGE_UTF8, IpcLayout::LARGE_BINARY);
		default:
			break;
		}
	} else if (format == "vz") {
		return IpcType::Of(TYPE_BINARY_VIEW, IpcLayout::BINARY_VIEW);
	} else if (format == "vu") {
		return IpcType::Of(TYPE_UTF8_VIEW, IpcLayout::BINARY_VIEW);
	} else if (format.rfind("d:", 0) == 0) {
		auto parts = ParseIntList(format.substr(2));
		if (parts.size() < 2 || parts.size() > 3) {
			throw NotImplementedException("Arrow IPC: malformed decimal format '%s'", format);
		}
		int32_t bit_width = parts.size() == 3 ? parts[2] : 128;
		auto type = IpcType::Of(TYPE_DECIMAL, IpcLayout::FIXED_WIDTH, bit_width / 8);
		type.param_a = parts[0];
		type.param_b = parts[1];
		type.param_c = bit_width;
		return type;
	} else if (format.rfind("w:", 0) == 0) {
		auto byte_width = std::stoi(format.substr(2));
		auto type = IpcType::Of(TYPE_FIXED_SIZE_BINARY, IpcLayout::FIXED_WIDTH, byte_width);
		type.param_a = byte_width;
		return type;
	} else if (format == "tdD" || format == "tdm") {
		// DateUnit: DAY, MILLISECOND.
		bool days = format == "tdD";
		auto type = IpcType::Of(TYPE_DATE, IpcLayout::FIXED_WIDTH, days ? 4 : 8);
		type.param_a = days ? 0 : 1;
		return type;
	} else if (format.size() == 3 && format.rfind("tt", 0) == 0) {
		auto unit = ParseTimeUnit(format[2], format);
		int32_t bit_width = unit <= 1 ? 32 : 64;
		auto type = IpcType::Of(TYPE_TIME, IpcLayout::FIXED_WIDTH, bit_width / 8);
		type.param_a = unit;
		type.param_b = bit_width;
		return type;
	} else if (format.size() >= 4 && format.rfind("ts", 0) == 0 && format[3] == ':') {
		auto type = IpcType::Of(TYPE_TIMESTAMP, IpcLayout::FIXED_WIDTH, 8);
		type.param_a = ParseTimeUnit(format[2], format);
		type.timezone = format.substr(4);
		return type;
	} else if (format.size() == 3 && format.rfind("tD", 0) == 0) {
		auto type = IpcType::Of(TYPE_DURATION, IpcLayout::FIXED_WIDTH, 8);
		type.param_a = ParseTimeUnit(format[2], format);
		return type;
	} else if (format == "tiM" || format == "tiD" || format == "tin") {
		// IntervalUnit: YEAR_MONTH (4 bytes), DAY_TIME (8 bytes), MONTH_DAY_NANO (16 bytes).
		int32_t unit = format == "tiM" ? 0 : format == "tiD" ? 1 : 2;
		auto type = IpcType::Of(TYPE_INTERVAL, IpcLayout::FIXED_WIDTH, int64_t(4) << unit);
		type.param_a = unit;
		return type;
	} else if (format == "+l") {
		return IpcType::Of(TYPE_LIST, IpcLayout::LIST);
	} else if (format == "+L") {
		return IpcType::Of(TYPE_LARGE_LIST, IpcLayout::LARGE_LIST);
	} else if (format.rfind("+w:", 0) == 0) {
		auto list_size = std::stoi(format.substr(3));
		auto type = IpcType::Of(TYPE_FIXED_SIZE_LIST, IpcLayout::FIXED_LIST, list_size);
		type.param_a = list_size;
		return type;
	} else if (format == "+s") {
		return IpcType::Of(TYPE_STRUCT, IpcLayout::STRUCT);
	} else if (format == "+m") {
		return IpcType::Of(TYPE_MAP, IpcLayout::LIST);
	} else if (format.rfind("+us:", 0) == 0 || format.rfind("+ud:", 0) == 0) {
		bool dense = format[2] == 'd';
		auto type = IpcType::Of(TYPE_UNION, dense ? IpcLayout::DENSE_UNION : IpcLayout::SPARSE_UNION);
		type.param_a = dense ? 1 : 0; // UnionMode: Sparse, Dense
		type.union_type_ids = ParseIntList(format.substr(4));
		return type;
	}
	throw NotImplementedException("Arrow IPC: the Arrow format '%s' cannot be written", format);
}

//! ArrowSchema.metadata: int32 pair count, then (int32 length, bytes) for each key and value.
std::vector<std::pair<std::string, std::string>> ParseMetadata(const char *metadata) {
	std::vector<std::pair<std::string, std::string>> result;
	if (!metadata) {
		return result;
	}
	auto read_int32 = [&metadata]() {
		int32_t value;
		memcpy(&value, metadata, sizeof(value));
		metadata += sizeof(value);
		return value;
	};
	auto read_string = [&]() {
		auto length = read_int32();
		std::string value(metadata, static_cast<size_t>(length));
		metadata += length;
		return value;
	};
	auto count = read_int32();
	for (int32_t i = 0; i < count; i++) {
		auto key = read_string();
		auto value = read_string();
		result.emplace_back(std::move(key), std::move(value));
	}
	return result;
}

IpcField ParseField(const ArrowSchema &schema, int64_t &dictionary_count) {
	IpcField field;
	field.name = schema.name ? schema.name : "";
	field.nullable = (schema.flags & ARROW_FLAG_NULLABLE) != 0;
	field.metadata = ParseMetadata(schema.metadata);
	std::string format = schema.format ? schema.format : "";
	field.type = ParseFormat(format);
	if (field.type.type_id == TYPE_MAP) {
		field.type.flag = (schema.flags & ARROW_FLAG_MAP_KEYS_SORTED) != 0;
	}
	for (int64_t i = 0; i < schema.n_children; i++) {
		field.children.push_back(ParseField(*schema.children[i], dictionary_count));
	}
	if (schema.dictionary) {
		if (field.type.type_id != TYPE_INT) {
			throw NotImplementedException("Arrow IPC: dictionary indices of format '%s' are not integers", format);
		}
		// Ids are assigned in schema order, so they are unique per dictionary-encoded field.
		field.dictionary_id = dictionary_count++;
		field.dictionary_ordered = (schema.flags & ARROW_FLAG_DICTIONARY_ORDERED) != 0;
		field.dictionary = std::unique_ptr<IpcField>(new IpcField(ParseField(*schema.dictionary, dictionary_count)));
	}
	return field;
}

FlatTable TypeTable(const IpcType &type) {
	FlatTable table;
	switch (type.type_id) {
	case TYPE_INT:
		table.AddInt32(0, type.param_a); // bitWidth
		table.AddBool(1, type.flag);     // is_signed
		break;
	case TYPE_FLOATING_POINT:
		table.AddInt16(0, static_cast<int16_t>(type.param_a)); // precision
		break;
	case TYPE_DECIMAL:
		table.AddInt32(0, type.param_a); // precision
		table.AddInt32(1, type.param_b); // scale
		table.AddInt32(2, type.param_c); // bitWidth
		break;
	case TYPE_DATE:
	case TYPE_DURATION:
	case TYPE_INTERVAL:
		table.AddInt16(0, static_cast<int16_t>(type.param_a)); // unit
		break;
	case TYPE_TIME:
		table.AddInt16(0, static_cast<int16_t>(type.param_a)); // unit
		table.AddInt32(1, type.param_b);                       // bitWidth
		break;
	case TYPE_TIMESTAMP:
		table.AddInt16(0, static_cast<int16_t>(type.param_a)); // unit
		if (!type.timezone.empty()) {
			table.AddString(1, type.timezone);
		}
		break;
	case TYPE_FIXED_SIZE_BINARY:
	case TYPE_FIXED_SIZE_LIST:
		table.AddInt32(0, type.param_a); // byteWidth / listSize
		break;
	case TYPE_MAP:
		table.AddBool(0, type.flag); // keysSorted
		break;
	case TYPE_UNION:
		table.AddInt16(0, static_cast<int16_t>(type.param_a)); // mode
		table.AddInt32Vector(1, type.union_type_ids);          // typeIds
		break;
	default:
		// Null, Bool, Binary/Utf8 (and Large, View), List, LargeList and Struct_ have no fields.
		break;
	}
	return table;
}

FlatTable FieldTable(const IpcField &field) {
	// A dictionary-encoded field is described by its value type; the index type goes into DictionaryEncoding.
	const IpcField &value = field.dictionary ? *field.dictionary : field;
	FlatTable table;
	table.AddString(0, field.name);
	table.AddBool(1, field.nullable);
	table.AddUInt8(2, value.type.type_id);
	table.AddTable(3, TypeTable(value.type));
	if (field.dictionary) {
		FlatTable encoding;
		encoding.AddInt64(0, field.dictionary_id);
		encoding.AddTable(1, TypeTable(field.type)); // indexType: Int
		encoding.AddBool(2, field.dictionary_ordered);
		table.AddTable(4, std::move(encoding));
	}
	std::vector<FlatTable> children;
	for (auto &child : value.children) {
		children.push_back(FieldTable(child));
	}
	// Always present, even when empty: readers reject a Field whose children vector is missing.
	table.AddTableVector(5, std::move(children));
	if (!field.metadata.empty()) {
		std::vector<FlatTable> pairs;
		for (auto &entry : field.metadata) {
			FlatTable pair;
			pair.AddString(0, entry.first);
			pair.AddString(1, entry.second);
			pairs.push_back(std::move(pair));
		}
		table.AddTableVector(6, std::move(pairs));
	}
	return table;
}

std::string MessageMetadata(uint8_t header_type, FlatTable header, int64_t body_length) {
	FlatTable message;
	message.AddInt16(0, METADATA_VERSION_V5);
	message.AddUInt8(1, header_type);
	message.AddTable(2, std::move(header));
	message.AddInt64(3, body_length);
	auto metadata = FlatTable::Finish(message);
	// The prefix is 8 bytes, so padding the metadata to 8 keeps the body 8-byte aligned.
	metadata.resize(static_cast<size_t>(PadTo8(static_cast<int64_t>(metadata.size()))), '\0');
	return metadata;
}

//! The flattened (pre-order) nodes and buffers of a record batch.
struct BatchBody {
	std::vector<int64_t> nodes; // (length, null_count) pairs
	std::vector<std::pair<const void *, int64_t>> buffers;
	std::vector<int64_t> variadic_buffer_counts;

	void AddBuffer(const void *data, int64_t size) {
		buffers.emplace_back(size > 0 ? data : nullptr, size);
	}
};

int64_t CountNulls(const ArrowArray &array) {
	if (array.null_count >= 0) {
		return array.null_count;
	}
	// -1 means "not computed" in the C data interface.
	auto validity = static_cast<const uint8_t *>(array.buffers[0]);
	if (!validity) {
		return 0;
	}
	int64_t nulls = 0;
	for (int64_t i = 0; i < array.length; i++) {
		nulls += ((validity[i / 8] >> (i % 8)) & 1) == 0;
	}
	return nulls;
}

template <class OFFSET>
int64_t LastOffset(const ArrowArray &array) {
	return array.length == 0 ? 0 : static_cast<const OFFSET *>(array.buffers[1])[array.length];
}

void AddArray(const IpcField &field, const ArrowArray &array, BatchBody &body) {
	// DuckDB's appender never slices, and honouring offsets would mean rewriting bitmaps and offset buffers.
	if (array.offset != 0) {
		throw InternalException("Arrow IPC: arrays with a non-zero offset are not supported");
	}
	// An empty array may come without offset buffers; a single zero offset is always valid.
	static const int64_t ZERO_OFFSETS = 0;
	const auto length = array.length;
	const auto layout = field.type.layout;
	const auto null_count = layout == IpcLayout::NO_BUFFERS                                             ? length
	                        : layout == IpcLayout::SPARSE_UNION || layout == IpcLayout::DENSE_UNION ? 0
	                                                                                                  : CountNulls(array);
	body.nodes.push_back(length);
	body.nodes.push_back(null_count);

	auto add_validity = [&]() {
		// Without nulls the bitmap may be omitted (length 0), which also covers a null buffer pointer.
		body.AddBuffer(array.buffers[0], null_count == 0 ? 0 : (length + 7) / 8);
	};
	auto add_offsets = [&](int64_t offset_width) {
		if (length == 0) {
			body.AddBuffer(&ZERO_OFFSETS, offset_width);
		} else {
			body.AddBuffer(array.buffers[1], (length + 1) * offset_width);
		}
	};

	switch (layout) {
	case IpcLayout::NO_BUFFERS:
		break;
	case IpcLayout::BITS:
		add_validity();
		body.AddBuffer(array.buffers[1], (length + 7) / 8);
		break;
	case IpcLayout::FIXED_WIDTH:
		add_validity();
		body.AddBuffer(array.buffers[1], length * field.type.width);
		break;
	case IpcLayout::BINARY:
		add_validity();
		add_offsets(sizeof(int32_t));
		body.AddBuffer(array.buffers[2], LastOffset<int32_t>(array));
		break;
	case IpcLayout::LARGE_BINARY:
		add_validity();
		add_offsets(sizeof(int64_t));
		body.AddBuffer(array.buffers[2], LastOffset<int64_t>(array));
		break;
	case IpcLayout::BINARY_VIEW: {
		add_validity();
		body.AddBuffer(array.buffers[1], length * 16);
		// The C data interface appends one extra buffer holding the sizes of the variadic data buffers.
		auto variadic_count = array.n_buffers - 3;
		auto sizes = static_cast<const int64_t *>(array.buffers[array.n_buffers - 1]);
		for (int64_t i = 0; i < variadic_count; i++) {
			body.AddBuffer(array.buffers[2 + i], sizes[i]);
		}
		body.variadic_buffer_counts.push_back(variadic_count);
		break;
	}
	case IpcLayout::LIST:
		add_validity();
		add_offsets(sizeof(int32_t));
		break;
	case IpcLayout::LARGE_LIST:
		add_validity();
		add_offsets(sizeof(int64_t));
		break;
	case IpcLayout::FIXED_LIST:
	case IpcLayout::STRUCT:
		add_validity();
		break;
	case IpcLayout::SPARSE_UNION:
		body.AddBuffer(array.buffers[0], length);
		break;
	case IpcLayout::DENSE_UNION:
		body.AddBuffer(array.buffers[0], length);
		body.AddBuffer(array.buffers[1], length * int64_t(sizeof(int32_t)));
		break;
	}

	if (static_cast<size_t>(array.n_children) != field.children.size()) {
		throw InternalException("Arrow IPC: array of field \"%s\" has %d children, its schema %d", field.name,
		                        array.n_children, field.children.size());
	}
	for (size_t i = 0; i < field.children.size(); i++) {
		AddArray(field.children[i], *array.children[i], body);
	}
}

FlatTable RecordBatchTable(int64_t length, const BatchBody &body) {
	std::vector<int64_t> buffer_entries;
	int64_t offset = 0;
	for (auto &buffer : body.buffers) {
		buffer_entries.push_back(offset);
		buffer_entries.push_back(buffer.second);
		offset += PadTo8(buffer.second);
	}
	FlatTable table;
	table.AddInt64(0, length);
	table.AddInt64StructVector(1, body.nodes, 2);     // nodes: [FieldNode]
	table.AddInt64StructVector(2, buffer_entries, 2); // buffers: [Buffer]
	if (!body.variadic_buffer_counts.empty()) {
		table.AddInt64Vector(4, body.variadic_buffer_counts);
	}
	return table;
}

int64_t BodyLength(const BatchBody &body) {
	int64_t length = 0;
	for (auto &buffer : body.buffers) {
		length += PadTo8(buffer.second);
	}
	return length;
}

void CollectDictionaries(const IpcField &field, const ArrowArray &array,
                         std::vector<std::pair<const IpcField *, const ArrowArray *>> &result) {
	if (field.dictionary) {
		if (!array.dictionary) {
			throw InternalException("Arrow IPC: dictionary-encoded field \"%s\" has no dictionary", field.name);
		}
		result.emplace_back(&field, array.dictionary);
	}
	for (size_t i = 0; i < field.children.size() && i < static_cast<size_t>(array.n_children); i++) {
		CollectDictionaries(field.children[i], *array.children[i], result);
	}
}

} // namespace

IpcType IpcType::Of(uint8_t type_id, IpcLayout layout, int64_t width) {
	IpcType type;
	type.type_id = type_id;
	type.layout = layout;
	type.width = width;
	return type;
}

IpcType IpcType::Integer(int32_t bits, bool is_signed) {
	auto type = Of(TYPE_INT, IpcLayout::FIXED_WIDTH, bits / 8);
	type.param_a = bits;
	type.flag = is_signed;
	return type;
}

IpcMessage::IpcMessage(std::string metadata_p, std::vector<std::pair<const void *, int64_t>> buffers_p)
    : metadata(std::move(metadata_p)), buffers(std::move(buffers_p)), body_length(0) {
	for (auto &buffer : buffers) {
		body_length += PadTo8(buffer.second);
	}
}

size_t IpcMessage::Size() const {
	return 2 * sizeof(uint32_t) + metadata.size() + static_cast<size_t>(body_length);
}

char *IpcMessage::WriteTo(char *target) const {
	auto metadata_length = static_cast<int32_t>(metadata.size());
	memcpy(target, &CONTINUATION_MARKER, sizeof(uint32_t));
	memcpy(target + sizeof(uint32_t), &metadata_length, sizeof(int32_t));
	target += 2 * sizeof(uint32_t);
	memcpy(target, metadata.data(), metadata.size());
	target += metadata.size();
	for (auto &buffer : buffers) {
		auto size = static_cast<size_t>(buffer.second);
		if (size > 0) {
			memcpy(target, buffer.first, size);
		}
		auto padded = static_cast<size_t>(PadTo8(buffer.second));
		memset(target + size, 0, padded - size);
		target += padded;
	}
	return target;
}

IpcStreamWriter::IpcStreamWriter(const ArrowSchema &schema) {
	for (int64_t i = 0; i < schema.n_children; i++) {
		fields.push_back(ParseField(*schema.children[i], dictionary_count));
	}
}

IpcMessage IpcStreamWriter::SchemaMessage() const {
	std::vector<FlatTable> field_tables;
	for (auto &field : fields) {
		field_tables.push_back(FieldTable(field));
	}
	FlatTable schema;
	schema.AddInt16(0, 0); // endianness: Little
	schema.AddTableVector(1, std::move(field_tables));
	return IpcMessage(MessageMetadata(HEADER_SCHEMA, std::move(schema), 0), {});
}

std::vector<IpcMessage> IpcStreamWriter::BatchMessages(const ArrowArray &batch) {
	if (static_cast<size_t>(batch.n_children) != fields.size()) {
		throw InternalException("Arrow IPC: record batch has %d columns, the schema %d", batch.n_children,
		                        fields.size());
	}
	std::vector<IpcMessage> messages;
	// DuckDB exports an ENUM's complete value list as the dictionary of every batch, so the dictionaries never
	// change within a stream and are sent once, ahead of the first record batch.
	if (!dictionaries_sent) {
		std::vector<std::pair<const IpcField *, const ArrowArray *>> dictionaries;
		for (size_t i = 0; i < fields.size(); i++) {
			CollectDictionaries(fields[i], *batch.children[i], dictionaries);
		}
		for (auto &entry : dictionaries) {
			BatchBody body;
			AddArray(*entry.first->dictionary, *entry.second, body);
			FlatTable dictionary_batch;
			dictionary_batch.AddInt64(0, entry.first->dictionary_id);
			dictionary_batch.AddTable(1, RecordBatchTable(entry.second->length, body));
			auto metadata = MessageMetadata(HEADER_DICTIONARY_BATCH, std::move(dictionary_batch), BodyLength(body));
			messages.emplace_back(std::move(metadata), std::move(body.buffers));
		}
		dictionaries_sent = true;
	}
	BatchBody body;
	for (size_t i = 0; i < fields.size(); i++) {
		AddArray(fields[i], *batch.children[i], body);
	}
	auto metadata = MessageMetadata(HEADER_RECORD_BATCH, RecordBatchTable(batch.length, body), BodyLength(body));
	messages.emplace_back(std::move(metadata), std::move(body.buffers));
	return messages;
}

std::string IpcStreamWriter::EndOfStream() {
	std::string marker(2 * sizeof(uint32_t), '\0');
	memcpy(&marker[0], &CONTINUATION_MARKER, sizeof(uint32_t));
	return marker;
}

} // namespace openduck
