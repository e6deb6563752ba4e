//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// common/json_writer.hpp
//
// Builds the small JSON documents of the `info` column.
//===----------------------------------------------------------------------===//

#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace openduck {

//! Appends JSON tokens to a string, inserting separators itself. Callers are trusted to nest correctly.
class JsonWriter {
public:
	JsonWriter &StartObject();
	JsonWriter &EndObject();
	JsonWriter &StartArray();
	JsonWriter &EndArray();
	JsonWriter &Key(const std::string &key);
	JsonWriter &String(const std::string &value);
	JsonWriter &Int(int64_t value);
	JsonWriter &UInt(uint64_t value);
	//! Non-finite values become -1, the "unknown" of the progress fields.
	JsonWriter &Double(double value);

	const std::string &Result() const {
		return out;
	}

private:
	void BeforeValue();
	void AppendEscaped(const std::string &value);

	std::string out;
	//! One entry per open object/array: whether it already holds an element.
	std::vector<bool> has_element;
	bool after_key = false;
};

} // namespace openduck
