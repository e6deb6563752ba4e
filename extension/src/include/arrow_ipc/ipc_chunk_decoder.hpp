//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// arrow_ipc/ipc_chunk_decoder.hpp
//
// Turns the messages of an Arrow IPC stream back into DataChunks of the DuckDB types the stream was written from.
//===----------------------------------------------------------------------===//

#pragma once

#include "arrow_ipc/ipc_reader.hpp"
#include "duckdb/function/table/arrow.hpp"

#include <deque>

namespace openduck {

//! Decodes the record batches of an Arrow IPC stream as openduck_arrow_ipc writes it into DataChunks of the DuckDB
//! types it was exported from, through DuckDB's own Arrow scan: zero copy where that scan allows (fixed-width values
//! and strings point into the message bytes). Streams from other Arrow writers decode as DuckDB's Arrow scan types
//! them.
//!
//! A decoder serves one thread at a time and must not outlive its ClientContext: the context's DBConfig decides
//! which Arrow extension types map back to DuckDB types, and DuckDB's conversions of those types run in it. The
//! chunks it fills keep the bytes they point into alive on their own, beyond the decoder's lifetime.
class IpcChunkDecoder {
public:
	//! `schema_message`: the encapsulated Schema message (the ExecuteQueryResponse.arrow_schema bytes / the 'schema'
	//! blob), optionally followed by further messages of the stream, which are taken as by Push. An ENUM column
	//! travels as a dictionary of its values, which arrive in a DictionaryBatch message: its type is the exact ENUM
	//! only when that message is among them, VARCHAR otherwise.
	IpcChunkDecoder(duckdb::ClientContext &context, std::string schema_message);

	//! The exact DuckDB types of the columns (HUGEINT stays HUGEINT, UUID stays UUID, ENUM stays ENUM, ...).
	const duckdb::vector<duckdb::LogicalType> &Types() const {
		return types;
	}
	//! The column names, made unique as DuckDB's Arrow scan does (a repeated name gets a suffix).
	const duckdb::vector<duckdb::string> &Names() const {
		return names;
	}
	//! Queues the record batches found in `messages`: zero or more concatenated encapsulated messages
	//! (dictionary batches, record batches, possibly the end-of-stream marker).
	void Push(std::string messages);
	//! Fills `output` (already initialized with Types()) with up to STANDARD_VECTOR_SIZE rows from the queued batches;
	//! returns false (and output.size() == 0) when nothing is queued.
	bool Next(duckdb::DataChunk &output);

private:
	//! The ENUM type of a dictionary-encoded column, and the dictionary it was made of.
	struct EnumDictionary {
		duckdb::LogicalType type;
		std::shared_ptr<const IpcBatch> values;
	};

	void FindEnums(const IpcField &field);
	void AttachEnumTypes(const IpcField &field, duckdb::ArrowType &type) const;
	//! Releases the dictionaries of ENUM columns in an exported ArrowSchema or ArrowArray: DuckDB is to read those
	//! columns as their indices (see AttachEnumTypes).
	template <class NODE>
	void DetachEnumDictionaries(const IpcField &field, NODE &node) const;
	//! Checks that the ENUM columns of a batch were read with the dictionaries their types were made of.
	void CheckEnumDictionaries(const IpcField &field, const IpcArray &array);
	void Queue(std::vector<std::shared_ptr<const IpcBatch>> &batches);

	duckdb::ClientContext &context;
	IpcStreamReader reader;
	//! ENUM columns by dictionary id.
	std::unordered_map<int64_t, EnumDictionary> enums;
	duckdb::ArrowTableSchema arrow_table;
	duckdb::vector<duckdb::LogicalType> types;
	duckdb::vector<duckdb::string> names;
	//! Batches with rows left; the first one has `offset` of its rows emitted.
	std::deque<std::shared_ptr<const IpcBatch>> queue;
	int64_t offset = 0;
	duckdb::unique_ptr<duckdb::ArrowScanLocalState> scan_state;
};

} // namespace openduck
