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
#include "scan/forwarded_settings.hpp"
#include "storage/snapshot_catalog.hpp"

#include "duckdb/transaction/transaction.hpp"

namespace openduck {

class OpenDuckCatalog;

//! One write sent to the server.
struct RemoteWrite {
	std::string sql;
	//! Uploads the SQL reads as openduck_staged('<id>').
	std::vector<StagedRows> staged;
	//! The SQL names rows by the row ids this transaction read: it must apply to the snapshot they were read at.
	bool uses_row_ids = false;
	//! DDL: the catalog this transaction binds against is reloaded after it.
	bool changes_catalog = false;
};

//! A transaction that follows the head does not ask which snapshot that is before it reads: its statements bind
//! against the catalog the attach last loaded, and its first remote request reads the head. The snapshot that
//! request read becomes the transaction's (later requests pin it), once the catalog is checked against it: the same
//! snapshot, or one where the tables the request reads are the same (its catalog, with fresh row estimates, is
//! taken over); a changed table fails the statement, which binds against the new catalog when run again. So a query
//! costs one round trip, and a new transaction still sees every commit made before it read.
//!
//! Writes: an autocommit write is sent as it is and the server commits it at once (one round trip). The first write
//! of an explicit transaction begins a server-side transaction at this transaction's snapshot; from then on every
//! request carries its token, so reads see the transaction's own writes, and COMMIT publishes them all as one
//! snapshot (or fails, with nothing visible, when another writer committed first). ROLLBACK, an error or a client
//! that goes away just leave the server-side transaction unpublished.
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
	//! ClaimSnapshot) or in its server-side transaction, rows cast to `types`.
	duckdb::unique_ptr<RemoteChunkSource> Read(duckdb::ClientContext &context, std::string sql,
	                                           duckdb::vector<duckdb::LogicalType> types, QueryOptions options,
	                                           duckdb::vector<std::string> tables);

	//! Runs a write (see above) and returns the server's answer, complete.
	ExecuteQueryResponse Write(duckdb::ClientContext &context, RemoteWrite write);
	//! Publishes the server-side transaction, if there is one. Throws when the server refuses (a conflict).
	void Commit(duckdb::ClientContext &context);

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
	//! The server-side transaction's token, once this transaction wrote (explicit transactions only).
	std::string token;
	//! DDL ran in the server-side transaction: the catalog is reloaded after COMMIT.
	bool changed_catalog = false;
};

} // namespace openduck
