//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// arrow_ipc/flatbuffer_reader.hpp
//
// Bounds-checked read access to the FlatBuffers tables of Arrow IPC metadata.
//===----------------------------------------------------------------------===//

#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace openduck {

class FlatVectorView;

//! A table inside a FlatBuffer (https://flatbuffers.dev/internals/). Every offset and length read from the buffer is
//! checked against it before use, so no input can make a read leave the buffer: violations throw
//! duckdb::InvalidInputException. Field ids are as in FlatTable (flatbuffer_builder.hpp). A default-constructed view
//! is an empty table: every field is absent.
class FlatTableView {
public:
	FlatTableView() = default;

	//! The root table of the FlatBuffer `data[0, size)`.
	static FlatTableView Root(const uint8_t *data, uint32_t size);

	bool Has(uint16_t field_id) const;
	//! A scalar field, or `default_value` when it is absent (FlatBuffers omits fields equal to their default).
	template <class T>
	T Scalar(uint16_t field_id, T default_value) const {
		auto position = FieldPosition(field_id, sizeof(T));
		if (position == 0) {
			return default_value;
		}
		T value;
		memcpy(&value, data + position, sizeof(T));
		return value;
	}
	//! A string field (checked to be UTF-8); empty when absent.
	std::string String(uint16_t field_id) const;
	//! A table field; an empty table when absent.
	FlatTableView Table(uint16_t field_id) const;
	//! A vector field whose elements take `element_size` bytes (4 for tables and strings); empty when absent.
	FlatVectorView Vector(uint16_t field_id, uint32_t element_size) const;

private:
	FlatTableView(const uint8_t *data, uint32_t size, uint32_t position);

	//! Where the `size`-byte value of the field lies in the buffer, or 0 when the field is absent.
	uint32_t FieldPosition(uint16_t field_id, uint32_t size) const;

	const uint8_t *data = nullptr;
	uint32_t size = 0;
	uint32_t table = 0;
	uint32_t vtable = 0;
	uint16_t vtable_size = 0;
	uint16_t table_size = 0;

	friend class FlatVectorView;
};

//! A vector inside a FlatBuffer, of scalars, structs or tables; its extent was checked when the view was made.
class FlatVectorView {
public:
	FlatVectorView() = default;

	uint32_t Size() const {
		return count;
	}
	//! Member of element `index` at byte `member_offset` (0 for a vector of scalars).
	template <class T>
	T Scalar(uint32_t index, uint32_t member_offset = 0) const {
		CheckIndex(index, member_offset + sizeof(T));
		T value;
		memcpy(&value, data + start + index * element_size + member_offset, sizeof(T));
		return value;
	}
	//! Element `index` of a vector of tables.
	FlatTableView Table(uint32_t index) const;

private:
	FlatVectorView(const FlatTableView &owner, uint32_t start, uint32_t count, uint32_t element_size);

	void CheckIndex(uint32_t index, uint32_t read_size) const;

	const uint8_t *data = nullptr;
	uint32_t size = 0;
	uint32_t start = 0;
	uint32_t count = 0;
	uint32_t element_size = 0;

	friend class FlatTableView;
};

} // namespace openduck
