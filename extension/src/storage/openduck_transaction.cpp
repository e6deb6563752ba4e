#include "storage/openduck_transaction.hpp"

#include "storage/openduck_catalog.hpp"

#include "duckdb/common/exception.hpp"
#include "duckdb/common/exception/transaction_exception.hpp"
#include "duckdb/common/string_util.hpp"

namespace openduck {

using namespace duckdb;

OpenDuckTransaction::OpenDuckTransaction(TransactionManager &manager, ClientContext &context,
                                         OpenDuckCatalog &catalog_p)
    : Transaction(manager, context), catalog(catalog_p) {
}

SnapshotCatalog &OpenDuckTransaction::GetSnapshot(ClientContext &context) {
	std::lock_guard<std::mutex> guard(lock);
	if (!snapshot) {
		bool settled;
		snapshot = catalog.BindingSnapshot(context, settled);
		if (settled) {
			read_snapshot = snapshot->SnapshotId();
		}
	}
	return *snapshot;
}

string OpenDuckTransaction::ClaimSnapshot(ClientContext &context, const vector<string> &tables) {
	GetSnapshot(context);
	{
		std::lock_guard<std::mutex> guard(lock);
		if (!read_snapshot.empty()) {
			return read_snapshot;
		}
		if (!claimed) {
			claimed = true;
			return string();
		}
	}
	// Another request of this transaction is reading the head and has not said which snapshot that was; it may only
	// say so once its rows are consumed, so ask now. Resolve refuses that request if the two differ.
	ResolveNow(context, tables);
	std::lock_guard<std::mutex> guard(lock);
	return read_snapshot;
}

void OpenDuckTransaction::Resolve(ClientContext &context, const string &snapshot_id, const vector<string> &tables) {
	std::shared_ptr<SnapshotCatalog> planned;
	{
		std::lock_guard<std::mutex> guard(lock);
		claimed = false;
		if (!read_snapshot.empty()) {
			if (read_snapshot != snapshot_id) {
				throw TransactionException("openduck: OpenDuck database \"%s\" moved from snapshot %s to %s while this "
				                           "statement started; run it again",
				                           catalog.Remote().Parameters().database, read_snapshot, snapshot_id);
			}
			return;
		}
		if (snapshot->SnapshotId() == snapshot_id) {
			read_snapshot = snapshot_id;
			return;
		}
		planned = snapshot;
	}
	auto current = catalog.LoadSnapshot(context, snapshot_id);
	std::lock_guard<std::mutex> guard(lock);
	replaced.push_back(std::move(snapshot));
	snapshot = current;
	read_snapshot = snapshot_id;
	if (!current->SameTables(*planned, tables)) {
		throw TransactionException("openduck: %s in OpenDuck database \"%s\" changed (snapshot %s) after this "
		                           "statement was planned (at snapshot %s); run it again",
		                           StringUtil::Join(tables, ", "), catalog.Remote().Parameters().database,
		                           snapshot_id, planned->SnapshotId());
	}
}

void OpenDuckTransaction::Abandon() {
	std::lock_guard<std::mutex> guard(lock);
	claimed = false;
}

void OpenDuckTransaction::ResolveNow(ClientContext &context, const vector<string> &tables) {
	GetSnapshot(context);
	{
		std::lock_guard<std::mutex> guard(lock);
		if (!read_snapshot.empty()) {
			return;
		}
	}
	// Which snapshot is the head now: the answer to any query says.
	auto head = catalog.Remote().Fetch(context, "SELECT 1", "").snapshot_id;
	Resolve(context, head, tables);
}

unique_ptr<RemoteChunkSource> OpenDuckTransaction::Read(ClientContext &context, string sql, vector<LogicalType> types,
                                                        QueryOptions options, vector<string> tables) {
	auto snapshot_id = ClaimSnapshot(context, tables);
	auto source = make_uniq<RemoteChunkSource>(catalog.Remote().shared_from_this(), std::move(sql), snapshot_id,
	                                           std::move(types), std::move(options));
	if (snapshot_id.empty()) {
		source->OnSnapshot(
		    [this, tables](ClientContext &context, const string &read) { Resolve(context, read, tables); },
		    [this]() { Abandon(); });
	}
	return source;
}

OpenDuckTransaction &OpenDuckTransaction::Get(ClientContext &context, Catalog &catalog) {
	return Transaction::Get(context, catalog).Cast<OpenDuckTransaction>();
}

} // namespace openduck
