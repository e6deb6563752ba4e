#include "remote/json_reader.hpp"

#include <cstring>

namespace openduck {

static constexpr int MAX_DEPTH = 64;

namespace {

class JsonParser {
public:
	explicit JsonParser(const std::string &text) : pos(text.data()), end(text.data() + text.size()) {
	}

	JsonValue ParseDocument() {
		JsonValue value = ParseValue(0);
		SkipWhitespace();
		if (pos != end) {
			Fail("unexpected text after the value");
		}
		return value;
	}

private:
	[[noreturn]] void Fail(const char *what) {
		throw JsonError(std::string("invalid JSON: ") + what);
	}

	void SkipWhitespace() {
		while (pos != end && (*pos == ' ' || *pos == '\t' || *pos == '\n' || *pos == '\r')) {
			pos++;
		}
	}

	bool Consume(char c) {
		SkipWhitespace();
		if (pos != end && *pos == c) {
			pos++;
			return true;
		}
		return false;
	}

	void Expect(char c) {
		if (!Consume(c)) {
			Fail("unexpected character");
		}
	}

	bool ConsumeLiteral(const char *literal) {
		size_t length = std::strlen(literal);
		if (static_cast<size_t>(end - pos) >= length && std::memcmp(pos, literal, length) == 0) {
			pos += length;
			return true;
		}
		return false;
	}

	JsonValue ParseValue(int depth) {
		if (depth > MAX_DEPTH) {
			Fail("nested too deeply");
		}
		SkipWhitespace();
		if (pos == end) {
			Fail("unexpected end");
		}
		JsonValue value;
		if (*pos == '{') {
			pos++;
			value.type = JsonValue::Type::OBJECT;
			if (Consume('}')) {
				return value;
			}
			do {
				SkipWhitespace();
				std::string key = ParseString();
				Expect(':');
				value.members.emplace_back(std::move(key), ParseValue(depth + 1));
			} while (Consume(','));
			Expect('}');
		} else if (*pos == '[') {
			pos++;
			value.type = JsonValue::Type::ARRAY;
			if (Consume(']')) {
				return value;
			}
			do {
				value.items.push_back(ParseValue(depth + 1));
			} while (Consume(','));
			Expect(']');
		} else if (*pos == '"') {
			value.type = JsonValue::Type::STRING;
			value.text = ParseString();
		} else if (ConsumeLiteral("true")) {
			value.type = JsonValue::Type::BOOLEAN;
			value.boolean = true;
		} else if (ConsumeLiteral("false")) {
			value.type = JsonValue::Type::BOOLEAN;
		} else if (ConsumeLiteral("null")) {
			value.type = JsonValue::Type::NUL;
		} else {
			value.type = JsonValue::Type::NUMBER;
			value.text = ParseNumber();
		}
		return value;
	}

	bool AtDigit() const {
		return pos != end && *pos >= '0' && *pos <= '9';
	}

	void Digits() {
		if (!AtDigit()) {
			Fail("malformed number");
		}
		while (AtDigit()) {
			pos++;
		}
	}

	std::string ParseNumber() {
		const char *start = pos;
		if (pos != end && *pos == '-') {
			pos++;
		}
		if (pos != end && *pos == '0') {
			pos++;
		} else {
			Digits();
		}
		if (pos != end && *pos == '.') {
			pos++;
			Digits();
		}
		if (pos != end && (*pos == 'e' || *pos == 'E')) {
			pos++;
			if (pos != end && (*pos == '+' || *pos == '-')) {
				pos++;
			}
			Digits();
		}
		return std::string(start, pos);
	}

	uint32_t ParseHex4() {
		if (end - pos < 4) {
			Fail("truncated \\u escape");
		}
		uint32_t value = 0;
		for (int i = 0; i < 4; i++) {
			char c = *pos++;
			value <<= 4;
			if (c >= '0' && c <= '9') {
				value |= c - '0';
			} else if (c >= 'a' && c <= 'f') {
				value |= c - 'a' + 10;
			} else if (c >= 'A' && c <= 'F') {
				value |= c - 'A' + 10;
			} else {
				Fail("malformed \\u escape");
			}
		}
		return value;
	}

	static void AppendUtf8(std::string &out, uint32_t code_point) {
		if (code_point < 0x80) {
			out += static_cast<char>(code_point);
		} else if (code_point < 0x800) {
			out += static_cast<char>(0xC0 | (code_point >> 6));
			out += static_cast<char>(0x80 | (code_point & 0x3F));
		} else if (code_point < 0x10000) {
			out += static_cast<char>(0xE0 | (code_point >> 12));
			out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
			out += static_cast<char>(0x80 | (code_point & 0x3F));
		} else {
			out += static_cast<char>(0xF0 | (code_point >> 18));
			out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
			out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
			out += static_cast<char>(0x80 | (code_point & 0x3F));
		}
	}

	//! A \u escape; a surrogate pair is two of them. A lone surrogate becomes U+FFFD.
	uint32_t ParseUnicodeEscape() {
		uint32_t code_point = ParseHex4();
		if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
			return 0xFFFD;
		}
		if (code_point >= 0xD800 && code_point <= 0xDBFF) {
			if (end - pos >= 6 && pos[0] == '\\' && pos[1] == 'u') {
				const char *low_start = pos;
				pos += 2;
				uint32_t low = ParseHex4();
				if (low >= 0xDC00 && low <= 0xDFFF) {
					return 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
				}
				// Not a low surrogate: leave it to be read as an escape of its own.
				pos = low_start;
			}
			return 0xFFFD;
		}
		return code_point;
	}

	std::string ParseString() {
		if (pos == end || *pos != '"') {
			Fail("expected a string");
		}
		pos++;
		std::string out;
		while (true) {
			if (pos == end) {
				Fail("unterminated string");
			}
			auto c = static_cast<unsigned char>(*pos++);
			if (c == '"') {
				return out;
			}
			if (c < 0x20) {
				Fail("control character in a string");
			}
			if (c != '\\') {
				out += static_cast<char>(c);
				continue;
			}
			if (pos == end) {
				Fail("unterminated string");
			}
			char escape = *pos++;
			switch (escape) {
			case '"':
			case '\\':
			case '/':
				out += escape;
				break;
			case 'b':
				out += '\b';
				break;
			case 'f':
				out += '\f';
				break;
			case 'n':
				out += '\n';
				break;
			case 'r':
				out += '\r';
				break;
			case 't':
				out += '\t';
				break;
			case 'u':
				AppendUtf8(out, ParseUnicodeEscape());
				break;
			default:
				Fail("unknown escape in a string");
			}
		}
	}

	const char *pos;
	const char *end;
};

} // namespace

JsonValue JsonValue::Parse(const std::string &text) {
	return JsonParser(text).ParseDocument();
}

const JsonValue *JsonValue::Find(const std::string &key) const {
	const JsonValue *found = nullptr;
	for (auto &member : members) {
		if (member.first == key) {
			found = &member.second;
		}
	}
	return found;
}

std::string JsonValue::FindString(const std::string &key) const {
	auto value = Find(key);
	return value && value->type == Type::STRING ? value->text : std::string();
}

} // namespace openduck
