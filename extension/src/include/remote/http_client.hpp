//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// remote/http_client.hpp
//
// HTTP/1.1 requests over libcurl, with the response body streamed to a callback.
//===----------------------------------------------------------------------===//

#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace openduck {

//! A request that got no complete response. Its message never holds request headers (where credentials go).
class HttpError : public std::runtime_error {
public:
	enum class Kind : uint8_t {
		//! No response started: the host could not be resolved or connected to, TLS failed, or nothing came back.
		UNREACHABLE,
		//! The connection failed after the response started.
		BROKEN,
		//! The caller's interrupt hook asked to stop.
		INTERRUPTED
	};

	HttpError(Kind kind_p, const std::string &message) : std::runtime_error(message), kind(kind_p) {
	}

	Kind kind;
};

struct HttpResponse {
	long status = 0;
	//! The Content-Type header as sent, or "" if there was none.
	std::string content_type;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

//! Sends requests over one libcurl easy handle, which keeps the connection alive between requests to the same host.
//! Not thread-safe: one request at a time per client.
//!
//! Requests use HTTP/1.1 (http or https; TLS peers are always verified, against libcurl's default CA bundle or the
//! file named by CURL_CA_BUNDLE or SSL_CERT_FILE). Connecting times out after 10 s; a request that is connected
//! has no time limit, so long queries are never cut off, and TCP keepalive notices a peer that vanished.
class HttpClient {
public:
	//! Called with each piece of the response body, for every status. Exceptions it throws abort the request and
	//! propagate out of the call.
	using BodyCallback = std::function<void(const HttpResponse &response, const char *data, size_t size)>;

	//! `base_url` is scheme://host[:port][/prefix], already validated; Post's paths are appended to it. A client
	//! that only sends to whole URLs (Send) may have an empty base.
	explicit HttpClient(std::string base_url);
	~HttpClient();
	HttpClient(const HttpClient &) = delete;
	HttpClient &operator=(const HttpClient &) = delete;

	//! POSTs `body` to base_url + `path` and returns once the response is complete. `interrupted`, if set, is
	//! polled while the request runs (several times a second while data flows, about once a second while the
	//! server is silent); when it returns true the connection is closed and Post throws HttpError INTERRUPTED.
	//! Transport failures throw HttpError.
	HttpResponse Post(const std::string &path, const HttpHeaders &headers, const std::string &body,
	                  const BodyCallback &on_body_chunk, const std::function<bool()> &interrupted = {});

	//! Sends a GET (no body), PUT or POST to the whole `url`, otherwise as Post.
	HttpResponse Send(const char *method, const std::string &url, const HttpHeaders &headers, const std::string &body,
	                  const BodyCallback &on_body_chunk, const std::function<bool()> &interrupted = {});

private:
	std::string base_url;
	//! The CURL easy handle.
	void *handle;
};

} // namespace openduck
