//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// arrow_ipc/ipc_reader.hpp
//
// Reads Arrow IPC stream messages into Arrow C data interface structs that point into the message bytes.
//===----------------------------------------------------------------------===//

#pragma once

#include "arrow_ipc/ipc_writer.hpp"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace openduck {

class FlatTableView;
struct IpcBatch;

//! One array of a record batch or dictionary batch, checked against its field when it was read: every buffer lies
//! inside the message body and is large enough for the array, offsets grow monotonically and stay inside their data
//! or child, and union type ids, dense union offsets, binary views and (for valid slots) dictionary indices are in
//! range. A consumer that trusts its input, like DuckDB's Arrow scan, can therefore read it without further checks.
struct IpcArray {
	//! The layout of the array's own buffers (a dictionary-encoded array: its indices, FIXED_WIDTH).
	IpcLayout layout = IpcLayout::NO_BUFFERS;
	//! Bytes per value (FIXED_WIDTH) or values per slot (FIXED_LIST).
	int64_t width = 0;
	int64_t length = 0;
	int64_t null_count = 0;
	//! The buffers in C data interface order, starting at the array's first slot. The validity bitmap is null when
	//! the array has no nulls; an empty buffer points to zeros rather than being null.
	std::vector<const void *> buffers;
	//! BINARY_VIEW: the byte sizes of the variadic data buffers (the C data interface lists them as a last buffer).
	std::vector<int64_t> variadic_sizes;
	std::vector<IpcArray> children;
	//! Dictionary-encoded arrays: the dictionary batch in force when the array was read.
	std::shared_ptr<const IpcBatch> dictionary;
};

//! A record batch, or the batch of a dictionary (a single column holding the values), with the bytes it points into.
struct IpcBatch {
	int64_t length = 0;
	std::vector<IpcArray> columns;
	//! Owns the message body that the buffers point into.
	std::shared_ptr<const void> body;
};

//! Reads an Arrow IPC stream (https://arrow.apache.org/docs/format/Columnar.html#ipc-streaming-format), such as the
//! one IpcStreamWriter writes: the Schema message, then dictionary and record batches, optionally closed by the
//! end-of-stream marker; metadata version V5, little-endian, uncompressed. Nothing is copied unless a message body
//! sits at an address that is not 8-byte aligned. Malformed input throws duckdb::InvalidInputException; valid Arrow
//! the reader does not support (compressed bodies, delta dictionaries, run-end encoding, list views, tensors) throws
//! duckdb::NotImplementedException. ipc_export.hpp turns what it reads into Arrow C data interface structs.
class IpcStreamReader {
public:
	//! Reads the encapsulated messages that `bytes` consists of: any number of whole messages, the first one of the
	//! stream being the Schema. The record batches are appended to `batches`; they keep `bytes` alive.
	void Read(std::string bytes, std::vector<std::shared_ptr<const IpcBatch>> &batches);

	bool HasSchema() const {
		return has_schema;
	}
	//! The fields of the schema. A dictionary-encoded field has the index type; its `dictionary` has the values' type.
	const std::vector<IpcField> &Fields() const {
		return fields;
	}
	//! The schema's custom metadata.
	const std::vector<std::pair<std::string, std::string>> &SchemaMetadata() const {
		return schema_metadata;
	}
	//! The dictionary currently in force for `id`, or null when none has been read.
	std::shared_ptr<const IpcBatch> Dictionary(int64_t id) const;

private:
	void ReadSchema(const FlatTableView &schema);
	void ReadDictionaryBatch(const FlatTableView &header, std::shared_ptr<const void> body, int64_t body_length);
	void RegisterDictionaries(const IpcField &field);

	bool has_schema = false;
	bool ended = false;
	std::vector<IpcField> fields;
	std::vector<std::pair<std::string, std::string>> schema_metadata;
	//! The value field of each dictionary id (it lives in `fields`).
	std::unordered_map<int64_t, const IpcField *> dictionary_fields;
	std::unordered_map<int64_t, std::shared_ptr<const IpcBatch>> dictionaries;
};

} // namespace openduck
