#include "storage/remote_database.hpp"

#include "scan/remote_chunk_source.hpp"

#include "duckdb/common/exception.hpp"
#include "duckdb/common/exception/transaction_exception.hpp"

namespace openduck {

using namespace duckdb;

RemoteDatabase::RemoteDatabase(AttachParameters parameters_p) : parameters(std::move(parameters_p)) {
}

std::unique_ptr<ConnectClient> RemoteDatabase::Acquire() {
	{
		std::lock_guard<std::mutex> guard(lock);
		if (!idle.empty()) {
			auto client = std::move(idle.back());
			idle.pop_back();
			return client;
		}
	}
	return std::unique_ptr<ConnectClient>(new ConnectClient(parameters.endpoint, parameters.token));
}

void RemoteDatabase::Release(std::unique_ptr<ConnectClient> client) {
	std::lock_guard<std::mutex> guard(lock);
	idle.push_back(std::move(client));
}

RemoteRows RemoteDatabase::Fetch(ClientContext &context, const string &sql, const string &snapshot) {
	RemoteChunkSource source(shared_from_this(), sql, snapshot);
	RemoteRows result;
	result.snapshot_id = source.SnapshotId(context);
	result.names = source.Names(context);
	result.rows = make_uniq<ColumnDataCollection>(context, source.Types(context));
	DataChunk chunk;
	chunk.Initialize(context, source.Types(context));
	while (source.Next(context, chunk)) {
		result.rows->Append(chunk);
		chunk.Reset();
	}
	return result;
}

void ThrowRemoteError(const RemoteError &error, const AttachParameters &parameters) {
	auto where = "OpenDuck database \"" + parameters.database + "\" at " + parameters.endpoint;
	if (error.code == "unauthenticated") {
		throw PermissionException("openduck: the token was refused by %s (%s)", where, error.what());
	}
	if (error.code == "permission_denied") {
		throw PermissionException("openduck: %s (%s)", error.what(), where);
	}
	if (error.code == "invalid_argument" || error.code == "failed_precondition" || error.code == "out_of_range") {
		throw InvalidInputException("openduck: %s", error.what());
	}
	if (error.code == "not_found") {
		throw CatalogException("openduck: %s (%s)", error.what(), where);
	}
	if (error.code == "interrupted" || error.code == "canceled") {
		throw InterruptException();
	}
	if (error.code == "aborted") {
		throw TransactionException("openduck: %s", error.what());
	}
	throw IOException("openduck: %s (%s)", error.what(), where);
}

} // namespace openduck
