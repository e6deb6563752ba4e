#include "scan/forwarded_settings.hpp"

#include "duckdb/common/string_util.hpp"

#include <algorithm>

namespace openduck {

using namespace duckdb;

QueryOptions ForwardedQueryOptions(ClientContext &context) {
	QueryOptions options;
	for (auto name : {"TimeZone", "Calendar"}) {
		Value value;
		if (context.TryGetCurrentSetting(name, value) && !value.IsNull()) {
			options.settings.emplace_back(name, value.ToString());
		}
	}
	return options;
}

bool ChangedUnforwardedSettings(ClientContext &context) {
	// Each setting with its default as DuckDB prints it (the server runs with the defaults); default_order prints
	// ASCENDING until set, ASC after.
	static const std::pair<const char *, vector<string>> DEFAULTS[] = {
	    {"default_order", {"ascending", "asc"}},
	    {"default_null_order", {"nulls_last"}},
	    {"default_collation", {""}},
	    {"integer_division", {"false"}},
	    {"order_by_non_integer_literal", {"false"}},
	    {"ieee_floating_point_ops", {"true"}},
	    {"scalar_subquery_error_on_multiple_rows", {"true"}},
	};
	for (auto &setting : DEFAULTS) {
		Value value;
		if (!context.TryGetCurrentSetting(setting.first, value)) {
			continue;
		}
		auto current = value.IsNull() ? string() : value.ToString();
		auto is_default = [&](const string &text) { return StringUtil::CIEquals(current, text); };
		if (std::none_of(setting.second.begin(), setting.second.end(), is_default)) {
			return true;
		}
	}
	return false;
}

} // namespace openduck
