#include "scan/forwarded_settings.hpp"

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

} // namespace openduck
