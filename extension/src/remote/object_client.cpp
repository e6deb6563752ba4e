#include "remote/object_client.hpp"

#include <algorithm>

namespace openduck {

//! Bytes kept of a failed transfer's answer (S3 answers with a short XML document).
static constexpr size_t MAX_ERROR_BODY = 4096;

//! The URL without its query string (the signature) or fragment.
static std::string Redacted(const std::string &url) {
	return url.substr(0, url.find_first_of("?#"));
}

//! The text of <tag>…</tag> in an S3 error document, or "".
static std::string XmlElement(const std::string &document, const std::string &tag) {
	auto open = document.find("<" + tag + ">");
	if (open == std::string::npos) {
		return "";
	}
	auto start = open + tag.size() + 2;
	auto close = document.find("</" + tag + ">", start);
	return close == std::string::npos ? "" : document.substr(start, std::min<size_t>(close - start, 300));
}

static RemoteError TransferError(const char *action, const std::string &url, const HttpError &error) {
	if (error.kind == HttpError::Kind::INTERRUPTED) {
		return RemoteError("interrupted", "the transfer was interrupted");
	}
	return RemoteError("unavailable", std::string("could not ") + action + " " + Redacted(url) + ": " + error.what());
}

static RemoteError StatusError(const char *action, const std::string &url, long status, const std::string &body) {
	std::string message = std::string("could not ") + action + " " + Redacted(url) + ": HTTP " + std::to_string(status);
	auto code = XmlElement(body, "Code");
	if (!code.empty()) {
		message += " " + code;
		auto detail = XmlElement(body, "Message");
		if (!detail.empty()) {
			message += " (" + detail + ")";
		}
	}
	// Expired or refused URLs (403) are worth running the query again for; so is everything else here.
	return RemoteError("unavailable", message);
}

ObjectClient::ObjectClient() : http("") {
}

std::string ObjectClient::Transfer(const char *method, const std::string &url, const HttpHeaders &headers,
                                   const std::string &body, const char *action,
                                   const std::function<bool()> &interrupted) {
	std::string answer;
	HttpResponse response;
	try {
		response = http.Send(
		    method, url, headers, body,
		    [&](const HttpResponse &head, const char *data, size_t size) {
			    // A success's body whole; of an error's (S3's XML document) only the start.
			    auto room = head.status == 200 ? size : MAX_ERROR_BODY - std::min(answer.size(), MAX_ERROR_BODY);
			    answer.append(data, std::min(size, room));
		    },
		    interrupted);
	} catch (HttpError &error) {
		throw TransferError(action, url, error);
	}
	if (response.status != 200) {
		throw StatusError(action, url, response.status, answer);
	}
	return answer;
}

std::string ObjectClient::Get(const std::string &url, const std::function<bool()> &interrupted) {
	return Transfer("GET", url, {{"User-Agent", "openduck-cpp"}}, "", "fetch a result part from", interrupted);
}

void ObjectClient::Put(const std::string &url, const std::string &body, const std::function<bool()> &interrupted) {
	Transfer("PUT", url, {{"Content-Type", "application/vnd.apache.arrow.stream"}, {"User-Agent", "openduck-cpp"}},
	         body, "upload a staged part to", interrupted);
}

} // namespace openduck
