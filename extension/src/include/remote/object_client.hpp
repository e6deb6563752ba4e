//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// remote/object_client.hpp
//
// GETs and PUTs of presigned object-storage URLs: result parts and staged parts that bypass the OpenDuck server.
//===----------------------------------------------------------------------===//

#pragma once

#include "remote/connect_client.hpp"
#include "remote/http_client.hpp"

#include <functional>
#include <string>

namespace openduck {

//! Moves bytes to and from URLs the OpenDuck server presigned (S3 or compatible storage): no Authorization header,
//! the signature is in the query string. A presigned URL is a credential for a while, so errors name only its host
//! and path. Not thread-safe: one transfer at a time; the connection is kept for the next.
class ObjectClient {
public:
	ObjectClient();

	//! The object's bytes. Failures throw RemoteError ("unavailable", or "interrupted").
	std::string Get(const std::string &url, const std::function<bool()> &interrupted = {});
	//! Stores `body` as the object. Failures throw RemoteError as for Get.
	void Put(const std::string &url, const std::string &body, const std::function<bool()> &interrupted = {});

private:
	//! Sends the request; returns the body of a 200 answer, throws RemoteError for anything else. `action` says what
	//! the transfer was for, in errors ("fetch a result part from").
	std::string Transfer(const char *method, const std::string &url, const HttpHeaders &headers,
	                     const std::string &body, const char *action, const std::function<bool()> &interrupted);

	HttpClient http;
};

} // namespace openduck
