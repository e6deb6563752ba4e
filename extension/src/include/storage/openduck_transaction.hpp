//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// storage/openduck_transaction.hpp
//
// One DuckDB transaction over an attached OpenDuck database: the catalog its statements bind against and the one
// remote snapshot all its reads see.
//===----------------------------------------------------------------------===//

#pragma once

#include "scan/remote_chunk_source.hpp"
#include "storage/snapshot_catalog.hpp"

#include "duckdb/transaction/transaction.hpp"

namespace openduck {

class OpenDuckCatalog;

//! A transaction that follows the head does not ask which snapshot that is before it reads: its statements bind
//! against the catalog the attach last loaded, and its first remote request reads the head. The snapshot that
//! request read becomes the transaction's (later requests pin it), once the catalog is checked against it: the same
//! snapshot, or one where the tables the request reads are the same (its catalog, with fresh row estimates, is
//! taken over); a changed table fails the statement, which binds against the new catalog when run again. So a query
//! costs one round trip, and a new transaction still sees every commit made before it read.
class OpenDuckTransaction : public duckdb::Transaction {
public:
	OpenDuckTransaction(duckdb::TransactionManager &manager, duckdb::ClientContext &context, OpenDuckCatalog &catalog);

	//! The catalog this transaction's statements bind against.
	SnapshotCatalog &GetSnapshot(duckdb::ClientContext &context);

	//! The snapshot a remote request of this transaction reads. Empty: the head, and this request decides the
	//! transaction's snapshot; its caller must then call Resolve with the snapshot the answer read, or Abandon.
	std::string ClaimSnapshot(duckdb::ClientContext &context, const duckdb::vector<std::string> &tables);
	//! Settles the transaction's snapshot on `snapshot_id`, which the claiming request read (see above). Throws when
	//! one of `tables` ("schema.table"), which the request reads, changed since the statement was planned.
	void Resolve(duckdb::ClientContext &context, const std::string &snapshot_id,
	             const duckdb::vector<std::string> &tables);
	//! The claiming request ended without an answer: the next request claims again.
	void Abandon();
	//! Settles the snapshot before a statement with several remote requests (reading `tables`) starts them, so they
	//! all read the same.
	void ResolveNow(duckdb::ClientContext &context, const duckdb::vector<std::string> &tables);
	//! Starts reading `sql`, which reads `tables` ("schema.table"), at this transaction's snapshot (see
	//! ClaimSnapshot), rows cast to `types`.
	duckdb::unique_ptr<RemoteChunkSource> Read(duckdb::ClientContext &context, std::string sql,
	                                           duckdb::vector<duckdb::LogicalType> types, QueryOptions options,
	                                           duckdb::vector<std::string> tables);

	static OpenDuckTransaction &Get(duckdb::ClientContext &context, duckdb::Catalog &catalog);

private:
	OpenDuckCatalog &catalog;
	std::mutex lock;
	std::shared_ptr<SnapshotCatalog> snapshot;
	//! Catalogs replaced during the transaction: plans of its statements may still point at their entries.
	std::vector<std::shared_ptr<SnapshotCatalog>> replaced;
	//! The snapshot every read of this transaction sees, once settled.
	std::string read_snapshot;
	bool claimed = false;
};

} // namespace openduck
