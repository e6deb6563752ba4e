//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// storage/openduck_storage_extension.hpp
//
// `ATTACH 'openduck:NAME?…'` (or `od:`): a remote OpenDuck database as a DuckDB catalog.
//===----------------------------------------------------------------------===//

#pragma once

#include "duckdb/storage/storage_extension.hpp"

namespace openduck {

class OpenDuckStorageExtension : public duckdb::StorageExtension {
public:
	OpenDuckStorageExtension();

	//! The attach prefixes, registered as storage extension names.
	static constexpr const char *NAME = "openduck";
	static constexpr const char *SHORT_NAME = "od";
};

} // namespace openduck
