#include "scan/remote_result_stream.hpp"

#include "common/condition_wait.hpp"
#include "remote/object_client.hpp"

#include "duckdb/common/exception.hpp"
#include "duckdb/main/client_context.hpp"

#include <chrono>

namespace openduck {

using namespace duckdb;

namespace {

//! At most this many bytes of IPC wait in the queue (plus one message): the server's batches are about 1 MiB.
constexpr size_t MAX_QUEUED_BYTES = 8 * 1024 * 1024;
//! How often a waiting consumer looks at the client's interrupt flag.
constexpr auto INTERRUPT_POLL = std::chrono::milliseconds(20);

} // namespace

RemoteResultStream::RemoteResultStream(std::shared_ptr<RemoteDatabase> database_p, ExecuteQueryRequest request_p)
    : database(std::move(database_p)), request(std::move(request_p)) {
	request.database = database->Parameters().database;
	thread = std::thread([this]() { Run(); });
}

RemoteResultStream::~RemoteResultStream() {
	cancelled = true;
	changed.notify_all();
	thread.join();
}

void RemoteResultStream::Run() {
	auto interrupted = [this]() { return cancelled.load(); };
	auto client = database->Acquire();
	try {
		auto response = client->ExecuteQuery(request, interrupted);
		auto complete = response.complete;
		auto handle = response.handle;
		auto inline_batches = std::move(response.arrow_batches);
		{
			std::lock_guard<std::mutex> guard(lock);
			header = std::move(response);
			has_header = true;
		}
		changed.notify_all();
		if (!inline_batches.empty()) {
			Push(std::move(inline_batches));
		}
		if (!complete && !handle.empty()) {
			// Created when the first result part arrives; its connection serves the parts that follow.
			std::unique_ptr<ObjectClient> objects;
			client->StreamResults(
			    handle,
			    [&](StreamResultsResponse &message) {
				    if (message.payload_case == StreamResultsResponse::PayloadCase::BATCH) {
					    Push(std::move(message.batch.ipc));
				    } else if (message.payload_case == StreamResultsResponse::PayloadCase::RESULT_PART) {
					    // Fetched while the stream waits: the next part downloads while the scan decodes this one.
					    if (!objects) {
						    objects = std::make_unique<ObjectClient>();
					    }
					    Push(objects->Get(message.result_part.url, interrupted));
				    } else if (message.payload_case == StreamResultsResponse::PayloadCase::PROGRESS) {
					    std::lock_guard<std::mutex> guard(lock);
					    progress = message.progress.percentage;
				    }
			    },
			    interrupted);
		}
		database->Release(std::move(client));
	} catch (...) {
		std::lock_guard<std::mutex> guard(lock);
		failure = std::current_exception();
	}
	{
		std::lock_guard<std::mutex> guard(lock);
		finished = true;
	}
	changed.notify_all();
}

void RemoteResultStream::Push(string messages) {
	std::unique_lock<std::mutex> guard(lock);
	WaitUntil(changed, guard, [this]() { return cancelled || queued_bytes < MAX_QUEUED_BYTES; });
	if (cancelled) {
		return;
	}
	queued_bytes += messages.size();
	queue.push_back(std::move(messages));
	guard.unlock();
	changed.notify_all();
}

void RemoteResultStream::Wait(ClientContext &context, const std::function<bool()> &ready,
                              std::unique_lock<std::mutex> &guard) {
	while (!ready()) {
		if (context.interrupted) {
			cancelled = true;
			changed.notify_all();
			throw InterruptException();
		}
		changed.wait_for(guard, INTERRUPT_POLL);
	}
}

const ExecuteQueryResponse &RemoteResultStream::Header(ClientContext &context) {
	std::unique_lock<std::mutex> guard(lock);
	Wait(context, [this]() { return has_header || finished; }, guard);
	if (!has_header) {
		try {
			std::rethrow_exception(failure);
		} catch (RemoteError &error) {
			ThrowRemoteError(error, database->Parameters());
		}
	}
	return header;
}

bool RemoteResultStream::Next(ClientContext &context, string &messages) {
	std::unique_lock<std::mutex> guard(lock);
	Wait(context, [this]() { return !queue.empty() || finished; }, guard);
	if (queue.empty()) {
		if (failure) {
			try {
				std::rethrow_exception(failure);
			} catch (RemoteError &error) {
				ThrowRemoteError(error, database->Parameters());
			}
		}
		return false;
	}
	messages = std::move(queue.front());
	queue.pop_front();
	queued_bytes -= messages.size();
	guard.unlock();
	changed.notify_all();
	return true;
}

double RemoteResultStream::Progress() const {
	std::lock_guard<std::mutex> guard(lock);
	return progress;
}

} // namespace openduck
