#include "common/json_writer.hpp"

#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace openduck {

void JsonWriter::BeforeValue() {
	if (after_key) {
		after_key = false;
		return;
	}
	if (!has_element.empty()) {
		if (has_element.back()) {
			out += ',';
		}
		has_element.back() = true;
	}
}

void JsonWriter::AppendEscaped(const std::string &value) {
	out += '"';
	for (unsigned char c : value) {
		switch (c) {
		case '"':
			out += "\\\"";
			break;
		case '\\':
			out += "\\\\";
			break;
		case '\n':
			out += "\\n";
			break;
		case '\r':
			out += "\\r";
			break;
		case '\t':
			out += "\\t";
			break;
		default:
			if (c < 0x20) {
				char escaped[8];
				snprintf(escaped, sizeof(escaped), "\\u%04x", c);
				out += escaped;
			} else {
				// Bytes >= 0x80 are passed through: DuckDB identifiers and type names are UTF-8.
				out += static_cast<char>(c);
			}
		}
	}
	out += '"';
}

JsonWriter &JsonWriter::StartObject() {
	BeforeValue();
	out += '{';
	has_element.push_back(false);
	return *this;
}

JsonWriter &JsonWriter::EndObject() {
	out += '}';
	has_element.pop_back();
	return *this;
}

JsonWriter &JsonWriter::StartArray() {
	BeforeValue();
	out += '[';
	has_element.push_back(false);
	return *this;
}

JsonWriter &JsonWriter::EndArray() {
	out += ']';
	has_element.pop_back();
	return *this;
}

JsonWriter &JsonWriter::Key(const std::string &key) {
	BeforeValue();
	AppendEscaped(key);
	out += ':';
	after_key = true;
	return *this;
}

JsonWriter &JsonWriter::String(const std::string &value) {
	BeforeValue();
	AppendEscaped(value);
	return *this;
}

JsonWriter &JsonWriter::Int(int64_t value) {
	BeforeValue();
	out += std::to_string(value);
	return *this;
}

JsonWriter &JsonWriter::UInt(uint64_t value) {
	BeforeValue();
	out += std::to_string(value);
	return *this;
}

JsonWriter &JsonWriter::Double(double value) {
	BeforeValue();
	if (!std::isfinite(value)) {
		out += "-1";
		return *this;
	}
	char formatted[32];
	snprintf(formatted, sizeof(formatted), "%.2f", value);
	out += formatted;
	return *this;
}

} // namespace openduck
