//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// remote/json_reader.hpp
//
// Parses the small JSON documents of the Connect protocol: error bodies and end-of-stream messages.
//===----------------------------------------------------------------------===//

#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace openduck {

//! Text that is not one well-formed JSON value.
class JsonError : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

//! A parsed JSON value. Strings are decoded to UTF-8; numbers keep their source text (Connect's documents carry
//! none this client reads).
struct JsonValue {
	enum class Type : uint8_t { NUL, BOOLEAN, NUMBER, STRING, ARRAY, OBJECT };

	Type type = Type::NUL;
	bool boolean = false;
	//! A STRING's value, or a NUMBER's text.
	std::string text;
	std::vector<JsonValue> items;
	std::vector<std::pair<std::string, JsonValue>> members;

	//! Parses `text` (RFC 8259; nesting is limited to 64 levels); throws JsonError.
	static JsonValue Parse(const std::string &text);

	//! An OBJECT's member named `key` (the last one if repeated), or nullptr.
	const JsonValue *Find(const std::string &key) const;
	//! The member `key` if it is a string, otherwise "".
	std::string FindString(const std::string &key) const;
};

} // namespace openduck
