#include "arrow_ipc/ipc_batch_reader.hpp"

#include "arrow_ipc/flatbuffer_reader.hpp"
#include "arrow_ipc/ipc_format.hpp"
#include "duckdb/common/exception.hpp"

#include <algorithm>
#include <cstring>

namespace openduck {

using duckdb::InvalidInputException;
using duckdb::NotImplementedException;
using namespace ipc_format;

namespace {

//! The most values an array may have. Arrays without buffers (null, or structs of them) are not bounded by the
//! message size, and a consumer would otherwise allocate or loop for whatever length they claim.
constexpr int64_t MAX_ARRAY_LENGTH = INT32_MAX;
// Element sizes of FlatBuffers vectors: the FieldNode and Buffer structs (two int64 each), int64.
constexpr uint32_t STRUCT_SIZE = 16;
constexpr uint32_t INT64_SIZE = 8;

//! Where empty buffers point: never null, so a consumer may form pointers from it and read an empty offset buffer's
//! single zero.
alignas(IPC_ALIGNMENT) const uint8_t EMPTY_BUFFER[16] = {};

template <class T>
T Load(const uint8_t *data) {
	T value;
	memcpy(&value, data, sizeof(T));
	return value;
}

int64_t BitmapBytes(int64_t bits) {
	return bits / 8 + (bits % 8 != 0);
}

//! Whether `count` values of `width` bytes fit into `size` bytes, without overflowing.
bool Fits(int64_t count, int64_t width, int64_t size) {
	return width == 0 || count <= size / width;
}

bool IsValid(const uint8_t *validity, int64_t row) {
	return !validity || ((validity[row >> 3] >> (row & 7)) & 1);
}

struct BodyBuffer {
	const uint8_t *data;
	int64_t size;
};

template <class T>
void CheckOffsets(const IpcField &field, const BodyBuffer &buffer, int64_t length, int64_t limit) {
	if (length == 0) {
		return; // the offsets may be left out
	}
	if (!Fits(length + 1, sizeof(T), buffer.size)) {
		throw InvalidInputException("Arrow IPC: the offsets of field \"%s\" are too short for its %d values",
		                            field.name, length);
	}
	auto offsets = reinterpret_cast<const T *>(buffer.data);
	bool increasing = offsets[0] >= 0;
	for (int64_t i = 0; i < length; i++) {
		increasing &= offsets[i] <= offsets[i + 1];
	}
	if (!increasing || offsets[length] > limit) {
		throw InvalidInputException("Arrow IPC: field \"%s\" has offsets that are negative, decreasing or beyond its "
		                            "%d bytes or values of data",
		                            field.name, limit);
	}
}

template <class T>
void CheckIndices(const IpcField &field, const void *data, const uint8_t *validity, int64_t length,
                  int64_t dictionary_length) {
	// Negative indices turn into huge unsigned ones. Slots that are null may hold anything.
	auto indices = static_cast<const T *>(data);
	auto limit = static_cast<uint64_t>(dictionary_length);
	bool in_range = true;
	for (int64_t row = 0; row < length; row++) {
		in_range &= !IsValid(validity, row) || static_cast<uint64_t>(indices[row]) < limit;
	}
	if (!in_range) {
		throw InvalidInputException("Arrow IPC: field \"%s\" has dictionary indices beyond its dictionary of %d values",
		                            field.name, dictionary_length);
	}
}

//! Reads the arrays of one RecordBatch table (of a record batch or a dictionary batch) in the pre-order of their
//! fields, taking field nodes and buffers in turn as IpcStreamWriter lays them out, and checks each array.
class BatchReader {
public:
	BatchReader(const FlatTableView &record_batch, const uint8_t *body_p, int64_t body_length_p,
	            const IpcDictionaries &dictionaries_p)
	    : nodes(record_batch.Vector(1, STRUCT_SIZE)), buffers(record_batch.Vector(2, STRUCT_SIZE)),
	      variadic_counts(record_batch.Vector(4, INT64_SIZE)), body(body_p), body_length(body_length_p),
	      dictionaries(dictionaries_p) {
		if (record_batch.Has(3)) {
			throw NotImplementedException("Arrow IPC: compressed record batches are not supported");
		}
	}

	IpcArray ReadArray(const IpcField &field);
	//! Checks that the schema used up every node, buffer and variadic buffer count of the batch.
	void Finish() const;

private:
	BodyBuffer NextBuffer(const IpcField &field);
	int64_t NextVariadicCount(const IpcField &field);
	//! Reads the validity buffer of `array`, appends it to its buffers and returns it (null without nulls).
	const uint8_t *ReadValidity(const IpcField &field, IpcArray &array);
	//! Reads a buffer of `count` values of `width` bytes and appends it to the buffers of `array`.
	BodyBuffer ReadValues(const IpcField &field, IpcArray &array, int64_t count, int64_t width, const char *what);
	void CheckViews(const IpcField &field, const BodyBuffer &views, const uint8_t *validity, const IpcArray &array);
	void CheckUnion(const IpcField &field, const BodyBuffer &type_ids, const BodyBuffer *offsets,
	                const IpcArray &array);
	void CheckDictionaryIndices(const IpcField &field, const uint8_t *validity, const IpcArray &array,
	                            int64_t dictionary_length);

	FlatVectorView nodes;
	FlatVectorView buffers;
	FlatVectorView variadic_counts;
	uint32_t node_index = 0;
	uint32_t buffer_index = 0;
	uint32_t variadic_index = 0;
	const uint8_t *body;
	int64_t body_length;
	const IpcDictionaries &dictionaries;
};

BodyBuffer BatchReader::NextBuffer(const IpcField &field) {
	if (buffer_index >= buffers.Size()) {
		throw InvalidInputException("Arrow IPC: the record batch has fewer buffers than its schema needs (at field "
		                            "\"%s\")",
		                            field.name);
	}
	auto offset = buffers.Scalar<int64_t>(buffer_index, 0); // Buffer: offset, length
	auto size = buffers.Scalar<int64_t>(buffer_index, sizeof(int64_t));
	buffer_index++;
	if (offset < 0 || size < 0 || offset > body_length || size > body_length - offset) {
		throw InvalidInputException("Arrow IPC: a buffer of field \"%s\" (%d bytes at offset %d) lies outside the "
		                            "message body of %d bytes",
		                            field.name, size, offset, body_length);
	}
	if (size == 0) {
		return BodyBuffer {EMPTY_BUFFER, 0};
	}
	if (offset % IPC_ALIGNMENT != 0) {
		throw InvalidInputException("Arrow IPC: a buffer of field \"%s\" is not 8-byte aligned (offset %d)",
		                            field.name, offset);
	}
	return BodyBuffer {body + offset, size};
}

int64_t BatchReader::NextVariadicCount(const IpcField &field) {
	if (variadic_index >= variadic_counts.Size()) {
		throw InvalidInputException("Arrow IPC: the record batch lacks the variadic buffer count of field \"%s\"",
		                            field.name);
	}
	auto count = variadic_counts.Scalar<int64_t>(variadic_index++);
	if (count < 0 || count > int64_t(buffers.Size() - buffer_index)) {
		throw InvalidInputException("Arrow IPC: field \"%s\" claims %d variadic buffers, more than the record batch "
		                            "has",
		                            field.name, count);
	}
	return count;
}

const uint8_t *BatchReader::ReadValidity(const IpcField &field, IpcArray &array) {
	auto buffer = NextBuffer(field);
	const uint8_t *validity = nullptr;
	// Without nulls the bitmap may be left out; it is not passed on even when present.
	if (array.null_count > 0) {
		if (!Fits(BitmapBytes(array.length), 1, buffer.size)) {
			throw InvalidInputException("Arrow IPC: the validity bitmap of field \"%s\" is too short for its %d values",
			                            field.name, array.length);
		}
		validity = buffer.data;
	}
	array.buffers.push_back(validity);
	return validity;
}

BodyBuffer BatchReader::ReadValues(const IpcField &field, IpcArray &array, int64_t count, int64_t width,
                                   const char *what) {
	auto buffer = NextBuffer(field);
	if (!Fits(count, width, buffer.size)) {
		throw InvalidInputException("Arrow IPC: the %s of field \"%s\" are too short for its %d values", what,
		                            field.name, array.length);
	}
	array.buffers.push_back(buffer.data);
	return buffer;
}

void BatchReader::CheckViews(const IpcField &field, const BodyBuffer &views, const uint8_t *validity,
                             const IpcArray &array) {
	// A view: int32 length, then either the bytes inline or a prefix, a buffer index and an offset (int32 each).
	auto buffer_count = int64_t(array.variadic_sizes.size());
	for (int64_t row = 0; row < array.length; row++) {
		if (!IsValid(validity, row)) {
			continue;
		}
		auto view = views.data + row * BINARY_VIEW_SIZE;
		auto size = Load<int32_t>(view);
		if (size <= BINARY_VIEW_INLINE_SIZE && size >= 0) {
			continue;
		}
		auto index = Load<int32_t>(view + 8);
		auto offset = Load<int32_t>(view + 12);
		if (size < 0 || index < 0 || index >= buffer_count || offset < 0 || size > array.variadic_sizes[index] - offset) {
			throw InvalidInputException("Arrow IPC: field \"%s\" has a binary view (row %d) outside its data buffers",
			                            field.name, row);
		}
	}
}

void BatchReader::CheckUnion(const IpcField &field, const BodyBuffer &type_ids, const BodyBuffer *offsets,
                             const IpcArray &array) {
	int child_of_type_id[128];
	std::fill(child_of_type_id, child_of_type_id + 128, -1);
	for (size_t child = 0; child < field.type.union_type_ids.size(); child++) {
		child_of_type_id[field.type.union_type_ids[child]] = int(child);
	}
	auto ids = reinterpret_cast<const int8_t *>(type_ids.data);
	for (int64_t row = 0; row < array.length; row++) {
		auto child = ids[row] < 0 ? -1 : child_of_type_id[ids[row]];
		if (child < 0) {
			throw InvalidInputException("Arrow IPC: union field \"%s\" has an unknown type id (%d) in row %d",
			                            field.name, ids[row], row);
		}
		if (offsets) {
			auto offset = Load<int32_t>(offsets->data + row * sizeof(int32_t));
			if (offset < 0 || offset >= array.children[child].length) {
				throw InvalidInputException("Arrow IPC: dense union field \"%s\" has an offset beyond its child in "
				                            "row %d",
				                            field.name, row);
			}
		}
	}
}

void BatchReader::CheckDictionaryIndices(const IpcField &field, const uint8_t *validity, const IpcArray &array,
                                         int64_t dictionary_length) {
	auto indices = array.buffers[1];
	switch (field.type.param_a) {
	case 8:
		return field.type.flag ? CheckIndices<int8_t>(field, indices, validity, array.length, dictionary_length)
		                       : CheckIndices<uint8_t>(field, indices, validity, array.length, dictionary_length);
	case 16:
		return field.type.flag ? CheckIndices<int16_t>(field, indices, validity, array.length, dictionary_length)
		                       : CheckIndices<uint16_t>(field, indices, validity, array.length, dictionary_length);
	case 32:
		return field.type.flag ? CheckIndices<int32_t>(field, indices, validity, array.length, dictionary_length)
		                       : CheckIndices<uint32_t>(field, indices, validity, array.length, dictionary_length);
	default:
		return field.type.flag ? CheckIndices<int64_t>(field, indices, validity, array.length, dictionary_length)
		                       : CheckIndices<uint64_t>(field, indices, validity, array.length, dictionary_length);
	}
}

IpcArray BatchReader::ReadArray(const IpcField &field) {
	if (node_index >= nodes.Size()) {
		throw InvalidInputException("Arrow IPC: the record batch has fewer field nodes than its schema has fields (at "
		                            "field \"%s\")",
		                            field.name);
	}
	IpcArray array;
	array.layout = field.type.layout;
	array.width = field.type.width;
	array.length = nodes.Scalar<int64_t>(node_index, 0); // FieldNode: length, null_count
	array.null_count = nodes.Scalar<int64_t>(node_index, sizeof(int64_t));
	node_index++;
	if (array.length < 0 || array.length > MAX_ARRAY_LENGTH || array.null_count < 0 ||
	    array.null_count > array.length) {
		throw InvalidInputException("Arrow IPC: field \"%s\" has %d values of which %d are null", field.name,
		                            array.length, array.null_count);
	}
	auto read_children = [&]() {
		for (auto &child : field.children) {
			array.children.push_back(ReadArray(child));
		}
	};
	auto check_child_length = [&](int64_t needed) {
		for (auto &child : array.children) {
			if (child.length < needed) {
				throw InvalidInputException("Arrow IPC: a child of field \"%s\" has %d values, %d are needed",
				                            field.name, child.length, needed);
			}
		}
	};
	const uint8_t *validity = nullptr;
	switch (array.layout) {
	case IpcLayout::NO_BUFFERS:
		break;
	case IpcLayout::BITS:
		validity = ReadValidity(field, array);
		ReadValues(field, array, BitmapBytes(array.length), 1, "values");
		break;
	case IpcLayout::FIXED_WIDTH:
		validity = ReadValidity(field, array);
		ReadValues(field, array, array.length, array.width, "values");
		break;
	case IpcLayout::BINARY:
	case IpcLayout::LARGE_BINARY: {
		validity = ReadValidity(field, array);
		auto offsets = NextBuffer(field);
		auto data = NextBuffer(field);
		if (array.layout == IpcLayout::BINARY) {
			CheckOffsets<int32_t>(field, offsets, array.length, data.size);
		} else {
			CheckOffsets<int64_t>(field, offsets, array.length, data.size);
		}
		array.buffers.push_back(offsets.data);
		array.buffers.push_back(data.data);
		break;
	}
	case IpcLayout::BINARY_VIEW: {
		validity = ReadValidity(field, array);
		auto views = ReadValues(field, array, array.length, BINARY_VIEW_SIZE, "views");
		auto count = NextVariadicCount(field);
		for (int64_t i = 0; i < count; i++) {
			auto data = NextBuffer(field);
			array.buffers.push_back(data.data);
			array.variadic_sizes.push_back(data.size);
		}
		CheckViews(field, views, validity, array);
		break;
	}
	case IpcLayout::LIST:
	case IpcLayout::LARGE_LIST: {
		validity = ReadValidity(field, array);
		auto offsets = NextBuffer(field);
		array.buffers.push_back(offsets.data);
		read_children();
		if (array.layout == IpcLayout::LIST) {
			CheckOffsets<int32_t>(field, offsets, array.length, array.children[0].length);
		} else {
			CheckOffsets<int64_t>(field, offsets, array.length, array.children[0].length);
		}
		break;
	}
	case IpcLayout::FIXED_LIST:
		validity = ReadValidity(field, array);
		read_children();
		if (!Fits(array.length, array.width, array.children[0].length)) {
			throw InvalidInputException("Arrow IPC: the child of fixed-size list field \"%s\" is too short for %d "
			                            "lists of %d",
			                            field.name, array.length, array.width);
		}
		break;
	case IpcLayout::STRUCT:
		validity = ReadValidity(field, array);
		read_children();
		check_child_length(array.length);
		break;
	case IpcLayout::SPARSE_UNION:
	case IpcLayout::DENSE_UNION: {
		// Since V5 unions have no validity bitmap: their nulls are those of the children.
		if (array.null_count != 0) {
			throw InvalidInputException("Arrow IPC: union field \"%s\" has a null count (%d); unions have none",
			                            field.name, array.null_count);
		}
		auto type_ids = ReadValues(field, array, array.length, 1, "type ids");
		if (array.layout == IpcLayout::SPARSE_UNION) {
			read_children();
			check_child_length(array.length);
			CheckUnion(field, type_ids, nullptr, array);
		} else {
			auto offsets = ReadValues(field, array, array.length, sizeof(int32_t), "offsets");
			read_children();
			CheckUnion(field, type_ids, &offsets, array);
		}
		break;
	}
	}
	if (field.dictionary) {
		auto dictionary = dictionaries.find(field.dictionary_id);
		if (dictionary == dictionaries.end()) {
			throw InvalidInputException("Arrow IPC: field \"%s\" uses dictionary %d, which the stream has not sent",
			                            field.name, field.dictionary_id);
		}
		CheckDictionaryIndices(field, validity, array, dictionary->second->length);
		array.dictionary = dictionary->second;
	}
	return array;
}

void BatchReader::Finish() const {
	if (node_index != nodes.Size() || buffer_index != buffers.Size() || variadic_index != variadic_counts.Size()) {
		throw InvalidInputException("Arrow IPC: the record batch has %d field nodes and %d buffers, its schema "
		                            "describes %d and %d",
		                            nodes.Size(), buffers.Size(), node_index, buffer_index);
	}
}

} // namespace

std::shared_ptr<const IpcBatch> ReadIpcBatch(const FlatTableView &record_batch, const IpcField *fields,
                                             size_t field_count, std::shared_ptr<const void> body, int64_t body_length,
                                             const IpcDictionaries &dictionaries) {
	auto batch = std::make_shared<IpcBatch>();
	batch->length = record_batch.Scalar<int64_t>(0, 0);
	if (batch->length < 0) {
		throw InvalidInputException("Arrow IPC: a record batch has a negative length (%d)", batch->length);
	}
	BatchReader reader(record_batch, static_cast<const uint8_t *>(body.get()), body_length, dictionaries);
	for (size_t i = 0; i < field_count; i++) {
		batch->columns.push_back(reader.ReadArray(fields[i]));
		if (batch->columns.back().length != batch->length) {
			throw InvalidInputException("Arrow IPC: column \"%s\" has %d values, its record batch %d rows",
			                            fields[i].name, batch->columns.back().length, batch->length);
		}
	}
	reader.Finish();
	batch->body = std::move(body);
	return batch;
}

} // namespace openduck
