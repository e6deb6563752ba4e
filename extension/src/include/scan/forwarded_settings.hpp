//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// scan/forwarded_settings.hpp
//
// The caller's session settings that change what SQL answers, sent along with remote SQL.
//===----------------------------------------------------------------------===//

#pragma once

#include "remote/execution_messages.hpp"

#include "duckdb/main/client_context.hpp"

namespace openduck {

//! Request options carrying the session's TimeZone and Calendar (where ICU defines them), so that remote SQL
//! answers as it would in this session: `ts::DATE` of a TIMESTAMPTZ, date_trunc, strftime and the like depend on
//! them. The server applies them to the statement's own connection only.
QueryOptions ForwardedQueryOptions(duckdb::ClientContext &context);

//! Whether the session changed a setting that alters what SQL answers but is not forwarded (default_order,
//! default_null_order, default_collation, integer_division, …): then remote SQL would answer differently than the
//! same SQL here, so whole statements stay local.
bool ChangedUnforwardedSettings(duckdb::ClientContext &context);

} // namespace openduck
