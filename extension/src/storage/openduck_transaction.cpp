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
		if (!read_snapshot.empty() || !token.empty()) {
			return;
		}
	}
	// Which snapshot is the head now: the answer to any query says.
	ExecuteQueryRequest probe;
	probe.sql = "SELECT 1";
	auto head = catalog.Remote().Fetch(context, std::move(probe)).snapshot_id;
	Resolve(context, head, tables);
}

unique_ptr<RemoteChunkSource> OpenDuckTransaction::Read(ClientContext &context, string sql, vector<LogicalType> types,
                                                        QueryOptions options, vector<string> tables) {
	ExecuteQueryRequest request;
	request.sql = std::move(sql);
	request.options = std::move(options);
	{
		std::lock_guard<std::mutex> guard(lock);
		request.transaction = token;
	}
	if (!request.transaction.empty()) {
		return make_uniq<RemoteChunkSource>(catalog.Remote().shared_from_this(), std::move(request), std::move(types));
	}
	request.snapshot = ClaimSnapshot(context, tables);
	auto settles = request.snapshot.empty();
	auto source =
	    make_uniq<RemoteChunkSource>(catalog.Remote().shared_from_this(), std::move(request), std::move(types));
	if (settles) {
		source->OnHeader([this, tables](ClientContext &context,
		                                const ExecuteQueryResponse &header) { Resolve(context, header.snapshot_id, tables); },
		                 [this]() { Abandon(); });
	}
	return source;
}

ExecuteQueryResponse OpenDuckTransaction::Write(ClientContext &context, RemoteWrite write) {
	GetSnapshot(context);
	ExecuteQueryRequest request;
	request.sql = std::move(write.sql);
	request.staged = std::move(write.staged);
	request.options = ForwardedQueryOptions(context);
	{
		std::lock_guard<std::mutex> guard(lock);
		request.transaction = token;
	}
	if (request.transaction.empty() && (!context.transaction.IsAutoCommit() || write.uses_row_ids)) {
		// The server-side transaction starts from the snapshot this transaction reads, settled first.
		ResolveNow(context, {});
		request.begin_transaction = true;
		std::lock_guard<std::mutex> guard(lock);
		request.snapshot = read_snapshot;
	}
	auto in_transaction = !request.transaction.empty() || request.begin_transaction;
	auto response = catalog.Remote().Execute(context, std::move(request));
	if (in_transaction && response.transaction.empty()) {
		throw IOException("openduck: the server answered a write of a transaction without the transaction's token");
	}
	std::shared_ptr<SnapshotCatalog> reloaded;
	if (write.changes_catalog) {
		if (in_transaction) {
			// The new catalog is this transaction's own until it commits.
			ExecuteQueryRequest scope;
			scope.transaction = response.transaction;
			reloaded = SnapshotCatalog::Load(context, catalog, catalog.Remote(), std::move(scope));
		} else {
			reloaded = catalog.LoadSnapshot(context, response.snapshot_id);
		}
	}
	std::lock_guard<std::mutex> guard(lock);
	if (in_transaction) {
		token = response.transaction;
		changed_catalog = changed_catalog || write.changes_catalog;
	}
	if (reloaded) {
		replaced.push_back(std::move(snapshot));
		snapshot = std::move(reloaded);
		if (!in_transaction) {
			read_snapshot = response.snapshot_id;
		}
	}
	return response;
}

void OpenDuckTransaction::Commit(ClientContext &context) {
	ExecuteQueryRequest request;
	{
		std::lock_guard<std::mutex> guard(lock);
		if (token.empty()) {
			return;
		}
		request.transaction = std::move(token);
		token.clear();
	}
	request.sql = "COMMIT";
	auto response = catalog.Remote().Execute(context, std::move(request));
	if (changed_catalog) {
		catalog.LoadSnapshot(context, response.snapshot_id);
	}
}

OpenDuckTransaction &OpenDuckTransaction::Get(ClientContext &context, Catalog &catalog) {
	return Transaction::Get(context, catalog).Cast<OpenDuckTransaction>();
}

} // namespace openduck
