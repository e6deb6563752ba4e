#include "write/row_upload.hpp"

#include "common/condition_wait.hpp"

#include "duckdb/common/exception.hpp"
#include "duckdb/common/types/uuid.hpp"

namespace openduck {

using namespace duckdb;

namespace {

//! 32 lowercase hex characters: the random part of a UUID, as StageRows wants upload ids.
string NewUploadId() {
	auto id = UUID::ToString(UUID::GenerateRandomUUID());
	id.erase(std::remove(id.begin(), id.end(), '-'), id.end());
	return id;
}

void AppendMessages(string &target, const std::vector<IpcMessage> &messages) {
	for (auto &message : messages) {
		auto offset = target.size();
		target.resize(offset + message.Size());
		message.WriteTo(&target[offset]);
	}
}

} // namespace

RowUpload::RowUpload(ClientContext &context_p, std::shared_ptr<RemoteDatabase> remote_p, vector<LogicalType> types_p,
                     vector<string> names_p)
    : context(context_p), remote(std::move(remote_p)), types(std::move(types_p)), names(std::move(names_p)),
      properties(ArrowBatchBuilder::ExportProperties(context_p)) {
	staged.upload_id = NewUploadId();
	batch = make_uniq<ArrowBatchBuilder>(types, properties, STANDARD_VECTOR_SIZE * 32, BATCH_BYTES);
	for (size_t i = 0; i < SENDERS; i++) {
		senders.emplace_back([this]() { Send(); });
	}
}

RowUpload::~RowUpload() {
	{
		std::lock_guard<std::mutex> guard(lock);
		closing = true;
		queue.clear();
	}
	changed.notify_all();
	for (auto &sender : senders) {
		sender.join();
	}
}

void RowUpload::CheckFailure() {
	std::lock_guard<std::mutex> guard(lock);
	if (failure) {
		std::rethrow_exception(failure);
	}
}

void RowUpload::Append(DataChunk &chunk) {
	CheckFailure();
	rows += chunk.size();
	idx_t offset = 0;
	while (offset < chunk.size()) {
		offset += batch->Append(chunk, offset);
		if (batch->IsFull()) {
			FinishBatch();
		}
	}
}

void RowUpload::FinishBatch() {
	if (batch->RowCount() == 0) {
		return;
	}
	if (!writer) {
		ArrowReleaser<ArrowSchema> schema {};
		ArrowBatchBuilder::ExportSchema(schema.value, types, names, properties);
		writer = make_uniq<IpcStreamWriter>(schema.value);
		AppendMessages(part, {writer->SchemaMessage()});
	}
	ArrowReleaser<ArrowArray> array {batch->Finish()};
	AppendMessages(part, writer->BatchMessages(array.value));
	if (part.size() >= PART_BYTES) {
		FinishPart();
	}
}

void RowUpload::FinishPart() {
	if (!writer) {
		return;
	}
	part += IpcStreamWriter::EndOfStream();
	StageRowsRequest request;
	request.upload_id = staged.upload_id;
	request.part = staged.parts++;
	request.arrow_ipc = std::move(part);
	part.clear();
	writer.reset();
	std::unique_lock<std::mutex> guard(lock);
	WaitUntil(changed, guard, [&]() { return queue.size() < MAX_QUEUED_PARTS || failure; });
	if (failure) {
		std::rethrow_exception(failure);
	}
	queue.push_back(std::move(request));
	changed.notify_all();
}

void RowUpload::Finish() {
	FinishBatch();
	if (staged.parts == 0 && !writer) {
		// No rows: one part with just the schema, so the write still knows the columns.
		ArrowReleaser<ArrowSchema> schema {};
		ArrowBatchBuilder::ExportSchema(schema.value, types, names, properties);
		writer = make_uniq<IpcStreamWriter>(schema.value);
		AppendMessages(part, {writer->SchemaMessage()});
	}
	FinishPart();
	std::unique_lock<std::mutex> guard(lock);
	WaitUntil(changed, guard, [&]() { return (queue.empty() && sending == 0) || failure; });
	if (failure) {
		std::rethrow_exception(failure);
	}
}

std::string RowUpload::PartUrl(uint32_t part) {
	std::lock_guard<std::mutex> guard(url_lock);
	auto found = part_urls.find(part);
	if (found != part_urls.end()) {
		return found->second;
	}
	auto urls = remote->PrepareStagedParts(context, staged.upload_id, part, URLS_PER_REQUEST);
	for (uint32_t i = 0; i < urls.size(); i++) {
		part_urls[part + i] = std::move(urls[i]);
	}
	return urls.empty() ? "" : part_urls[part];
}

void RowUpload::Send() {
	// Each sender's own connection to the object storage, kept from part to part.
	ObjectClient objects;
	while (true) {
		StageRowsRequest request;
		{
			std::unique_lock<std::mutex> guard(lock);
			WaitUntil(changed, guard, [&]() { return closing || !queue.empty(); });
			if (closing) {
				return;
			}
			request = std::move(queue.front());
			queue.pop_front();
			sending++;
		}
		try {
			auto url = PartUrl(request.part);
			if (url.empty()) {
				remote->Stage(context, std::move(request));
			} else {
				remote->PutStagedPart(context, objects, url, request.arrow_ipc);
			}
		} catch (...) {
			std::lock_guard<std::mutex> guard(lock);
			failure = std::current_exception();
		}
		{
			std::lock_guard<std::mutex> guard(lock);
			sending--;
		}
		changed.notify_all();
	}
}

} // namespace openduck
