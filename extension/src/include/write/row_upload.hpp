//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// write/row_upload.hpp
//
// Local rows on their way into a cloud table: staged on the server as Arrow IPC parts of a few MB.
//===----------------------------------------------------------------------===//

#pragma once

#include "arrow_ipc/batch_builder.hpp"
#include "arrow_ipc/ipc_writer.hpp"
#include "storage/remote_database.hpp"

#include <condition_variable>
#include <deque>
#include <thread>

namespace openduck {

//! Encodes appended chunks as Arrow IPC (the same lossless encoding results travel in) and stages them with
//! StageRows, one complete IPC stream per part, each well under the 6 MB a request may carry through a function
//! URL. SENDERS background threads send parts (each on a connection of its own, so the server's per-request waits
//! overlap) while the next one is encoded; at most MAX_QUEUED_PARTS wait, so memory stays bounded whatever the
//! number of rows. Nothing is visible until a write names the upload.
class RowUpload {
public:
	//! Parts are closed once they reach this many bytes (a batch more may follow before the check).
	static constexpr duckdb::idx_t PART_BYTES = 3 * 1024 * 1024;
	static constexpr duckdb::idx_t BATCH_BYTES = 512 * 1024;

	RowUpload(duckdb::ClientContext &context, std::shared_ptr<RemoteDatabase> remote,
	          duckdb::vector<duckdb::LogicalType> types, duckdb::vector<std::string> names);
	~RowUpload();

	void Append(duckdb::DataChunk &chunk);
	//! Sends what is left and waits until every part is staged; the write then reads `Staged()`.
	void Finish();
	const StagedRows &Staged() const {
		return staged;
	}
	duckdb::idx_t Rows() const {
		return rows;
	}

private:
	static constexpr size_t SENDERS = 2;
	static constexpr size_t MAX_QUEUED_PARTS = 2;

	void FinishBatch();
	void FinishPart();
	void Send();
	//! Throws what the sending thread failed with.
	void CheckFailure();

	duckdb::ClientContext &context;
	std::shared_ptr<RemoteDatabase> remote;
	duckdb::vector<duckdb::LogicalType> types;
	duckdb::vector<std::string> names;
	duckdb::ClientProperties properties;
	duckdb::unique_ptr<ArrowBatchBuilder> batch;
	//! The part being built: its writer (a new stream per part) and bytes so far.
	duckdb::unique_ptr<IpcStreamWriter> writer;
	std::string part;
	StagedRows staged;
	duckdb::idx_t rows = 0;

	std::mutex lock;
	std::condition_variable changed;
	std::deque<StageRowsRequest> queue;
	size_t sending = 0;
	bool closing = false;
	std::exception_ptr failure;
	std::vector<std::thread> senders;
};

} // namespace openduck
