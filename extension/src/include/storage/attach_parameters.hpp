//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// storage/attach_parameters.hpp
//
// What `ATTACH 'openduck:NAME?endpoint=…&token=…&snapshot=…'` asks for, validated.
//===----------------------------------------------------------------------===//

#pragma once

#include "duckdb/main/attached_database.hpp"

namespace openduck {

struct AttachParameters {
	//! The remote database's name.
	std::string database;
	//! Where the OpenDuck gateway answers, e.g. http://127.0.0.1:7878 (no trailing slash).
	std::string endpoint;
	//! Bearer token; never shown (see Describe).
	std::string token;
	//! A snapshot id or name to read at; empty for the head. A snapshot attach is read-only.
	std::string snapshot;
	bool read_only = false;

	//! Parses the path DuckDB passes after stripping the `openduck:`/`od:` prefix. Parameters missing from the path
	//! come from $OPENDUCK_ENDPOINT (else http://localhost:7878) and $OPENDUCK_TOKEN. Throws a BinderException
	//! naming the problem for unknown parameters, a bad database name, a missing token or ATTACH options it does
	//! not understand.
	static AttachParameters Parse(const std::string &path, duckdb::AttachOptions &options);

	//! The attach path without the token, for duckdb_databases() and error messages.
	std::string Describe() const;
};

} // namespace openduck
