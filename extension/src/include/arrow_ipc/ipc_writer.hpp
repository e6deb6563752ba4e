//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// arrow_ipc/ipc_writer.hpp
//
// Serializes Arrow C data interface structs into Arrow IPC encapsulated messages (metadata version V5).
//===----------------------------------------------------------------------===//

#pragma once

#include "duckdb/common/arrow/arrow.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace openduck {

//! How an array's buffers are laid out, which decides what goes into the IPC body.
enum class IpcLayout : uint8_t {
	NO_BUFFERS,   // null
	BITS,         // validity + bit-packed values (bool)
	FIXED_WIDTH,  // validity + values of `width` bytes
	BINARY,       // validity + int32 offsets + data
	LARGE_BINARY, // validity + int64 offsets + data
	BINARY_VIEW,  // validity + 16-byte views + variadic data buffers
	LIST,         // validity + int32 offsets, one child (list, map)
	LARGE_LIST,   // validity + int64 offsets, one child
	FIXED_LIST,   // validity, one child of `width` values per slot
	STRUCT,       // validity, children
	SPARSE_UNION, // type ids, children (no validity since V5)
	DENSE_UNION   // type ids + int32 offsets, children
};

//! The logical Arrow type of a field, as parsed from its C data interface format string.
struct IpcType {
	//! Member index in Schema.fbs' `union Type` (1 = Null ... 24 = Utf8View).
	uint8_t type_id = 0;
	IpcLayout layout = IpcLayout::NO_BUFFERS;
	//! Bytes per value for FIXED_WIDTH, values per slot for FIXED_LIST.
	int64_t width = 0;
	//! Type-table parameters; their meaning depends on type_id (see ipc_writer.cpp).
	int32_t param_a = 0;
	int32_t param_b = 0;
	int32_t param_c = 0;
	bool flag = false;
	std::string timezone;
	std::vector<int32_t> union_type_ids;

	//! A type of Schema.fbs member `type_id` laid out as `layout`, `width` as for FIXED_WIDTH/FIXED_LIST.
	static IpcType Of(uint8_t type_id, IpcLayout layout, int64_t width = 0);
	//! Int of `bits` bits (8, 16, 32 or 64).
	static IpcType Integer(int32_t bits, bool is_signed);
};

//! A field of the schema tree, with everything needed to write both the Schema and the batches.
struct IpcField {
	std::string name;
	bool nullable = true;
	std::vector<std::pair<std::string, std::string>> metadata;
	//! For dictionary-encoded fields this is the index type; the value type lives in `dictionary`.
	IpcType type;
	std::vector<IpcField> children;

	int64_t dictionary_id = -1;
	bool dictionary_ordered = false;
	std::unique_ptr<IpcField> dictionary;
};

//! One encapsulated message: continuation marker, metadata length, FlatBuffer metadata and the body. The body buffers
//! are referenced, not copied, until WriteTo.
class IpcMessage {
public:
	IpcMessage(std::string metadata, std::vector<std::pair<const void *, int64_t>> buffers);

	//! Total size in bytes once written.
	size_t Size() const;
	//! Writes the message to `target` (Size() bytes) and returns the end.
	char *WriteTo(char *target) const;

private:
	std::string metadata;
	std::vector<std::pair<const void *, int64_t>> buffers;
	int64_t body_length;
};

//! Turns one ArrowSchema plus a sequence of ArrowArrays of that schema into the messages of an IPC stream.
class IpcStreamWriter {
public:
	explicit IpcStreamWriter(const ArrowSchema &schema);

	//! The Schema message that opens the stream.
	IpcMessage SchemaMessage() const;
	//! The messages for one record batch: the DictionaryBatch messages not yet sent, then the RecordBatch.
	//! They reference `batch`'s buffers, which must stay alive until they are written.
	std::vector<IpcMessage> BatchMessages(const ArrowArray &batch);
	//! The end-of-stream marker (continuation token followed by a zero length).
	static std::string EndOfStream();

private:
	std::vector<IpcField> fields;
	int64_t dictionary_count = 0;
	bool dictionaries_sent = false;
};

} // namespace openduck
