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
#include <unordered_map>

namespace openduck {

//! Encodes appended chunks as Arrow IPC (the same lossless encoding results travel in) and stages them, one
//! complete IPC stream per part: PUT to presigned URLs straight into the service's object storage when the server
//! hands them out (PrepareStagedParts), else with StageRows, each part well under the 6 MB a request may carry
//! through a function URL. SENDERS background threads send parts (each on a connection of its own, so the server's per-request waits
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
	//! Presigned URLs asked for at once (PrepareStagedParts allows up to 64).
	static constexpr uint32_t URLS_PER_REQUEST = 16;

	void FinishBatch();
	void FinishPart();
	void Send();
	//! Where to PUT `part`, or "" when the server takes parts only through StageRows.
	std::string PartUrl(uint32_t part);
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
	//! Presigned part URLs fetched so far, by part.
	std::mutex url_lock;
	std::unordered_map<uint32_t, std::string> part_urls;
};

} // namespace openduck
