#include "remote/connect_client.hpp"

#include "remote/envelope.hpp"
#include "remote/json_reader.hpp"
#include "remote/proto_wire.hpp"

#include <algorithm>
#include <cstring>

namespace openduck {

static const char *const EXECUTE_QUERY_PATH = "/openduck.v1.ExecutionService/ExecuteQuery";
static const char *const STREAM_RESULTS_PATH = "/openduck.v1.ExecutionService/StreamResults";
static const char *const STAGE_ROWS_PATH = "/openduck.v1.ExecutionService/StageRows";
static const char *const PREPARE_STAGED_PARTS_PATH = "/openduck.v1.ExecutionService/PrepareStagedParts";
static const char *const UNARY_CONTENT_TYPE = "application/proto";
static const char *const STREAM_CONTENT_TYPE = "application/connect+proto";
//! Bytes kept of a response that is not the call's success (an error document, a proxy's page).
static constexpr size_t MAX_ERROR_BODY = 64 << 10;

static RemoteError InvalidEndpoint(const std::string &problem) {
	// The endpoint itself is not quoted: a misplaced token could be in it.
	return RemoteError("invalid_argument", "invalid OpenDuck endpoint: " + problem +
	                                           " (expected http://host[:port] or https://host[:port])");
}

static bool IsDigit(char c) {
	return c >= '0' && c <= '9';
}

static bool IsAlphaNumeric(char c) {
	return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static std::string Lowercase(std::string text) {
	for (auto &c : text) {
		if (c >= 'A' && c <= 'Z') {
			c = static_cast<char>(c - 'A' + 'a');
		}
	}
	return text;
}

static bool IsHostChar(char c) {
	return IsAlphaNumeric(c) || c == '-' || c == '.' || c == '_';
}

static bool IsIpv6Char(char c) {
	return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

//! Characters RFC 3986 allows in a path (percent-escapes are passed on as they are).
static bool IsPathChar(char c) {
	return IsAlphaNumeric(c) || (c != '\0' && std::strchr("-._~!$&'()*+,;=:@/%", c) != nullptr);
}

static void ValidatePort(const std::string &port) {
	if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), IsDigit) || std::stoi(port) == 0 ||
	    std::stoi(port) > 65535) {
		throw InvalidEndpoint("the port must be a number from 1 to 65535");
	}
}

static void ValidateAuthority(const std::string &authority) {
	if (authority.find('@') != std::string::npos) {
		throw InvalidEndpoint("it must not contain user info; the token is passed separately");
	}
	std::string host = authority;
	size_t port_start = std::string::npos;
	if (!authority.empty() && authority[0] == '[') {
		size_t close = authority.find(']');
		if (close == std::string::npos || close == 1 ||
		    !std::all_of(authority.begin() + 1, authority.begin() + close, IsIpv6Char)) {
			throw InvalidEndpoint("malformed IPv6 address");
		}
		host = authority.substr(0, close + 1);
		if (close + 1 < authority.size()) {
			if (authority[close + 1] != ':') {
				throw InvalidEndpoint("unexpected text after the IPv6 address");
			}
			port_start = close + 2;
		}
	} else {
		size_t colon = authority.find(':');
		if (colon != std::string::npos) {
			host = authority.substr(0, colon);
			port_start = colon + 1;
		}
		if (host.empty()) {
			throw InvalidEndpoint("the host is missing");
		}
		if (!std::all_of(host.begin(), host.end(), IsHostChar)) {
			throw InvalidEndpoint("the host name has characters a host name cannot have");
		}
	}
	if (port_start != std::string::npos) {
		ValidatePort(authority.substr(port_start));
	}
}

//! Checks `endpoint` and returns it with a lowercase scheme and no trailing slash.
static std::string NormalizeEndpoint(const std::string &endpoint) {
	size_t scheme_end = endpoint.find("://");
	if (scheme_end == std::string::npos) {
		throw InvalidEndpoint("the scheme is missing");
	}
	std::string scheme = Lowercase(endpoint.substr(0, scheme_end));
	if (scheme != "http" && scheme != "https") {
		throw InvalidEndpoint("the scheme must be http or https");
	}
	size_t authority_start = scheme_end + 3;
	size_t authority_end = endpoint.find_first_of("/?#", authority_start);
	if (authority_end == std::string::npos) {
		authority_end = endpoint.size();
	}
	std::string authority = endpoint.substr(authority_start, authority_end - authority_start);
	ValidateAuthority(authority);
	std::string path = endpoint.substr(authority_end);
	if (path.find_first_of("?#") != std::string::npos) {
		throw InvalidEndpoint("it must not have a query string or fragment");
	}
	if (!std::all_of(path.begin(), path.end(), IsPathChar)) {
		throw InvalidEndpoint("the path has characters a URL path cannot have");
	}
	while (!path.empty() && path.back() == '/') {
		path.pop_back();
	}
	return scheme + "://" + authority + path;
}

static std::string ValidateToken(std::string token) {
	for (unsigned char c : token) {
		if (c < 0x20 || c == 0x7F) {
			// Which character, or where, would give the token away.
			throw RemoteError("invalid_argument", "the OpenDuck token contains control characters");
		}
	}
	return token;
}

//! The media type of a Content-Type header: lowercase, without parameters.
static std::string MediaType(const std::string &content_type) {
	std::string type = content_type.substr(0, content_type.find(';'));
	type.erase(std::remove_if(type.begin(), type.end(), [](char c) { return c == ' ' || c == '\t'; }), type.end());
	return Lowercase(type);
}

static bool IsSuccess(const HttpResponse &response, const char *content_type) {
	return response.status == 200 && MediaType(response.content_type) == content_type;
}

static void AppendErrorBody(std::string &body, const char *data, size_t size) {
	body.append(data, std::min(size, MAX_ERROR_BODY - std::min(body.size(), MAX_ERROR_BODY)));
}

//! The Connect code for an HTTP status that came without a Connect error document (Connect's mapping, except that
//! every 5xx is worth a retry).
static std::string CodeForStatus(long status) {
	switch (status) {
	case 400:
		return "internal";
	case 401:
		return "unauthenticated";
	case 403:
		return "permission_denied";
	case 404:
		return "unimplemented";
	case 408:
		return "deadline_exceeded";
	case 429:
		return "unavailable";
	default:
		return status >= 500 && status < 600 ? "unavailable" : "unknown";
	}
}

ConnectClient::ConnectClient(std::string endpoint_p, std::string token_p)
    : endpoint(NormalizeEndpoint(endpoint_p)), token(ValidateToken(std::move(token_p))), http(endpoint) {
}

HttpHeaders ConnectClient::Headers(const char *content_type) const {
	return {{"Content-Type", content_type},
	        {"Connect-Protocol-Version", "1"},
	        {"Authorization", "Bearer " + token},
	        {"User-Agent", "openduck-cpp"}};
}

RemoteError ConnectClient::ErrorResponse(const HttpResponse &response, const std::string &body) const {
	std::string server_message;
	try {
		auto document = JsonValue::Parse(body);
		auto code = document.FindString("code");
		server_message = document.FindString("message");
		if (!code.empty()) {
			return RemoteError(code, server_message.empty() ? code : server_message);
		}
	} catch (JsonError &) {
		// Not a Connect error: a proxy or load balancer answered.
	}
	if (response.status == 200) {
		return RemoteError("unknown", "OpenDuck at " + endpoint + " answered with content type \"" +
		                                  response.content_type.substr(0, 100) + "\"");
	}
	std::string message = "OpenDuck at " + endpoint + " answered HTTP " + std::to_string(response.status);
	if (!server_message.empty()) {
		message += ": " + server_message;
	}
	return RemoteError(CodeForStatus(response.status), message);
}

RemoteError ConnectClient::TransportError(const HttpError &error) const {
	switch (error.kind) {
	case HttpError::Kind::INTERRUPTED:
		return RemoteError("interrupted", "the OpenDuck call was interrupted");
	case HttpError::Kind::UNREACHABLE:
		return RemoteError("unavailable", "could not reach OpenDuck at " + endpoint + ": " + error.what());
	default:
		return RemoteError("unavailable", "the connection to OpenDuck at " + endpoint + " failed: " + error.what());
	}
}

std::string ConnectClient::Unary(const char *path, const std::string &request,
                                 const std::function<bool()> &interrupted) {
	std::string body;
	HttpResponse response;
	try {
		response = http.Post(
		    path, Headers(UNARY_CONTENT_TYPE), request,
		    [&](const HttpResponse &head, const char *data, size_t size) {
			    if (IsSuccess(head, UNARY_CONTENT_TYPE)) {
				    body.append(data, size);
			    } else {
				    AppendErrorBody(body, data, size);
			    }
		    },
		    interrupted);
	} catch (HttpError &error) {
		throw TransportError(error);
	}
	if (!IsSuccess(response, UNARY_CONTENT_TYPE)) {
		throw ErrorResponse(response, body);
	}
	return body;
}

void ConnectClient::StageRows(const StageRowsRequest &request, const std::function<bool()> &interrupted) {
	Unary(STAGE_ROWS_PATH, request.Encode(), interrupted);
}

PrepareStagedPartsResponse ConnectClient::PrepareStagedParts(const PrepareStagedPartsRequest &request,
                                                             const std::function<bool()> &interrupted) {
	auto body = Unary(PREPARE_STAGED_PARTS_PATH, request.Encode(), interrupted);
	try {
		return PrepareStagedPartsResponse::Decode(body.data(), body.size());
	} catch (ProtoError &error) {
		throw RemoteError("internal", "malformed PrepareStagedParts response from OpenDuck at " + endpoint + ": " +
		                                  error.what());
	}
}

ExecuteQueryResponse ConnectClient::ExecuteQuery(const ExecuteQueryRequest &request,
                                                 const std::function<bool()> &interrupted) {
	auto body = Unary(EXECUTE_QUERY_PATH, request.Encode(), interrupted);
	try {
		return ExecuteQueryResponse::Decode(body.data(), body.size());
	} catch (ProtoError &error) {
		throw RemoteError("internal", "malformed ExecuteQuery response from OpenDuck at " + endpoint + ": " +
		                                  error.what());
	}
}

void ConnectClient::StreamResults(const std::string &handle,
                                  const std::function<void(StreamResultsResponse &)> &on_message,
                                  const std::function<bool()> &interrupted) {
	StreamResultsRequest request;
	request.handle = handle;
	request.accept_result_urls = true;
	bool ended = false;
	std::string end_code;
	std::string end_message;
	EnvelopeReader reader([&](uint8_t flags, std::string &payload) {
		if (ended) {
			throw RemoteError("internal", "OpenDuck at " + endpoint + " sent data after the end of the stream");
		}
		if (flags == ENVELOPE_END_STREAM) {
			ended = true;
			try {
				auto end = JsonValue::Parse(payload);
				auto error = end.Find("error");
				if (error && error->type != JsonValue::Type::NUL) {
					end_code = error->FindString("code");
					end_message = error->FindString("message");
					if (end_code.empty()) {
						end_code = "unknown";
					}
				}
			} catch (JsonError &error) {
				throw RemoteError("internal", "malformed end of stream from OpenDuck at " + endpoint + ": " +
				                                  error.what());
			}
			// Not thrown yet: the body ends here, and reading it to the end keeps the connection for reuse.
			return;
		}
		if (flags != 0) {
			throw RemoteError("internal", "OpenDuck at " + endpoint + " sent an envelope with flags " +
			                                  std::to_string(flags) + " (compression was not offered)");
		}
		StreamResultsResponse message;
		try {
			message = StreamResultsResponse::Decode(payload.data(), payload.size());
		} catch (ProtoError &error) {
			throw RemoteError("internal", "malformed StreamResults message from OpenDuck at " + endpoint + ": " +
			                                  error.what());
		}
		on_message(message);
	});

	std::string error_body;
	HttpResponse response;
	try {
		response = http.Post(
		    STREAM_RESULTS_PATH, Headers(STREAM_CONTENT_TYPE), EncodeEnvelope(0, request.Encode()),
		    [&](const HttpResponse &head, const char *data, size_t size) {
			    if (IsSuccess(head, STREAM_CONTENT_TYPE)) {
				    reader.Feed(data, size);
			    } else {
				    AppendErrorBody(error_body, data, size);
			    }
		    },
		    interrupted);
	} catch (HttpError &error) {
		throw TransportError(error);
	}
	if (!IsSuccess(response, STREAM_CONTENT_TYPE)) {
		throw ErrorResponse(response, error_body);
	}
	if (!ended) {
		throw RemoteError("unavailable", "the stream from OpenDuck at " + endpoint + " ended early");
	}
	if (!end_code.empty()) {
		throw RemoteError(end_code, end_message.empty() ? end_code : end_message);
	}
}

} // namespace openduck
