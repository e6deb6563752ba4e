#include "storage/remote_database.hpp"

#include "scan/remote_chunk_source.hpp"

#include "duckdb/common/exception.hpp"
#include "duckdb/common/exception/transaction_exception.hpp"
#include "duckdb/main/client_context.hpp"

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

RemoteRows RemoteDatabase::Fetch(ClientContext &context, ExecuteQueryRequest request) {
	RemoteChunkSource source(shared_from_this(), std::move(request));
	RemoteRows result;
	auto &header = source.Header(context);
	result.snapshot_id = header.snapshot_id;
	result.transaction = header.transaction;
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

//! Runs a unary call on a pooled client; interrupting `context` cancels it.
template <class RESULT>
static RESULT CallRemote(RemoteDatabase &remote, ClientContext &context,
                         const std::function<RESULT(ConnectClient &, const std::function<bool()> &)> &call) {
	auto client = remote.Acquire();
	RESULT result;
	try {
		result = call(*client, [&context]() { return context.interrupted.load(); });
	} catch (RemoteError &error) {
		// After an error the connection may be in any state: it is not reused.
		ThrowRemoteError(error, remote.Parameters());
	}
	remote.Release(std::move(client));
	return result;
}

ExecuteQueryResponse RemoteDatabase::Execute(ClientContext &context, ExecuteQueryRequest request) {
	request.database = parameters.database;
	return CallRemote<ExecuteQueryResponse>(
	    *this, context, [&](ConnectClient &client, const std::function<bool()> &interrupted) {
		    return client.ExecuteQuery(request, interrupted);
	    });
}

void RemoteDatabase::Stage(ClientContext &context, StageRowsRequest request) {
	request.database = parameters.database;
	CallRemote<bool>(*this, context, [&](ConnectClient &client, const std::function<bool()> &interrupted) {
		client.StageRows(request, interrupted);
		return true;
	});
}

std::vector<std::string> RemoteDatabase::PrepareStagedParts(ClientContext &context, const std::string &upload_id,
                                                            uint32_t first_part, uint32_t count) {
	if (!presigned_staging) {
		return {};
	}
	PrepareStagedPartsRequest request;
	request.database = parameters.database;
	request.upload_id = upload_id;
	request.first_part = first_part;
	request.count = count;
	auto client = Acquire();
	PrepareStagedPartsResponse response;
	try {
		response = client->PrepareStagedParts(request, [&context]() { return context.interrupted.load(); });
	} catch (RemoteError &error) {
		if (error.code != "unimplemented") {
			ThrowRemoteError(error, parameters);
		}
		// The server keeps its objects where this client cannot reach them: parts go through StageRows.
		presigned_staging = false;
		Release(std::move(client));
		return {};
	}
	Release(std::move(client));
	if (response.urls.size() != count) {
		throw IOException("openduck: the server answered %d staging URLs for %d parts", response.urls.size(), count);
	}
	return std::move(response.urls);
}

void RemoteDatabase::PutStagedPart(ClientContext &context, ObjectClient &objects, const std::string &url,
                                   const std::string &part) {
	try {
		objects.Put(url, part, [&context]() { return context.interrupted.load(); });
	} catch (RemoteError &error) {
		ThrowRemoteError(error, parameters);
	}
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
