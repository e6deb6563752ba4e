#include "storage/openduck_transaction.hpp"

#include "storage/openduck_catalog.hpp"

namespace openduck {

using namespace duckdb;

OpenDuckTransaction::OpenDuckTransaction(TransactionManager &manager, ClientContext &context,
                                         OpenDuckCatalog &catalog_p)
    : Transaction(manager, context), catalog(catalog_p) {
}

SnapshotCatalog &OpenDuckTransaction::GetSnapshot(ClientContext &context) {
	std::lock_guard<std::mutex> guard(lock);
	if (!snapshot) {
		snapshot = catalog.CurrentSnapshot(context);
	}
	return *snapshot;
}

OpenDuckTransaction &OpenDuckTransaction::Get(ClientContext &context, Catalog &catalog) {
	return Transaction::Get(context, catalog).Cast<OpenDuckTransaction>();
}

} // namespace openduck
