#include "openduck_extension.hpp"

#include "functions/arrow_ipc_function.hpp"

#include "duckdb/main/extension/extension_loader.hpp"

namespace openduck {

void OpenDuckExtension::Load(duckdb::ExtensionLoader &loader) {
	loader.SetDescription("OpenDuck: DuckDB in the cloud");
	loader.RegisterFunction(ArrowIpcFunction::GetFunction());
}

std::string OpenDuckExtension::Name() {
	return "openduck";
}

std::string OpenDuckExtension::Version() const {
	return OPENDUCK_EXTENSION_VERSION;
}

} // namespace openduck

extern "C" {

DUCKDB_CPP_EXTENSION_ENTRY(openduck, loader) {
	openduck::OpenDuckExtension().Load(loader);
}
}
