//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// remote/curl_library.hpp
//
// libcurl, found at run time rather than linked.
//===----------------------------------------------------------------------===//

#pragma once

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

namespace openduck {

//! The libcurl functions the HTTP client uses, from the system's libcurl.so.4 opened on first use. The extension
//! does not name libcurl as a dependency, so it loads where libcurl is missing (e.g. an OpenDuck worker on AWS
//! Lambda, which only uses the extension's Arrow functions); attaching a database there fails with a clear error.
struct CurlLibrary {
	decltype(&curl_global_init) global_init;
	decltype(&curl_easy_init) easy_init;
	decltype(&curl_easy_setopt) easy_setopt;
	decltype(&curl_easy_perform) easy_perform;
	decltype(&curl_easy_getinfo) easy_getinfo;
	decltype(&curl_easy_cleanup) easy_cleanup;
	decltype(&curl_easy_strerror) easy_strerror;
	decltype(&curl_slist_append) slist_append;
	decltype(&curl_slist_free_all) slist_free_all;

	//! Opens libcurl and runs curl_global_init, once per process; throws std::runtime_error when that fails.
	static const CurlLibrary &Get();
};

} // namespace openduck
