//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// storage/openduck_transaction.hpp
//
// A DuckDB transaction on an attached OpenDuck database reads one remote snapshot for all its statements: the
// head when it first touches the catalog (or the attach's pinned snapshot). A new transaction sees newer commits.
//===----------------------------------------------------------------------===//

#pragma once

#include "storage/snapshot_catalog.hpp"

#include "duckdb/transaction/transaction.hpp"

namespace openduck {

class OpenDuckCatalog;

class OpenDuckTransaction : public duckdb::Transaction {
public:
	OpenDuckTransaction(duckdb::TransactionManager &manager, duckdb::ClientContext &context, OpenDuckCatalog &catalog);

	//! The catalog at this transaction's snapshot, loaded on first use.
	SnapshotCatalog &GetSnapshot(duckdb::ClientContext &context);

	static OpenDuckTransaction &Get(duckdb::ClientContext &context, duckdb::Catalog &catalog);

private:
	OpenDuckCatalog &catalog;
	std::mutex lock;
	std::shared_ptr<SnapshotCatalog> snapshot;
};

} // namespace openduck
