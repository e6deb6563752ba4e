#include "paged/paged_storage_extension.hpp"

#include "paged/paged_file_system.hpp"

#include "duckdb/catalog/duck_catalog.hpp"
#include "duckdb/common/string_util.hpp"
#include "duckdb/parser/parsed_data/attach_info.hpp"
#include "duckdb/transaction/duck_transaction_manager.hpp"

namespace openduck {

using namespace duckdb;

static unique_ptr<Catalog> AttachPaged(optional_ptr<StorageExtensionInfo>, ClientContext &, AttachedDatabase &db,
                                       const string &, AttachInfo &info, AttachOptions &) {
	// AttachedDatabase builds its storage manager from info.path once this returns a DuckCatalog. With an explicit
	// `TYPE odpages` the prefix was never stripped.
	if (!StringUtil::StartsWith(info.path, PagedFileSystem::PREFIX)) {
		info.path = PagedFileSystem::PREFIX + info.path;
	}
	return make_uniq<DuckCatalog>(db);
}

static unique_ptr<TransactionManager> CreateTransactionManager(optional_ptr<StorageExtensionInfo>, AttachedDatabase &db,
                                                               Catalog &) {
	return make_uniq<DuckTransactionManager>(db);
}

PagedStorageExtension::PagedStorageExtension() {
	attach = AttachPaged;
	create_transaction_manager = CreateTransactionManager;
}

} // namespace openduck
