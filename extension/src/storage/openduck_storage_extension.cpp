#include "storage/openduck_storage_extension.hpp"

#include "storage/openduck_catalog.hpp"
#include "storage/openduck_transaction_manager.hpp"

#include "duckdb/parser/parsed_data/attach_info.hpp"

namespace openduck {

using namespace duckdb;

static unique_ptr<Catalog> Attach(optional_ptr<StorageExtensionInfo>, ClientContext &context, AttachedDatabase &db,
                                  const string &, AttachInfo &info, AttachOptions &options) {
	auto parameters = AttachParameters::Parse(info.path, options);
	if (parameters.read_only) {
		// A snapshot attach is read-only whether or not the ATTACH said so.
		db.SetReadOnlyDatabase();
	}
	auto remote = std::make_shared<RemoteDatabase>(std::move(parameters));
	// Reading the catalog once proves the endpoint answers, the token is accepted and the database (and snapshot)
	// exist: ATTACH fails with the reason rather than the first query.
	ExecuteQueryRequest probe;
	probe.sql = "SELECT 1";
	probe.snapshot = remote->Parameters().snapshot;
	remote->Fetch(context, std::move(probe));
	info.path = remote->Parameters().Describe();
	return make_uniq<OpenDuckCatalog>(db, std::move(remote));
}

static unique_ptr<TransactionManager> CreateTransactionManager(optional_ptr<StorageExtensionInfo>, AttachedDatabase &db,
                                                               Catalog &catalog) {
	return make_uniq<OpenDuckTransactionManager>(db, catalog.Cast<OpenDuckCatalog>());
}

OpenDuckStorageExtension::OpenDuckStorageExtension() {
	attach = Attach;
	create_transaction_manager = CreateTransactionManager;
}

} // namespace openduck
