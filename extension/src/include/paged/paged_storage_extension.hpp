//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// paged/paged_storage_extension.hpp
//
// Lets `ATTACH 'odpages:<p>'` open a DuckDB database through the `odpages:` file system.
//===----------------------------------------------------------------------===//

#pragma once

#include "duckdb/storage/storage_extension.hpp"

namespace openduck {

//! DuckDB's ATTACH reads `name:` at the start of a path as a storage type and strips it (`sqlite:x.db`), so
//! `ATTACH 'odpages:<p>'` asks for a storage extension called `odpages` and no longer carries the prefix. This one
//! puts the prefix back and attaches an ordinary DuckDB database (DuckCatalog, DuckTransactionManager, single-file
//! storage) on the prefixed path, whose files the PagedFileSystem then serves.
class PagedStorageExtension : public duckdb::StorageExtension {
public:
	static constexpr const char *NAME = "odpages";

	PagedStorageExtension();
};

} // namespace openduck
