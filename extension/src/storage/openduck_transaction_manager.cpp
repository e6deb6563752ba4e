#include "storage/openduck_transaction_manager.hpp"

namespace openduck {

using namespace duckdb;

OpenDuckTransactionManager::OpenDuckTransactionManager(AttachedDatabase &db, OpenDuckCatalog &catalog_p)
    : TransactionManager(db), catalog(catalog_p) {
}

Transaction &OpenDuckTransactionManager::StartTransaction(ClientContext &context) {
	auto transaction = make_uniq<OpenDuckTransaction>(*this, context, catalog);
	auto &result = *transaction;
	std::lock_guard<std::mutex> guard(lock);
	transactions[result] = std::move(transaction);
	return result;
}

ErrorData OpenDuckTransactionManager::CommitTransaction(ClientContext &context, Transaction &transaction) {
	ErrorData result;
	try {
		transaction.Cast<OpenDuckTransaction>().Commit(context);
	} catch (std::exception &ex) {
		result = ErrorData(ex);
	}
	std::lock_guard<std::mutex> guard(lock);
	transactions.erase(transaction);
	return result;
}

void OpenDuckTransactionManager::RollbackTransaction(Transaction &transaction) {
	std::lock_guard<std::mutex> guard(lock);
	transactions.erase(transaction);
}

void OpenDuckTransactionManager::Checkpoint(ClientContext &, bool) {
	// Every remote commit is already durable; there is nothing local to checkpoint.
}

} // namespace openduck
