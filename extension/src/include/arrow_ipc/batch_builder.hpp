//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// arrow_ipc/batch_builder.hpp
//
// Gathers DuckDB chunks into Arrow record batches bounded by a row count and an approximate byte size.
//===----------------------------------------------------------------------===//

#pragma once

#include "duckdb/common/arrow/arrow_appender.hpp"
#include "duckdb/function/table/arrow/arrow_duck_schema.hpp"

namespace openduck {

//! Releases an ArrowSchema/ArrowArray when leaving scope, also on exceptions.
template <class T>
struct ArrowReleaser {
	T value;
	~ArrowReleaser() {
		if (value.release) {
			value.release(&value);
		}
	}
};

class ArrowBatchBuilder {
public:
	//! `options.client_context` must be the context that produced the chunks (extension-type casts use it).
	ArrowBatchBuilder(duckdb::vector<duckdb::LogicalType> types, duckdb::ClientProperties options,
	                  duckdb::idx_t batch_rows, duckdb::idx_t batch_bytes);

	//! The ClientProperties that decide how DuckDB exports Arrow from `context`, adjusted to what the IPC writer and
	//! its readers need.
	static duckdb::ClientProperties ExportProperties(duckdb::ClientContext &context);
	//! The Arrow schema of the batches: DuckDB's, with BOOLEAN as Arrow's bool (see the implementation).
	static void ExportSchema(ArrowSchema &schema, const duckdb::vector<duckdb::LogicalType> &types,
	                         const duckdb::vector<duckdb::string> &names, duckdb::ClientProperties options);

	//! Appends rows of `chunk` starting at `offset` until the batch is full; returns how many were taken.
	duckdb::idx_t Append(duckdb::DataChunk &chunk, duckdb::idx_t offset);
	//! Whether the batch reached its row or byte budget.
	bool IsFull() const {
		return full;
	}
	duckdb::idx_t RowCount() const {
		return row_count;
	}
	//! Hands out the batch as an ArrowArray (the caller releases it) and starts an empty one.
	ArrowArray Finish();

private:
	//! Fills `row_bytes` with the approximate Arrow size of each row of `chunk` from `offset` on.
	void EstimateRowBytes(duckdb::DataChunk &chunk, duckdb::idx_t offset);

	duckdb::vector<duckdb::LogicalType> types;
	duckdb::ClientProperties options;
	duckdb::unordered_map<duckdb::idx_t, const duckdb::shared_ptr<duckdb::ArrowTypeExtensionData>> extension_types;
	duckdb::idx_t batch_rows;
	duckdb::idx_t batch_bytes;
	//! Bytes per row of the fixed-width columns; variable-width ones are measured per row.
	duckdb::idx_t fixed_row_bytes = 0;
	duckdb::vector<duckdb::idx_t> variable_columns;
	//! Columns holding INTERVAL values at any depth, checked before they are appended.
	duckdb::vector<duckdb::idx_t> interval_columns;
	duckdb::vector<duckdb::idx_t> row_bytes;

	duckdb::unique_ptr<duckdb::ArrowAppender> appender;
	duckdb::idx_t row_count = 0;
	duckdb::idx_t byte_count = 0;
	bool full = false;
};

} // namespace openduck
