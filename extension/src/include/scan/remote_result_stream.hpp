//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// scan/remote_result_stream.hpp
//
// A remote query's result arriving on a background thread: ExecuteQuery, then StreamResults while the result is
// not complete. A bounded queue between the two gives backpressure end to end (a slow consumer stops the thread
// reading, TCP stops the server). Destroying the stream cancels the request, which interrupts the remote query.
//===----------------------------------------------------------------------===//

#pragma once

#include "storage/remote_database.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <thread>

namespace openduck {

class RemoteResultStream {
public:
	//! Sends `request` (its database is filled in) right away.
	RemoteResultStream(std::shared_ptr<RemoteDatabase> database, ExecuteQueryRequest request);
	~RemoteResultStream();

	//! Waits for the response header (statement type, snapshot, Arrow schema). Throws the remote error, or an
	//! InterruptException when `context` is interrupted meanwhile.
	const ExecuteQueryResponse &Header(duckdb::ClientContext &context);
	//! The next chunk of Arrow IPC messages; false at the end of the result.
	bool Next(duckdb::ClientContext &context, std::string &messages);
	//! Percentage done as the server reports it, or -1 when unknown.
	double Progress() const;

private:
	void Run();
	void Push(std::string messages);
	//! Waits until `ready` holds, checking for interruption; rethrows a failure of the background thread.
	void Wait(duckdb::ClientContext &context, const std::function<bool()> &ready, std::unique_lock<std::mutex> &guard);

	std::shared_ptr<RemoteDatabase> database;
	ExecuteQueryRequest request;

	mutable std::mutex lock;
	std::condition_variable changed;
	bool has_header = false;
	bool finished = false;
	std::atomic<bool> cancelled {false};
	std::exception_ptr failure;
	ExecuteQueryResponse header;
	std::deque<std::string> queue;
	size_t queued_bytes = 0;
	double progress = -1;
	std::thread thread;
};

} // namespace openduck
