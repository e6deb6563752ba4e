#include "remote/http_client.hpp"

#include "remote/curl_library.hpp"

#include <cstdlib>
#include <cstring>
#include <exception>

namespace openduck {

static constexpr long CONNECT_TIMEOUT_MS = 10000;
static constexpr long KEEPALIVE_IDLE_S = 30;
static constexpr long KEEPALIVE_INTERVAL_S = 15;

//! libcurl, opened (and initialized) on first use.
static const CurlLibrary &Curl() {
	return CurlLibrary::Get();
}

//! The state of one request, shared with libcurl's callbacks, which must not let exceptions through.
struct Transfer {
	CURL *handle;
	const HttpClient::BodyCallback &on_body_chunk;
	const std::function<bool()> &interrupted;
	HttpResponse response;
	bool response_started = false;
	bool was_interrupted = false;
	std::exception_ptr failure;

	//! Status and content type are known once the first body byte is.
	void StartResponse() {
		Curl().easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
		char *content_type = nullptr;
		Curl().easy_getinfo(handle, CURLINFO_CONTENT_TYPE, &content_type);
		response.content_type = content_type ? content_type : "";
		response_started = true;
	}
};

static size_t OnBody(char *data, size_t size, size_t count, void *user_data) {
	auto &transfer = *static_cast<Transfer *>(user_data);
	size_t bytes = size * count;
	try {
		if (!transfer.response_started) {
			transfer.StartResponse();
		}
		transfer.on_body_chunk(transfer.response, data, bytes);
	} catch (...) {
		transfer.failure = std::current_exception();
		// Anything but `bytes` makes libcurl abort the transfer.
		return bytes == 0 ? 1 : 0;
	}
	return bytes;
}

static int OnProgress(void *user_data, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
	auto &transfer = *static_cast<Transfer *>(user_data);
	if (!transfer.interrupted) {
		return 0;
	}
	try {
		transfer.was_interrupted = transfer.interrupted();
	} catch (...) {
		transfer.failure = std::current_exception();
		return 1;
	}
	return transfer.was_interrupted ? 1 : 0;
}

//! Like curl_easy_setopt, but a failure (an option this libcurl lacks) is an exception.
template <class T>
static void SetOption(CURL *handle, CURLoption option, T value) {
	CURLcode result = Curl().easy_setopt(handle, option, value);
	if (result != CURLE_OK) {
		throw std::runtime_error(std::string("libcurl rejected an option: ") + Curl().easy_strerror(result));
	}
}

//! The CA bundle libcurl should use instead of its built-in default, if the environment names one.
static const char *CaBundleFromEnvironment() {
	for (auto name : {"CURL_CA_BUNDLE", "SSL_CERT_FILE"}) {
		const char *value = std::getenv(name);
		if (value && *value) {
			return value;
		}
	}
	return nullptr;
}

HttpClient::HttpClient(std::string base_url_p) : base_url(std::move(base_url_p)) {
	handle = Curl().easy_init();
	if (!handle) {
		throw std::runtime_error("could not create a libcurl handle");
	}
	try {
		// Options set here hold for every request made with the handle.
		SetOption(handle, CURLOPT_NOSIGNAL, 1L);
		SetOption(handle, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
		SetOption(handle, CURLOPT_SSL_VERIFYPEER, 1L);
		SetOption(handle, CURLOPT_SSL_VERIFYHOST, 2L);
		if (auto ca_bundle = CaBundleFromEnvironment()) {
			SetOption(handle, CURLOPT_CAINFO, ca_bundle);
		}
		SetOption(handle, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
		SetOption(handle, CURLOPT_TCP_KEEPALIVE, 1L);
		SetOption(handle, CURLOPT_TCP_KEEPIDLE, KEEPALIVE_IDLE_S);
		SetOption(handle, CURLOPT_TCP_KEEPINTVL, KEEPALIVE_INTERVAL_S);
		SetOption(handle, CURLOPT_WRITEFUNCTION, OnBody);
		SetOption(handle, CURLOPT_XFERINFOFUNCTION, OnProgress);
		SetOption(handle, CURLOPT_NOPROGRESS, 0L);
	} catch (...) {
		Curl().easy_cleanup(handle);
		throw;
	}
}

HttpClient::~HttpClient() {
	Curl().easy_cleanup(handle);
}

//! Frees a header list however Post returns.
struct HeaderList {
	curl_slist *list = nullptr;

	~HeaderList() {
		Curl().slist_free_all(list);
	}

	void Append(const std::string &line) {
		auto appended = Curl().slist_append(list, line.c_str());
		if (!appended) {
			throw std::bad_alloc();
		}
		list = appended;
	}
};

HttpResponse HttpClient::Post(const std::string &path, const HttpHeaders &headers, const std::string &body,
                              const BodyCallback &on_body_chunk, const std::function<bool()> &interrupted) {
	return Send("POST", base_url + path, headers, body, on_body_chunk, interrupted);
}

HttpResponse HttpClient::Send(const char *method, const std::string &url, const HttpHeaders &headers,
                              const std::string &body, const BodyCallback &on_body_chunk,
                              const std::function<bool()> &interrupted) {
	bool is_get = std::strcmp(method, "GET") == 0;
	HeaderList header_list;
	for (auto &header : headers) {
		header_list.Append(header.first + ": " + header.second);
	}
	// libcurl would otherwise wait for "100 Continue" before sending a large body.
	header_list.Append("Expect:");

	Transfer transfer {handle, on_body_chunk, interrupted, HttpResponse(), false, false, nullptr};
	char error_buffer[CURL_ERROR_SIZE];
	error_buffer[0] = '\0';
	SetOption(handle, CURLOPT_URL, url.c_str());
	if (is_get) {
		SetOption(handle, CURLOPT_HTTPGET, 1L);
	} else {
		// A body sent as POST fields; any other method keeps that body under its own name.
		SetOption(handle, CURLOPT_POST, 1L);
		SetOption(handle, CURLOPT_POSTFIELDS, body.data());
		SetOption(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
		SetOption(handle, CURLOPT_CUSTOMREQUEST, std::strcmp(method, "POST") == 0 ? nullptr : method);
	}
	SetOption(handle, CURLOPT_HTTPHEADER, header_list.list);
	SetOption(handle, CURLOPT_WRITEDATA, &transfer);
	SetOption(handle, CURLOPT_XFERINFODATA, &transfer);
	SetOption(handle, CURLOPT_ERRORBUFFER, error_buffer);

	CURLcode result = Curl().easy_perform(handle);

	// Nothing set for this request may outlive it.
	Curl().easy_setopt(handle, CURLOPT_HTTPHEADER, nullptr);
	Curl().easy_setopt(handle, CURLOPT_POSTFIELDS, nullptr);
	Curl().easy_setopt(handle, CURLOPT_CUSTOMREQUEST, nullptr);
	Curl().easy_setopt(handle, CURLOPT_WRITEDATA, nullptr);
	Curl().easy_setopt(handle, CURLOPT_XFERINFODATA, nullptr);
	Curl().easy_setopt(handle, CURLOPT_ERRORBUFFER, nullptr);

	if (transfer.failure) {
		std::rethrow_exception(transfer.failure);
	}
	if (result == CURLE_ABORTED_BY_CALLBACK && transfer.was_interrupted) {
		throw HttpError(HttpError::Kind::INTERRUPTED, "interrupted");
	}
	if (result != CURLE_OK) {
		// The error buffer says what failed in detail ("Failed to connect to host port 1: Connection refused").
		std::string message = Curl().easy_strerror(result);
		if (error_buffer[0]) {
			message += std::string(" (") + error_buffer + ")";
		}
		long status = 0;
		Curl().easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
		throw HttpError(status == 0 ? HttpError::Kind::UNREACHABLE : HttpError::Kind::BROKEN, message);
	}
	if (!transfer.response_started) {
		transfer.StartResponse();
	}
	return transfer.response;
}

} // namespace openduck
