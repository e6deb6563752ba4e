//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// remote/connect_client.hpp
//
// A client of openduck.v1.ExecutionService speaking the Connect protocol (binary protobuf) over HTTP/1.1.
//===----------------------------------------------------------------------===//

#pragma once

#include "remote/execution_messages.hpp"
#include "remote/http_client.hpp"

#include <functional>
#include <stdexcept>
#include <string>
#include <utility>

namespace openduck {

//! A failed call. what() is the message (for a server error, the server's own, e.g. DuckDB's "Parser Error: ...").
//! The token is never part of it.
class RemoteError : public std::runtime_error {
public:
	RemoteError(std::string code_p, const std::string &message)
	    : std::runtime_error(message), code(std::move(code_p)) {
	}

	//! The Connect error code: "unauthenticated", "permission_denied", "not_found", "invalid_argument",
	//! "failed_precondition", "aborted", "resource_exhausted", "deadline_exceeded", "unavailable", "internal",
	//! "unimplemented", "unknown", ... (see proto/README.md), or "interrupted" when the caller's interrupt hook
	//! stopped the call.
	std::string code;
};

//! Calls ExecuteQuery and StreamResults on one OpenDuck endpoint, reusing one kept-alive connection. Not
//! thread-safe: one call at a time per client.
class ConnectClient {
public:
	//! `endpoint` is http(s)://host[:port] with an optional path prefix (e.g. "http://127.0.0.1:7878" or
	//! "https://example.com/openduck/"); anything else (another scheme, user info, a query or fragment) throws
	//! RemoteError "invalid_argument". The token goes only into the Authorization header.
	ConnectClient(std::string endpoint, std::string token);

	//! The endpoint as normalized (no trailing slash), as error messages name it.
	const std::string &Endpoint() const {
		return endpoint;
	}

	//! Runs the SQL. `interrupted`, if set, is polled during the call; returning true aborts it (RemoteError
	//! "interrupted") by closing the connection, which is how a Connect client asks the server to cancel.
	ExecuteQueryResponse ExecuteQuery(const ExecuteQueryRequest &request,
	                                  const std::function<bool()> &interrupted = {});

	//! Stages one part of an upload; `interrupted` as for ExecuteQuery.
	void StageRows(const StageRowsRequest &request, const std::function<bool()> &interrupted = {});
	//! Presigned URLs to PUT staged parts to. Throws RemoteError "unimplemented" when the server has none to give.
	PrepareStagedPartsResponse PrepareStagedParts(const PrepareStagedPartsRequest &request,
	                                              const std::function<bool()> &interrupted = {});

	//! Streams the result of `handle` (from ExecuteQueryResponse.handle), accepting result parts (ResultPart URLs to
	//! fetch with ObjectClient): calls on_message for each message of the
	//! stream, in order, as it arrives (the message may be moved from). Throws RemoteError on an error
	//! end-of-stream (possibly after messages arrived), a transport failure or an interruption; exceptions of
	//! on_message abort the stream and propagate.
	void StreamResults(const std::string &handle, const std::function<void(StreamResultsResponse &)> &on_message,
	                   const std::function<bool()> &interrupted = {});

private:
	HttpHeaders Headers(const char *content_type) const;
	//! A unary call: the response body on success, else throws RemoteError.
	std::string Unary(const char *path, const std::string &request, const std::function<bool()> &interrupted);
	//! The RemoteError for a response that is not the call's success: a Connect error document, or just a status.
	RemoteError ErrorResponse(const HttpResponse &response, const std::string &body) const;
	//! The RemoteError for a transport failure.
	RemoteError TransportError(const HttpError &error) const;

	std::string endpoint;
	std::string token;
	HttpClient http;
};

} // namespace openduck
