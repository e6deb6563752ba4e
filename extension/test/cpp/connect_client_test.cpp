//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// test/cpp/connect_client_test.cpp
//
// Tests of the Connect client (src/remote): the wire formats offline, then calls against a running OpenDuck
// service and transfers with presigned URLs against a stand-in object store.
// Usage: openduck_connect_client_test <endpoint> <token> <database> <object store URL>; run by test_connect_client.py.
//===----------------------------------------------------------------------===//

#include "remote/connect_client.hpp"
#include "remote/envelope.hpp"
#include "remote/json_reader.hpp"
#include "remote/object_client.hpp"
#include "remote/proto_wire.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <vector>

using namespace openduck;

namespace {

struct TestFailure : std::runtime_error {
	using std::runtime_error::runtime_error;
};

#define CHECK(condition)                                                                                               \
	do {                                                                                                               \
		if (!(condition)) {                                                                                            \
			throw TestFailure(std::string(__FILE__ ":") + std::to_string(__LINE__) + ": " #condition);                 \
		}                                                                                                              \
	} while (0)

std::string endpoint;
std::string token;
std::string database;
//! Serves GET /part, PUT /upload and answers GET /denied with S3's 403 (test_connect_client.py).
std::string object_store;
//! Every error message a test saw, to check that no token leaked into one.
std::vector<std::string> error_messages;

using Clock = std::chrono::steady_clock;

double MillisecondsSince(Clock::time_point start) {
	return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

//! Runs `call`, which must throw RemoteError, and returns it.
RemoteError ExpectRemoteError(const std::function<void()> &call) {
	try {
		call();
	} catch (RemoteError &error) {
		error_messages.push_back(error.what());
		return error;
	}
	throw TestFailure("expected a RemoteError");
}

template <class EXCEPTION>
void ExpectThrows(const std::function<void()> &call) {
	try {
		call();
	} catch (EXCEPTION &) {
		return;
	}
	throw TestFailure("expected an exception");
}

bool Contains(const std::string &text, const std::string &part) {
	return text.find(part) != std::string::npos;
}

ExecuteQueryRequest Query(const std::string &sql) {
	ExecuteQueryRequest request;
	request.database = database;
	request.sql = sql;
	return request;
}

// --- offline: wire formats ---

void TestVarints() {
	for (uint64_t value : {uint64_t(0), uint64_t(1), uint64_t(127), uint64_t(128), uint64_t(300), uint64_t(1) << 63,
	                       UINT64_MAX}) {
		ProtoWriter writer;
		writer.VarintField(1, value);
		ProtoReader reader(writer.Data().data(), writer.Data().size());
		CHECK(reader.Next() && reader.Field() == 1 && reader.Type() == WireType::VARINT);
		CHECK(reader.ReadVarint() == value);
		CHECK(!reader.Next());
	}
	// UINT64_MAX takes ten bytes, the last holding one bit; a larger tenth byte or an eleventh byte overflows.
	std::string too_big = std::string("\x08") + std::string(9, '\xff') + "\x02";
	std::string too_long = std::string("\x08") + std::string(10, '\x80') + "\x00";
	std::string truncated = "\x08\x80";
	for (auto bytes : {too_big, too_long, truncated}) {
		ExpectThrows<ProtoError>([&] {
			ProtoReader reader(bytes.data(), bytes.size());
			reader.Next();
			reader.ReadVarint();
		});
	}
}

void TestResponseDecoding() {
	ProtoWriter column;
	column.BytesField(1, "answer");
	column.BytesField(2, "INTEGER");
	ProtoWriter statistics;
	statistics.VarintField(1, 1);
	statistics.DoubleField(4, 2.5);

	// Known fields between unknown ones of every wire type (VARINT, I64, LEN, I32).
	ProtoWriter writer;
	writer.VarintField(100, 7);
	writer.BytesField(1, "snap-1");
	writer.Tag(101, WireType::I64);
	for (int i = 0; i < 8; i++) {
		writer.Varint(0); // one zero byte
	}
	writer.BytesField(2, "SELECT");
	writer.BytesField(102, std::string(300, 'x'));
	writer.VarintField(3, static_cast<uint64_t>(int64_t(-5))); // an enum value this client does not know
	writer.Tag(103, WireType::I32);
	for (int i = 1; i <= 4; i++) {
		writer.Varint(i); // one byte
	}
	writer.BytesField(4, column.Data());
	writer.BytesField(4, column.Data());
	writer.BytesField(5, std::string("\xff\xff\xff\xff\0", 5));
	writer.VarintField(6, 1);
	writer.VarintField(8, 1);
	writer.VarintField(8, 2); // the last value wins
	writer.BytesField(10, "handle");
	writer.VarintField(11, 900000);
	writer.BytesField(12, statistics.Data());
	ProtoWriter more_statistics;
	more_statistics.VarintField(3, 4);
	writer.BytesField(12, more_statistics.Data()); // embedded messages merge

	auto response = ExecuteQueryResponse::Decode(writer.Data().data(), writer.Data().size());
	CHECK(response.snapshot_id == "snap-1");
	CHECK(response.statement_type == "SELECT");
	CHECK(static_cast<int32_t>(response.result_kind) == -5);
	CHECK(response.columns.size() == 2);
	CHECK(response.columns[1].name == "answer" && response.columns[1].type == "INTEGER");
	CHECK(response.arrow_schema == std::string("\xff\xff\xff\xff\0", 5));
	CHECK(response.complete);
	CHECK(response.row_count == 2);
	CHECK(response.handle == "handle" && response.handle_ttl_ms == 900000);
	CHECK(response.statistics && response.statistics->rows == 1 && response.statistics->elapsed_ms == 2.5 &&
	      response.statistics->batches == 4);

	auto empty = ExecuteQueryResponse::Decode("", 0);
	CHECK(!empty.complete && !empty.statistics && empty.result_kind == ResultKind::UNSPECIFIED);
}

void TestMalformedMessages() {
	std::vector<std::string> malformed = {
	    std::string("\x0a\x05" "abc", 5),        // bytes field longer than the message
	    std::string("\x0a", 1),                  // length missing
	    std::string("\x0b\x00", 2),              // wire type 3 (start group)
	    std::string("\x0c\x00", 2),              // wire type 4 (end group)
	    std::string("\x0e\x00", 2),              // wire type 6
	    std::string("\x00\x00", 2),              // field number 0
	    std::string("\x08\x01", 2),              // field 1 (a string) as a varint
	    std::string("\x61\x00\x00\x00", 4),      // fixed64 field 12 cut short
	    std::string("\xfd\x07\x00\x00", 4),      // unknown fixed32 field 127 cut short
	    std::string("\x62\x03\x08\x80\x80", 5),  // statistics whose varint runs past the sub-message
	    std::string("\x98\x01\x80", 3),          // unknown varint field 19 cut short
	};
	for (auto &bytes : malformed) {
		ExpectThrows<ProtoError>([&] { ExecuteQueryResponse::Decode(bytes.data(), bytes.size()); });
	}
}

void TestStreamMessages() {
	ProtoWriter batch;
	batch.BytesField(1, "ipc");
	ProtoWriter batch_rows;
	batch_rows.VarintField(2, 2048);
	ProtoWriter writer;
	writer.BytesField(2, batch.Data());
	writer.BytesField(2, batch_rows.Data());
	auto merged = StreamResultsResponse::Decode(writer.Data().data(), writer.Data().size());
	CHECK(merged.payload_case == StreamResultsResponse::PayloadCase::BATCH);
	CHECK(merged.batch.ipc == "ipc" && merged.batch.row_count == 2048);

	ProtoWriter progress;
	progress.DoubleField(1, -1);
	progress.VarintField(2, 10);
	writer.BytesField(3, progress.Data()); // a later oneof member replaces the batch
	auto replaced = StreamResultsResponse::Decode(writer.Data().data(), writer.Data().size());
	CHECK(replaced.payload_case == StreamResultsResponse::PayloadCase::PROGRESS);
	CHECK(replaced.progress.percentage == -1 && replaced.progress.rows_processed == 10);
	CHECK(replaced.batch.ipc.empty());

	ProtoWriter part;
	part.BytesField(1, "https://bucket.s3.amazonaws.com/results/1?X-Amz-Signature=x");
	part.VarintField(2, 8388608);
	part.VarintField(3, 65536);
	part.VarintField(4, 3600000);
	ProtoWriter with_part;
	with_part.BytesField(5, part.Data());
	auto result_part = StreamResultsResponse::Decode(with_part.Data().data(), with_part.Data().size());
	CHECK(result_part.payload_case == StreamResultsResponse::PayloadCase::RESULT_PART);
	CHECK(result_part.result_part.url == "https://bucket.s3.amazonaws.com/results/1?X-Amz-Signature=x");
	CHECK(result_part.result_part.byte_length == 8388608 && result_part.result_part.row_count == 65536);
	CHECK(result_part.result_part.expires_in_ms == 3600000);

	CHECK(StreamResultsResponse::Decode("", 0).payload_case == StreamResultsResponse::PayloadCase::NONE);

	ProtoWriter urls;
	urls.BytesField(1, "https://a");
	urls.BytesField(1, "https://b");
	urls.VarintField(2, 3600000);
	auto prepared = PrepareStagedPartsResponse::Decode(urls.Data().data(), urls.Data().size());
	CHECK(prepared.urls == std::vector<std::string>({"https://a", "https://b"}) && prepared.expires_in_ms == 3600000);
}

void TestRequestEncoding() {
	StreamResultsRequest accepting;
	accepting.handle = "h";
	accepting.accept_result_urls = true;
	CHECK(accepting.Encode() == std::string("\x0a\x01" "h" "\x10\x01"));
	PrepareStagedPartsRequest prepare;
	prepare.database = "db";
	prepare.upload_id = "u";
	prepare.first_part = 16;
	prepare.count = 16;
	CHECK(prepare.Encode() == std::string("\x0a\x02" "db" "\x12\x01" "u" "\x18\x10" "\x20\x10"));

	ExecuteQueryRequest request;
	request.database = "db";
	request.sql = "SELECT 1";
	CHECK(request.Encode() == std::string("\x0a\x02" "db" "\x12\x08" "SELECT 1"));
	request.options.inline_limit_bytes = 0; // explicit presence: a zero is sent
	CHECK(request.Encode() == std::string("\x0a\x02" "db" "\x12\x08" "SELECT 1" "\x22\x02\x08\x00", 18));
	request.snapshot = "s";
	request.options.inline_limit_bytes = 300;
	CHECK(request.Encode() == std::string("\x0a\x02" "db" "\x12\x08" "SELECT 1" "\x1a\x01s" "\x22\x03\x08\xac\x02"));
	CHECK(ExecuteQueryRequest().Encode().empty());

	StreamResultsRequest stream;
	stream.handle = std::string("h\0", 2);
	CHECK(stream.Encode() == std::string("\x0a\x02h\0", 4));
	CHECK(EncodeEnvelope(2, "{}") == std::string("\x02\x00\x00\x00\x02{}", 7));
}

void TestEnvelopes() {
	std::string body = EncodeEnvelope(0, "") + EncodeEnvelope(0, std::string(100000, 'b')) + EncodeEnvelope(0, "abc") +
	                   EncodeEnvelope(2, "{}");
	// Whole, byte by byte, and in uneven pieces.
	for (size_t piece : {body.size(), size_t(1), size_t(3), size_t(4096), size_t(65537)}) {
		std::vector<std::pair<uint8_t, std::string>> envelopes;
		EnvelopeReader reader([&](uint8_t flags, std::string &payload) { envelopes.emplace_back(flags, payload); });
		for (size_t offset = 0; offset < body.size(); offset += piece) {
			reader.Feed(body.data() + offset, std::min(piece, body.size() - offset));
		}
		CHECK(reader.AtBoundary());
		CHECK(envelopes.size() == 4);
		CHECK(envelopes[0].first == 0 && envelopes[0].second.empty());
		CHECK(envelopes[1].second == std::string(100000, 'b'));
		CHECK(envelopes[2].second == "abc");
		CHECK(envelopes[3].first == ENVELOPE_END_STREAM && envelopes[3].second == "{}");
	}
	EnvelopeReader partial([](uint8_t, std::string &) {});
	partial.Feed(body.data(), 3);
	CHECK(!partial.AtBoundary());
}

void TestJson() {
	auto error = JsonValue::Parse(R"( {"error": {"code": "invalid_argument",
	                                              "message": "a \"q\"\n\u00e9\ud83e\udd86\/",
	                                              "details": [1, -2.5e3, true, null]}} )");
	auto inner = error.Find("error");
	CHECK(inner && inner->type == JsonValue::Type::OBJECT);
	CHECK(inner->FindString("code") == "invalid_argument");
	CHECK(inner->FindString("message") == "a \"q\"\n\xc3\xa9\xf0\x9f\xa6\x86/");
	auto details = inner->Find("details");
	CHECK(details && details->items.size() == 4 && details->items[1].text == "-2.5e3");
	CHECK(JsonValue::Parse("{}").members.empty());
	CHECK(error.FindString("missing").empty());
	for (auto text : {"", "{", "{\"a\" 1}", "[1,]", "\"\\x\"", "01", "1.", "{\"a\":1} x", "\"\x01\"", "nul"}) {
		ExpectThrows<JsonError>([&] { JsonValue::Parse(text); });
	}
	ExpectThrows<JsonError>([] { JsonValue::Parse(std::string(100, '[') + std::string(100, ']')); });
}

void TestEndpoints() {
	CHECK(ConnectClient("http://127.0.0.1:7878", "t").Endpoint() == "http://127.0.0.1:7878");
	CHECK(ConnectClient("HTTPS://example.com/", "t").Endpoint() == "https://example.com");
	CHECK(ConnectClient("http://[::1]:80/prefix//", "t").Endpoint() == "http://[::1]:80/prefix");
	for (auto bad : {"127.0.0.1:7878", "ftp://host", "http://", "http://:80", "http://host:0", "http://host:65536",
	                 "http://host:x", "http://host:", "http://ho st", "http://host?a=1", "http://host/p#f",
	                 "http://[::1", "http://[::1]x", "http://user:secret-in-url@host", "http://host/a b"}) {
		auto error = ExpectRemoteError([&] { ConnectClient(bad, "t"); });
		CHECK(error.code == "invalid_argument");
		CHECK(Contains(error.what(), "invalid OpenDuck endpoint"));
		CHECK(!Contains(error.what(), "secret-in-url"));
	}
	auto error = ExpectRemoteError([] { ConnectClient("http://host", "tok\r\nX-Injected: 1"); });
	CHECK(error.code == "invalid_argument" && !Contains(error.what(), "Injected"));
}

// --- against the service ---

void TestInlineResult() {
	ConnectClient client(endpoint, token);
	auto response = client.ExecuteQuery(Query("SELECT 42 AS answer"));
	CHECK(response.complete);
	CHECK(response.handle.empty());
	CHECK(response.statement_type == "SELECT");
	CHECK(response.result_kind == ResultKind::ROWS);
	CHECK(!response.snapshot_id.empty());
	CHECK(response.columns.size() == 1);
	CHECK(response.columns[0].name == "answer" && response.columns[0].type == "INTEGER");
	CHECK(response.arrow_schema.compare(0, 4, "\xff\xff\xff\xff") == 0);
	CHECK(response.arrow_batches.compare(0, 4, "\xff\xff\xff\xff") == 0);
	CHECK(response.row_count == 1);
	CHECK(response.statistics && response.statistics->rows == 1 && response.statistics->batches == 1);
	CHECK(response.statistics->bytes == response.arrow_batches.size());

	auto changed = client.ExecuteQuery(Query("CREATE OR REPLACE TABLE connect_client_test AS SELECT 1 AS a"));
	CHECK(changed.complete);
	auto inserted = client.ExecuteQuery(Query("INSERT INTO connect_client_test SELECT * FROM range(3)"));
	CHECK(inserted.result_kind == ResultKind::CHANGED_ROWS && inserted.rows_affected == 3);
}

//! Streams `handle` to the end and returns its messages' payload cases, counting rows.
std::vector<StreamResultsResponse::PayloadCase> Stream(ConnectClient &client, const std::string &handle,
                                                       uint64_t &rows, QueryStatistics &statistics) {
	std::vector<StreamResultsResponse::PayloadCase> cases;
	rows = 0;
	client.StreamResults(handle, [&](StreamResultsResponse &message) {
		cases.push_back(message.payload_case);
		if (message.payload_case == StreamResultsResponse::PayloadCase::BATCH) {
			CHECK(message.batch.ipc.compare(0, 4, "\xff\xff\xff\xff") == 0);
			rows += message.batch.row_count;
		} else if (message.payload_case == StreamResultsResponse::PayloadCase::ARROW_SCHEMA) {
			CHECK(message.arrow_schema.compare(0, 4, "\xff\xff\xff\xff") == 0);
		} else if (message.payload_case == StreamResultsResponse::PayloadCase::STATISTICS) {
			statistics = message.statistics;
		}
	});
	return cases;
}

void TestHandleOnRequest() {
	ConnectClient client(endpoint, token);
	auto request = Query("SELECT 42 AS answer");
	request.options.inline_limit_bytes = 0;
	auto response = client.ExecuteQuery(request);
	CHECK(!response.complete && !response.handle.empty() && response.handle_ttl_ms > 0);
	uint64_t rows;
	QueryStatistics statistics;
	auto cases = Stream(client, response.handle, rows, statistics);
	CHECK(rows == 1 && statistics.rows == 1);
	CHECK(cases.front() == StreamResultsResponse::PayloadCase::ARROW_SCHEMA);
	CHECK(cases.back() == StreamResultsResponse::PayloadCase::STATISTICS);
}

void TestStreamedResult() {
	ConnectClient client(endpoint, token);
	auto response = client.ExecuteQuery(Query("SELECT * FROM range(1000000) AS t(n)"));
	CHECK(!response.complete && !response.handle.empty() && !response.statistics);
	CHECK(response.columns.size() == 1 && response.columns[0].type == "BIGINT");
	uint64_t rows;
	QueryStatistics statistics;
	auto start = Clock::now();
	auto cases = Stream(client, response.handle, rows, statistics);
	std::printf("    1,000,000 rows in %zu messages, %.0f ms\n", cases.size(), MillisecondsSince(start));
	CHECK(rows == 1000000);
	CHECK(cases.front() == StreamResultsResponse::PayloadCase::ARROW_SCHEMA);
	CHECK(cases.back() == StreamResultsResponse::PayloadCase::STATISTICS);
	CHECK(statistics.rows == 1000000 && statistics.batches > 1 && statistics.bytes >= 8000000);
	// The same client (and connection) serves further calls.
	CHECK(client.ExecuteQuery(Query("SELECT 1")).complete);
}

void TestSqlError() {
	ConnectClient client(endpoint, token);
	auto error = ExpectRemoteError([&] { client.ExecuteQuery(Query("SELEC 42")); });
	CHECK(error.code == "invalid_argument");
	CHECK(Contains(error.what(), "Parser Error") && Contains(error.what(), "SELEC"));
	error = ExpectRemoteError([&] { client.ExecuteQuery(Query("SELECT * FROM no_such_table")); });
	CHECK(error.code == "invalid_argument" && Contains(error.what(), "Catalog Error"));
}

void TestErrorAtEndOfStream() {
	ConnectClient client(endpoint, token);
	auto request =
	    Query("SELECT CASE WHEN n < 900000 THEN n ELSE error('connect-client-boom') END FROM range(1000000) t(n)");
	request.options.inline_limit_bytes = 0;
	auto response = client.ExecuteQuery(request);
	CHECK(!response.handle.empty());
	uint64_t rows = 0;
	auto error = ExpectRemoteError([&] {
		client.StreamResults(response.handle, [&](StreamResultsResponse &message) { rows += message.batch.row_count; });
	});
	// The error arrives in the end-of-stream message. (For an error DuckDB raises mid-stream the server currently
	// says "canceled: the query was interrupted": packages/engine/src/ipc-connection.ts ends the stream that way.)
	CHECK(error.code == "invalid_argument" ? Contains(error.what(), "connect-client-boom") : error.code == "canceled");
	std::printf("    %llu rows before the error\n", static_cast<unsigned long long>(rows));
	CHECK(client.ExecuteQuery(Query("SELECT 1")).complete);

	error = ExpectRemoteError([&] { client.StreamResults("not a handle", [](StreamResultsResponse &) {}); });
	CHECK(error.code == "invalid_argument");
}

void TestBadToken() {
	std::string bad_token = "wrong-" + token;
	ConnectClient client(endpoint, bad_token);
	auto error = ExpectRemoteError([&] { client.ExecuteQuery(Query("SELECT 42")); });
	CHECK(error.code == "unauthenticated");
	CHECK(!Contains(error.what(), bad_token));

	auto request = Query("SELECT 42");
	request.options.inline_limit_bytes = 0;
	auto handle = ConnectClient(endpoint, token).ExecuteQuery(request).handle;
	error = ExpectRemoteError([&] { client.StreamResults(handle, [](StreamResultsResponse &) {}); });
	CHECK(error.code == "unauthenticated");
	CHECK(!Contains(error.what(), bad_token));
}

void TestUnknownDatabase() {
	ConnectClient client(endpoint, token);
	auto request = Query("SELECT 42");
	request.database = "no_such_database";
	auto error = ExpectRemoteError([&] { client.ExecuteQuery(request); });
	CHECK(error.code == "not_found" && Contains(error.what(), "no_such_database"));
}

//! A local TCP port nothing listens on.
int UnusedPort() {
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	sockaddr_in address {};
	address.sin_family = AF_INET;
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t length = sizeof(address);
	CHECK(bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) == 0);
	CHECK(getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0);
	close(fd);
	return ntohs(address.sin_port);
}

void TestUnreachable() {
	std::string unreachable = "http://127.0.0.1:" + std::to_string(UnusedPort());
	ConnectClient client(unreachable, token);
	auto error = ExpectRemoteError([&] { client.ExecuteQuery(Query("SELECT 42")); });
	std::printf("    %s\n", error.what());
	CHECK(error.code == "unavailable");
	CHECK(Contains(error.what(), "could not reach OpenDuck at " + unreachable + ": Couldn't connect to server"));
	error = ExpectRemoteError([&] { client.StreamResults("handle", [](StreamResultsResponse &) {}); });
	CHECK(error.code == "unavailable" && Contains(error.what(), "could not reach OpenDuck at " + unreachable));
}

void TestWrongService() {
	// Something that is not OpenDuck at the endpoint's path: plain 404s.
	ConnectClient client(endpoint + "/not-here", token);
	auto error = ExpectRemoteError([&] { client.ExecuteQuery(Query("SELECT 42")); });
	CHECK(error.code == "unimplemented" && Contains(error.what(), "answered HTTP 404"));
}

//! Runs `call` with an interrupt hook that another thread sets after 200 ms; returns how long the call took after.
double InterruptAfter200ms(const std::function<void(const std::function<bool()> &)> &call) {
	std::atomic<bool> interrupt {false};
	Clock::time_point interrupted_at;
	std::thread interrupter([&] {
		std::this_thread::sleep_for(std::chrono::milliseconds(200));
		interrupted_at = Clock::now();
		interrupt = true;
	});
	RemoteError error("", "");
	try {
		call([&] { return interrupt.load(); });
		interrupter.join();
		throw TestFailure("the call was not interrupted");
	} catch (RemoteError &caught) {
		interrupter.join();
		error = caught;
		error_messages.push_back(error.what());
	}
	CHECK(error.code == "interrupted");
	return MillisecondsSince(interrupted_at);
}

void TestInterruption() {
	ConnectClient client(endpoint, token);
	auto response = client.ExecuteQuery(Query("SELECT * FROM range(2000000000) t(n)"));
	CHECK(!response.handle.empty());
	uint64_t rows = 0;
	double latency = InterruptAfter200ms([&](const std::function<bool()> &interrupted) {
		client.StreamResults(
		    response.handle, [&](StreamResultsResponse &message) { rows += message.batch.row_count; }, interrupted);
	});
	std::printf("    stream interrupted %.0f ms after the flag was set, %llu rows in\n", latency,
	            static_cast<unsigned long long>(rows));
	CHECK(latency < 500);

	// A query that sends nothing while it runs (seconds of work): the hook is polled about once a second.
	latency = InterruptAfter200ms([&](const std::function<bool()> &interrupted) {
		client.ExecuteQuery(Query("SELECT count(*) FROM range(10000) a, range(100000) b WHERE a.range + b.range < 0"),
		                    interrupted);
	});
	std::printf("    silent query interrupted %.0f ms after the flag was set\n", latency);
	CHECK(latency < 1500);

	CHECK(client.ExecuteQuery(Query("SELECT 42")).row_count == 1);
}

void TestNoTokenInErrors() {
	CHECK(!error_messages.empty());
	for (auto &message : error_messages) {
		CHECK(!Contains(message, token));
	}
}

struct Test {
	const char *name;
	void (*run)();
};

} // namespace

void TestObjectTransfers() {
	// The signature in a presigned URL's query string is a credential: no error may show it.
	const std::string signature = "?X-Amz-Expires=3600&X-Amz-Signature=0badc0ffee5ecret";
	ObjectClient objects;
	CHECK(objects.Get(object_store + "/part" + signature) == "result part bytes");
	objects.Put(object_store + "/upload" + signature, "staged part bytes");
	auto error = ExpectRemoteError([&] { objects.Get(object_store + "/denied" + signature); });
	std::string message = error.what();
	CHECK(error.code == "unavailable");
	CHECK(message.find(object_store + "/denied: HTTP 403 AccessDenied (Request has expired)") != std::string::npos);
	CHECK(message.find("0badc0ffee5ecret") == std::string::npos);
	CHECK(message.find("X-Amz") == std::string::npos);
	auto unreachable = ExpectRemoteError([&] {
		objects.Get("http://127.0.0.1:" + std::to_string(UnusedPort()) + "/x" + signature);
	});
	CHECK(std::string(unreachable.what()).find("0badc0ffee5ecret") == std::string::npos);
}

int main(int argc, char **argv) {
	if (argc != 5) {
		std::fprintf(stderr, "usage: %s <endpoint> <token> <database> <object store URL>\n", argv[0]);
		return 2;
	}
	endpoint = argv[1];
	token = argv[2];
	database = argv[3];
	object_store = argv[4];
	const Test tests[] = {
	    {"varints", TestVarints},
	    {"response decoding", TestResponseDecoding},
	    {"malformed messages", TestMalformedMessages},
	    {"stream messages", TestStreamMessages},
	    {"request encoding", TestRequestEncoding},
	    {"envelopes", TestEnvelopes},
	    {"json", TestJson},
	    {"endpoints", TestEndpoints},
	    {"inline result", TestInlineResult},
	    {"handle on request", TestHandleOnRequest},
	    {"streamed result", TestStreamedResult},
	    {"sql error", TestSqlError},
	    {"error at end of stream", TestErrorAtEndOfStream},
	    {"bad token", TestBadToken},
	    {"unknown database", TestUnknownDatabase},
	    {"unreachable endpoint", TestUnreachable},
	    {"wrong service", TestWrongService},
	    {"interruption", TestInterruption},
	    {"object transfers", TestObjectTransfers},
	    {"no token in errors", TestNoTokenInErrors},
	};
	int failures = 0;
	for (auto &test : tests) {
		auto start = Clock::now();
		try {
			test.run();
			std::printf("ok   %s (%.0f ms)\n", test.name, MillisecondsSince(start));
		} catch (std::exception &error) {
			std::printf("FAIL %s: %s\n", test.name, error.what());
			failures++;
		}
		std::fflush(stdout);
	}
	std::printf("%d of %zu tests failed\n", failures, sizeof(tests) / sizeof(tests[0]));
	return failures == 0 ? 0 : 1;
}
