#include "remote/proto_wire.hpp"

#include <cstring>

namespace openduck {

//! Field numbers are 29 bits wide.
static constexpr uint32_t MAX_FIELD_NUMBER = (1u << 29) - 1;

void ProtoWriter::Tag(uint32_t field, WireType type) {
	Varint((static_cast<uint64_t>(field) << 3) | static_cast<uint8_t>(type));
}

void ProtoWriter::Varint(uint64_t value) {
	while (value >= 0x80) {
		out += static_cast<char>((value & 0x7F) | 0x80);
		value >>= 7;
	}
	out += static_cast<char>(value);
}

void ProtoWriter::VarintField(uint32_t field, uint64_t value) {
	Tag(field, WireType::VARINT);
	Varint(value);
}

void ProtoWriter::BytesField(uint32_t field, const std::string &value) {
	Tag(field, WireType::LEN);
	Varint(value.size());
	out += value;
}

void ProtoWriter::DoubleField(uint32_t field, double value) {
	static_assert(sizeof(double) == sizeof(uint64_t), "double must be IEEE 754 binary64");
	uint64_t bits;
	std::memcpy(&bits, &value, sizeof(bits));
	Tag(field, WireType::I64);
	for (int i = 0; i < 8; i++) {
		out += static_cast<char>(bits >> (8 * i));
	}
}

ProtoReader::ProtoReader(const char *data, size_t size) : pos(data), end(data + size) {
}

bool ProtoReader::Next() {
	if (pos == end) {
		return false;
	}
	uint64_t tag = RawVarint();
	uint64_t number = tag >> 3;
	if (number == 0 || number > MAX_FIELD_NUMBER) {
		throw ProtoError("invalid field number " + std::to_string(number));
	}
	field = static_cast<uint32_t>(number);
	switch (tag & 7) {
	case 0:
	case 1:
	case 2:
	case 5:
		type = static_cast<WireType>(tag & 7);
		return true;
	default:
		throw ProtoError("unsupported wire type " + std::to_string(tag & 7) + " for field " + std::to_string(field));
	}
}

void ProtoReader::Expect(WireType expected) const {
	if (type != expected) {
		throw ProtoError("field " + std::to_string(field) + " has wire type " +
		                 std::to_string(static_cast<int>(type)) + ", expected " +
		                 std::to_string(static_cast<int>(expected)));
	}
}

const char *ProtoReader::Take(size_t count) {
	if (count > static_cast<size_t>(end - pos)) {
		throw ProtoError("truncated message");
	}
	const char *start = pos;
	pos += count;
	return start;
}

uint64_t ProtoReader::RawVarint() {
	uint64_t value = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		auto byte = static_cast<uint8_t>(*Take(1));
		// The tenth byte holds bit 63 only.
		if (shift == 63 && byte > 1) {
			throw ProtoError("varint overflows 64 bits");
		}
		value |= static_cast<uint64_t>(byte & 0x7F) << shift;
		if (byte < 0x80) {
			return value;
		}
	}
	throw ProtoError("varint longer than 10 bytes");
}

uint64_t ProtoReader::ReadVarint() {
	Expect(WireType::VARINT);
	return RawVarint();
}

bool ProtoReader::ReadBool() {
	return ReadVarint() != 0;
}

int32_t ProtoReader::ReadInt32() {
	// Negative int32 values are sign-extended to 64 bits on the wire; the low 32 bits are the value.
	return static_cast<int32_t>(static_cast<uint32_t>(ReadVarint()));
}

double ProtoReader::ReadDouble() {
	Expect(WireType::I64);
	auto bytes = reinterpret_cast<const uint8_t *>(Take(8));
	uint64_t bits = 0;
	for (int i = 0; i < 8; i++) {
		bits |= static_cast<uint64_t>(bytes[i]) << (8 * i);
	}
	double value;
	std::memcpy(&value, &bits, sizeof(value));
	return value;
}

const char *ProtoReader::TakeLengthDelimited(size_t &length) {
	Expect(WireType::LEN);
	uint64_t value = RawVarint();
	if (value > static_cast<uint64_t>(end - pos)) {
		throw ProtoError("field " + std::to_string(field) + " is longer than the message");
	}
	length = static_cast<size_t>(value);
	return Take(length);
}

std::string ProtoReader::ReadBytes() {
	size_t length;
	const char *start = TakeLengthDelimited(length);
	return std::string(start, length);
}

ProtoReader ProtoReader::ReadMessage() {
	size_t length;
	const char *start = TakeLengthDelimited(length);
	return ProtoReader(start, length);
}

void ProtoReader::Skip() {
	switch (type) {
	case WireType::VARINT:
		RawVarint();
		break;
	case WireType::I64:
		Take(8);
		break;
	case WireType::LEN: {
		size_t length;
		TakeLengthDelimited(length);
		break;
	}
	case WireType::I32:
		Take(4);
		break;
	}
}

} // namespace openduck
