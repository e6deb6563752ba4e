#include "storage/attach_parameters.hpp"

#include "duckdb/common/exception.hpp"
#include "duckdb/common/string_util.hpp"

#include <cstdlib>

namespace openduck {

using namespace duckdb;

namespace {

const char *const DEFAULT_ENDPOINT = "http://localhost:7878";

//! The same rule as the server's (packages/storage/src/names.ts): a plain identifier of at most 63 characters.
bool IsDatabaseName(const string &name) {
	if (name.empty() || name.size() > 63) {
		return false;
	}
	for (idx_t i = 0; i < name.size(); i++) {
		auto c = name[i];
		bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		if (!letter && (i == 0 || c < '0' || c > '9')) {
			return false;
		}
	}
	return true;
}

string FromEnvironment(const char *name) {
	auto value = std::getenv(name);
	return value ? string(value) : string();
}

} // namespace

AttachParameters AttachParameters::Parse(const string &path, AttachOptions &options) {
	AttachParameters result;
	auto question = path.find('?');
	result.database = path.substr(0, question);
	if (!IsDatabaseName(result.database)) {
		throw BinderException("openduck: \"%s\" is not a database name: ATTACH 'openduck:NAME?endpoint=…&token=…' "
		                      "where NAME is a letter or underscore followed by letters, digits or underscores",
		                      result.database);
	}
	bool has_endpoint = false;
	bool has_token = false;
	if (question != string::npos) {
		for (auto &pair : StringUtil::Split(path.substr(question + 1), '&')) {
			auto equals = pair.find('=');
			if (equals == string::npos) {
				throw BinderException("openduck: parameter \"%s\" has no value (expected name=value)",
				                      StringUtil::URLDecode(pair));
			}
			auto key = StringUtil::URLDecode(pair.substr(0, equals));
			auto value = StringUtil::URLDecode(pair.substr(equals + 1));
			if (key == "endpoint") {
				result.endpoint = value;
				has_endpoint = true;
			} else if (key == "token") {
				result.token = value;
				has_token = true;
			} else if (key == "snapshot") {
				result.snapshot = value;
			} else {
				throw BinderException("openduck: unknown parameter \"%s\" (known: endpoint, token, snapshot)", key);
			}
		}
	}
	if (!has_endpoint) {
		result.endpoint = FromEnvironment("OPENDUCK_ENDPOINT");
		if (result.endpoint.empty()) {
			result.endpoint = DEFAULT_ENDPOINT;
		}
	}
	while (StringUtil::EndsWith(result.endpoint, "/")) {
		result.endpoint.pop_back();
	}
	if (!has_token) {
		result.token = FromEnvironment("OPENDUCK_TOKEN");
	}
	if (result.token.empty()) {
		throw BinderException("openduck: no token for database \"%s\": add token=… to the ATTACH path or set "
		                      "$OPENDUCK_TOKEN",
		                      result.database);
	}
	for (auto &option : options.options) {
		throw BinderException("openduck: unsupported ATTACH option \"%s\" (OpenDuck takes READ_ONLY; endpoint, "
		                      "token and snapshot go into the path)",
		                      option.first);
	}
	if (!result.snapshot.empty() && options.access_mode == AccessMode::READ_WRITE) {
		throw BinderException("openduck: snapshot \"%s\" is read-only: time travel reads an old snapshot, writes go "
		                      "to the head (drop READ_WRITE or the snapshot parameter)",
		                      result.snapshot);
	}
	result.read_only = options.access_mode == AccessMode::READ_ONLY || !result.snapshot.empty();
	return result;
}

string AttachParameters::Describe() const {
	auto description = "openduck:" + database + "?endpoint=" + endpoint;
	if (!snapshot.empty()) {
		description += "&snapshot=" + snapshot;
	}
	return description;
}

} // namespace openduck
