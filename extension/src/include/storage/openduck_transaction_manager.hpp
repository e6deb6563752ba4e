//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// storage/openduck_transaction_manager.hpp
//
//===----------------------------------------------------------------------===//

#pragma once

#include "storage/openduck_transaction.hpp"

#include "duckdb/common/reference_map.hpp"
#include "duckdb/transaction/transaction_manager.hpp"

namespace openduck {

class OpenDuckTransactionManager : public duckdb::TransactionManager {
public:
	OpenDuckTransactionManager(duckdb::AttachedDatabase &db, OpenDuckCatalog &catalog);

	duckdb::Transaction &StartTransaction(duckdb::ClientContext &context) override;
	duckdb::ErrorData CommitTransaction(duckdb::ClientContext &context, duckdb::Transaction &transaction) override;
	void RollbackTransaction(duckdb::Transaction &transaction) override;
	void Checkpoint(duckdb::ClientContext &context, bool force = false) override;

private:
	OpenDuckCatalog &catalog;
	std::mutex lock;
	duckdb::reference_map_t<duckdb::Transaction, duckdb::unique_ptr<OpenDuckTransaction>> transactions;
};

} // namespace openduck
