#include "remote/curl_library.hpp"

#include <dlfcn.h>

#include <mutex>
#include <stdexcept>
#include <string>

namespace openduck {

template <class FUNCTION>
static void Resolve(void *library, const char *name, FUNCTION &function) {
	function = reinterpret_cast<FUNCTION>(dlsym(library, name));
	if (!function) {
		throw std::runtime_error(std::string("the libcurl found lacks ") + name + ": OpenDuck needs libcurl 7.x or 8.x");
	}
}

static CurlLibrary Load() {
	void *library = nullptr;
	for (auto name : {"libcurl.so.4", "libcurl.so"}) {
		library = dlopen(name, RTLD_NOW | RTLD_LOCAL);
		if (library) {
			break;
		}
	}
	if (!library) {
		throw std::runtime_error("OpenDuck needs libcurl to reach a server, and libcurl.so.4 was not found: install "
		                         "it (Debian/Ubuntu: libcurl4, Fedora/Amazon Linux: libcurl)");
	}
	// Never closed: libcurl is never cleaned up either, since other users of it may share the process.
	CurlLibrary curl;
	Resolve(library, "curl_global_init", curl.global_init);
	Resolve(library, "curl_easy_init", curl.easy_init);
	Resolve(library, "curl_easy_setopt", curl.easy_setopt);
	Resolve(library, "curl_easy_perform", curl.easy_perform);
	Resolve(library, "curl_easy_getinfo", curl.easy_getinfo);
	Resolve(library, "curl_easy_cleanup", curl.easy_cleanup);
	Resolve(library, "curl_easy_strerror", curl.easy_strerror);
	Resolve(library, "curl_slist_append", curl.slist_append);
	Resolve(library, "curl_slist_free_all", curl.slist_free_all);
	auto result = curl.global_init(CURL_GLOBAL_DEFAULT);
	if (result != CURLE_OK) {
		throw std::runtime_error(std::string("could not initialize libcurl: ") + curl.easy_strerror(result));
	}
	return curl;
}

const CurlLibrary &CurlLibrary::Get() {
	static std::once_flag once;
	static CurlLibrary curl;
	static std::string failure;
	std::call_once(once, [] {
		try {
			curl = Load();
		} catch (std::exception &error) {
			failure = error.what();
		}
	});
	if (!failure.empty()) {
		throw std::runtime_error(failure);
	}
	return curl;
}

} // namespace openduck
