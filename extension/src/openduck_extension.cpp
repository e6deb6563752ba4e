#include "openduck_extension.hpp"

#include "functions/arrow_ipc_function.hpp"
#include "functions/staged_rows_function.hpp"
#include "paged/paged_file_system.hpp"
#include "paged/paged_storage_extension.hpp"
#include "pushdown/limit_pushdown.hpp"
#include "pushdown/statement_pushdown.hpp"
#include "storage/openduck_storage_extension.hpp"

#include "duckdb/main/config.hpp"
#include "duckdb/main/extension/extension_loader.hpp"

namespace openduck {

void OpenDuckExtension::Load(duckdb::ExtensionLoader &loader) {
	loader.SetDescription("OpenDuck: DuckDB in the cloud");
	loader.RegisterFunction(ArrowIpcFunction::GetFunction());
	loader.RegisterFunction(ArrowIpcScanFunction::GetFunction());
	loader.RegisterFunction(StagedRowsFunction::GetFunction());

	auto &db = loader.GetDatabaseInstance();
	db.GetFileSystem().RegisterSubSystem(duckdb::make_uniq<PagedFileSystem>());
	auto &config = duckdb::DBConfig::GetConfig(db);
	config.storage_extensions[PagedStorageExtension::NAME] = duckdb::make_uniq<PagedStorageExtension>();
	config.storage_extensions[OpenDuckStorageExtension::NAME] = duckdb::make_uniq<OpenDuckStorageExtension>();
	config.storage_extensions[OpenDuckStorageExtension::SHORT_NAME] = duckdb::make_uniq<OpenDuckStorageExtension>();
	config.optimizer_extensions.push_back(StatementPushdown::GetExtension());
	config.optimizer_extensions.push_back(LimitPushdown::GetExtension());
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
