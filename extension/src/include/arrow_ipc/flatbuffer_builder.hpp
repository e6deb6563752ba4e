//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// arrow_ipc/flatbuffer_builder.hpp
//
// A minimal FlatBuffers writer for the handful of Arrow IPC metadata tables.
//===----------------------------------------------------------------------===//

#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace openduck {

//! A FlatBuffers table being assembled. Scalars are kept by value; strings, vectors and sub-tables are kept as
//! children and laid out after their parent when the buffer is finished, so every unsigned offset points forward
//! as the format requires. Field ids are the zero-based declaration order in the .fbs schema, where a union field
//! takes two ids (its type tag, then its value).
class FlatTable {
public:
	FlatTable();
	~FlatTable();
	FlatTable(FlatTable &&other) noexcept;
	FlatTable &operator=(FlatTable &&other) noexcept;

	void AddBool(uint16_t field_id, bool value);
	void AddUInt8(uint16_t field_id, uint8_t value);
	void AddInt16(uint16_t field_id, int16_t value);
	void AddInt32(uint16_t field_id, int32_t value);
	void AddInt64(uint16_t field_id, int64_t value);

	void AddString(uint16_t field_id, std::string value);
	void AddTable(uint16_t field_id, FlatTable table);
	void AddTableVector(uint16_t field_id, std::vector<FlatTable> tables);
	void AddInt32Vector(uint16_t field_id, const std::vector<int32_t> &values);
	void AddInt64Vector(uint16_t field_id, const std::vector<int64_t> &values);
	//! A vector of structs whose members are all 8-byte scalars (Arrow's FieldNode and Buffer).
	void AddInt64StructVector(uint16_t field_id, const std::vector<int64_t> &members, uint32_t members_per_struct);

	//! Serializes `root` into a complete FlatBuffer (root offset first). The result is meant to be placed at an
	//! 8-byte aligned address: all 8-byte scalars are aligned relative to its start.
	static std::string Finish(const FlatTable &root);

private:
	struct Scalar {
		uint16_t field_id;
		uint8_t size;
		uint64_t bits;
	};
	struct Child;
	class Serializer;

	void AddScalar(uint16_t field_id, uint8_t size, uint64_t bits);
	void AddChild(uint16_t field_id, std::unique_ptr<Child> child);

	std::vector<Scalar> scalars;
	std::vector<std::unique_ptr<Child>> children;
};

} // namespace openduck
