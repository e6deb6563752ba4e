//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// remote/proto_wire.hpp
//
// The protobuf wire format: just enough to encode and decode the messages of proto/openduck/v1/execution.proto.
//===----------------------------------------------------------------------===//

#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace openduck {

//! Bytes that are not a well-formed protobuf encoding of the message being read.
class ProtoError : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

//! How a field's value is laid out on the wire. Groups (3, 4) are deprecated and never used by proto3.
enum class WireType : uint8_t { VARINT = 0, I64 = 1, LEN = 2, I32 = 5 };

//! Appends fields to a message's encoding. Callers leave out proto3 fields that hold their default value.
class ProtoWriter {
public:
	void Tag(uint32_t field, WireType type);
	void Varint(uint64_t value);

	void VarintField(uint32_t field, uint64_t value);
	//! A length-delimited field: bytes, a string or an encoded sub-message.
	void BytesField(uint32_t field, const std::string &value);
	void DoubleField(uint32_t field, double value);

	const std::string &Data() const {
		return out;
	}

private:
	std::string out;
};

//! Reads the fields of one encoded message in order, bounds-checked: anything malformed throws ProtoError.
//! The reader does not own the bytes. Usage: `while (reader.Next()) { switch (reader.Field()) { ... default:
//! reader.Skip(); } }`. Reading a known field with another wire type than the schema's throws, rather than
//! silently treating it as unknown.
class ProtoReader {
public:
	ProtoReader(const char *data, size_t size);

	//! Reads the next field's tag; false at the end of the message.
	bool Next();
	uint32_t Field() const {
		return field;
	}
	WireType Type() const {
		return type;
	}

	uint64_t ReadVarint();
	bool ReadBool();
	int32_t ReadInt32();
	double ReadDouble();
	std::string ReadBytes();
	//! A reader over the embedded message that is the current field's value.
	ProtoReader ReadMessage();
	//! Skips the current field's value, whatever its wire type.
	void Skip();

private:
	void Expect(WireType expected) const;
	uint64_t RawVarint();
	//! Checks that `count` more bytes are there and returns where they start.
	const char *Take(size_t count);
	//! Takes the current LEN field's value.
	const char *TakeLengthDelimited(size_t &length);

	const char *pos;
	const char *end;
	uint32_t field = 0;
	WireType type = WireType::VARINT;
};

} // namespace openduck
