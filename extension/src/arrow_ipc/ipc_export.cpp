#include "arrow_ipc/ipc_export.hpp"

#include "arrow_ipc/ipc_format.hpp"
#include "duckdb/common/exception.hpp"

#include <cstring>

namespace openduck {

using duckdb::InternalException;
using namespace ipc_format;

namespace {

//! The C data interface format string of a type (https://arrow.apache.org/docs/format/CDataInterface.html).
std::string FormatOf(const IpcType &type) {
	static const char TIME_UNITS[] = "smun";
	switch (type.type_id) {
	case TYPE_NULL:
		return "n";
	case TYPE_INT: {
		auto index = type.param_a == 8 ? 0 : type.param_a == 16 ? 1 : type.param_a == 32 ? 2 : 3;
		return std::string(1, (type.flag ? "csil" : "CSIL")[index]);
	}
	case TYPE_FLOATING_POINT:
		return std::string(1, "efg"[type.param_a]);
	case TYPE_BINARY:
		return "z";
	case TYPE_UTF8:
		return "u";
	case TYPE_LARGE_BINARY:
		return "Z";
	case TYPE_LARGE_UTF8:
		return "U";
	case TYPE_BINARY_VIEW:
		return "vz";
	case TYPE_UTF8_VIEW:
		return "vu";
	case TYPE_BOOL:
		return "b";
	case TYPE_DECIMAL:
		return "d:" + std::to_string(type.param_a) + "," + std::to_string(type.param_b) +
		       (type.param_c == 128 ? "" : "," + std::to_string(type.param_c));
	case TYPE_DATE:
		return type.param_a == 0 ? "tdD" : "tdm";
	case TYPE_TIME:
		return std::string("tt") + TIME_UNITS[type.param_a];
	case TYPE_TIMESTAMP:
		return std::string("ts") + TIME_UNITS[type.param_a] + ":" + type.timezone;
	case TYPE_DURATION:
		return std::string("tD") + TIME_UNITS[type.param_a];
	case TYPE_INTERVAL:
		return std::string("ti") + "MDn"[type.param_a];
	case TYPE_FIXED_SIZE_BINARY:
		return "w:" + std::to_string(type.param_a);
	case TYPE_LIST:
		return "+l";
	case TYPE_LARGE_LIST:
		return "+L";
	case TYPE_FIXED_SIZE_LIST:
		return "+w:" + std::to_string(type.param_a);
	case TYPE_STRUCT:
		return "+s";
	case TYPE_MAP:
		return "+m";
	case TYPE_UNION: {
		std::string format = type.layout == IpcLayout::DENSE_UNION ? "+ud:" : "+us:";
		for (size_t i = 0; i < type.union_type_ids.size(); i++) {
			format += (i == 0 ? "" : ",") + std::to_string(type.union_type_ids[i]);
		}
		return format;
	}
	default:
		throw InternalException("Arrow IPC: no format string for type %d", type.type_id);
	}
}

template <class T>
void ReleaseIfSet(T &node) {
	if (node.release) {
		node.release(&node);
	}
}

//! The private data of every exported ArrowSchema: it owns the strings and the child structs (whose own private data
//! owns their subtrees, so a consumer may move a child out).
struct ExportedSchema {
	std::string format;
	std::string name;
	std::string metadata;
	std::vector<ArrowSchema> children;
	std::vector<ArrowSchema *> child_pointers;
	ArrowSchema dictionary {};

	~ExportedSchema() {
		for (auto &child : children) {
			ReleaseIfSet(child);
		}
		ReleaseIfSet(dictionary);
	}
};

void ReleaseSchema(ArrowSchema *schema) {
	delete static_cast<ExportedSchema *>(schema->private_data);
	schema->release = nullptr;
}

//! ArrowSchema.metadata: int32 pair count, then int32 length and bytes of each key and value; none when empty.
std::string EncodeMetadata(const std::vector<std::pair<std::string, std::string>> &entries) {
	std::string result;
	if (entries.empty()) {
		return result;
	}
	auto append_int32 = [&result](size_t value) {
		auto int_value = int32_t(value);
		result.append(reinterpret_cast<const char *>(&int_value), sizeof(int_value));
	};
	append_int32(entries.size());
	for (auto &entry : entries) {
		append_int32(entry.first.size());
		result += entry.first;
		append_int32(entry.second.size());
		result += entry.second;
	}
	return result;
}

void ExportField(const IpcField &field, ArrowSchema &out);

//! Exports `children` into `schema` and hands it to `out`.
void PublishSchema(std::unique_ptr<ExportedSchema> schema, const std::vector<IpcField> &children, int64_t flags,
                   bool has_dictionary, ArrowSchema &out) {
	schema->children.resize(children.size());
	for (size_t i = 0; i < children.size(); i++) {
		ExportField(children[i], schema->children[i]);
		schema->child_pointers.push_back(&schema->children[i]);
	}
	out.format = schema->format.c_str();
	out.name = schema->name.c_str();
	out.metadata = schema->metadata.empty() ? nullptr : schema->metadata.data();
	out.flags = flags;
	out.n_children = int64_t(children.size());
	out.children = schema->child_pointers.data();
	out.dictionary = has_dictionary ? &schema->dictionary : nullptr;
	out.release = ReleaseSchema;
	out.private_data = schema.release();
}

void ExportField(const IpcField &field, ArrowSchema &out) {
	auto schema = std::unique_ptr<ExportedSchema>(new ExportedSchema());
	schema->format = FormatOf(field.type);
	schema->name = field.name;
	schema->metadata = EncodeMetadata(field.metadata);
	int64_t flags = field.nullable ? ARROW_FLAG_NULLABLE : 0;
	if (field.type.type_id == TYPE_MAP && field.type.flag) {
		flags |= ARROW_FLAG_MAP_KEYS_SORTED;
	}
	if (field.dictionary) {
		flags |= field.dictionary_ordered ? ARROW_FLAG_DICTIONARY_ORDERED : 0;
		ExportField(*field.dictionary, schema->dictionary);
	}
	PublishSchema(std::move(schema), field.children, flags, field.dictionary != nullptr, out);
}

//! The private data of every exported ArrowArray: it keeps the batch (and so the message bytes) alive and owns the
//! buffer list and the child structs, whose own private data keeps the batch alive too.
struct ExportedArray {
	std::shared_ptr<const IpcBatch> batch;
	std::vector<const void *> buffers;
	std::vector<ArrowArray> children;
	std::vector<ArrowArray *> child_pointers;
	ArrowArray dictionary {};

	~ExportedArray() {
		for (auto &child : children) {
			ReleaseIfSet(child);
		}
		ReleaseIfSet(dictionary);
	}
};

void ReleaseArray(ArrowArray *array) {
	delete static_cast<ExportedArray *>(array->private_data);
	array->release = nullptr;
}

void PublishArray(std::unique_ptr<ExportedArray> array, int64_t length, int64_t null_count, bool has_dictionary,
                  ArrowArray &out) {
	out.length = length;
	out.null_count = null_count;
	out.offset = 0;
	out.n_buffers = int64_t(array->buffers.size());
	out.buffers = array->buffers.data();
	out.n_children = int64_t(array->children.size());
	out.children = array->child_pointers.data();
	out.dictionary = has_dictionary ? &array->dictionary : nullptr;
	out.release = ReleaseArray;
	out.private_data = array.release();
}

const void *Advance(const void *buffer, int64_t bytes) {
	return buffer ? static_cast<const uint8_t *>(buffer) + bytes : nullptr;
}

//! The nulls among slots [offset, offset + length) of `array`; `offset` is a multiple of 8.
int64_t CountNulls(const IpcArray &array, int64_t offset, int64_t length) {
	if (array.layout == IpcLayout::NO_BUFFERS || array.null_count == array.length) {
		return length;
	}
	if (array.null_count == 0 || (offset == 0 && length == array.length)) {
		return array.null_count;
	}
	auto validity = static_cast<const uint8_t *>(array.buffers[0]) + offset / 8;
	int64_t valid = 0;
	int64_t byte = 0;
	for (; byte + 8 <= length / 8; byte += 8) {
		uint64_t word;
		memcpy(&word, validity + byte, sizeof(word));
		valid += __builtin_popcountll(word);
	}
	for (; byte < length / 8; byte++) {
		valid += __builtin_popcount(validity[byte]);
	}
	if (length % 8 != 0) {
		valid += __builtin_popcount(validity[byte] & ((1u << (length % 8)) - 1));
	}
	return length - valid;
}

//! Exports slots [offset, offset + length) of `array` (`offset` a multiple of 8) with its buffers advanced to them.
void ExportArray(const IpcArray &array, int64_t offset, int64_t length, const std::shared_ptr<const IpcBatch> &owner,
                 ArrowArray &out) {
	auto exported = std::unique_ptr<ExportedArray>(new ExportedArray());
	exported->batch = owner;
	auto &buffers = exported->buffers;
	buffers = array.buffers;
	// Children cover the same slots (struct, sparse union), `width` slots each (fixed-size list), or are referenced
	// through offsets and kept whole (lists, dense union).
	auto child_offset = offset;
	auto child_length = length;
	bool whole_children = false;
	switch (array.layout) {
	case IpcLayout::NO_BUFFERS:
		break;
	case IpcLayout::BITS:
		buffers[1] = Advance(buffers[1], offset / 8);
		break;
	case IpcLayout::FIXED_WIDTH:
		buffers[1] = Advance(buffers[1], offset * array.width);
		break;
	case IpcLayout::BINARY:
	case IpcLayout::LIST:
		buffers[1] = Advance(buffers[1], offset * int64_t(sizeof(int32_t)));
		whole_children = true;
		break;
	case IpcLayout::LARGE_BINARY:
	case IpcLayout::LARGE_LIST:
		buffers[1] = Advance(buffers[1], offset * int64_t(sizeof(int64_t)));
		whole_children = true;
		break;
	case IpcLayout::BINARY_VIEW:
		buffers[1] = Advance(buffers[1], offset * BINARY_VIEW_SIZE);
		buffers.push_back(array.variadic_sizes.data());
		break;
	case IpcLayout::FIXED_LIST:
		child_offset = offset * array.width;
		child_length = length * array.width;
		break;
	case IpcLayout::STRUCT:
		break;
	case IpcLayout::SPARSE_UNION:
		buffers[0] = Advance(buffers[0], offset);
		break;
	case IpcLayout::DENSE_UNION:
		buffers[0] = Advance(buffers[0], offset);
		buffers[1] = Advance(buffers[1], offset * int64_t(sizeof(int32_t)));
		whole_children = true;
		break;
	}
	// Unions have no validity bitmap; every other layout with buffers starts with one.
	bool has_validity = array.layout != IpcLayout::NO_BUFFERS && array.layout != IpcLayout::SPARSE_UNION &&
	                    array.layout != IpcLayout::DENSE_UNION;
	if (has_validity) {
		buffers[0] = Advance(buffers[0], offset / 8);
	}
	exported->children.resize(array.children.size());
	for (size_t i = 0; i < array.children.size(); i++) {
		auto &child = array.children[i];
		ExportArray(child, whole_children ? 0 : child_offset, whole_children ? child.length : child_length, owner,
		            exported->children[i]);
		exported->child_pointers.push_back(&exported->children[i]);
	}
	if (array.dictionary) {
		auto &values = array.dictionary->columns[0];
		ExportArray(values, 0, values.length, array.dictionary, exported->dictionary);
	}
	PublishArray(std::move(exported), length, CountNulls(array, offset, length), array.dictionary != nullptr, out);
}

} // namespace

void ExportIpcSchema(const std::vector<IpcField> &fields,
                     const std::vector<std::pair<std::string, std::string>> &metadata, ArrowSchema &out) {
	auto schema = std::unique_ptr<ExportedSchema>(new ExportedSchema());
	schema->format = "+s";
	schema->metadata = EncodeMetadata(metadata);
	PublishSchema(std::move(schema), fields, 0, false, out);
}

void ExportIpcBatch(const std::shared_ptr<const IpcBatch> &batch, int64_t offset, int64_t length, ArrowArray &out) {
	if (offset < 0 || length < 0 || offset % 8 != 0 || offset > batch->length || length > batch->length - offset) {
		throw InternalException("Arrow IPC: rows [%d, %d) cannot be exported from a batch of %d", offset,
		                        offset + length, batch->length);
	}
	auto exported = std::unique_ptr<ExportedArray>(new ExportedArray());
	exported->batch = batch;
	exported->buffers.push_back(nullptr); // the struct's validity: none
	exported->children.resize(batch->columns.size());
	for (size_t i = 0; i < batch->columns.size(); i++) {
		ExportArray(batch->columns[i], offset, length, batch, exported->children[i]);
		exported->child_pointers.push_back(&exported->children[i]);
	}
	PublishArray(std::move(exported), length, 0, false, out);
}

} // namespace openduck
