#include "scan/forwarded_settings.hpp"

#include "duckdb/common/string_util.hpp"

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
	// Each setting with its default, as DuckDB prints it (the server runs with the defaults); default_order prints
	// ASCENDING until set, ASC after.
	static const std::pair<const char *, const char *> DEFAULTS[] = {
	    {"default_order", "ascending"},
	    {"default_order", "asc"},
	    {"default_null_order", "nulls_last"},
	    {"default_collation", ""},
	    {"integer_division", "false"},
	    {"order_by_non_integer_literal", "false"},
	    {"ieee_floating_point_ops", "true"},
	    {"scalar_subquery_error_on_multiple_rows", "true"},
	};
	case_insensitive_map_t<bool> at_default;
	for (auto &setting : DEFAULTS) {
		Value value;
		auto found = context.TryGetCurrentSetting(setting.first, value);
		auto current = !found || value.IsNull() ? string() : value.ToString();
		at_default[setting.first] |= !found || StringUtil::CIEquals(current, setting.second);
	}
	for (auto &setting : at_default) {
		if (!setting.second) {
			return true;
		}
	}
	return false;
}

} // namespace openduck
