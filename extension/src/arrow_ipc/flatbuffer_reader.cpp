#include "arrow_ipc/flatbuffer_reader.hpp"

#include "duckdb/common/exception.hpp"
#include "utf8proc_wrapper.hpp"

namespace openduck {

using duckdb::InvalidInputException;

namespace {

template <class T>
T Load(const uint8_t *data, uint64_t position) {
	T value;
	memcpy(&value, data + position, sizeof(T));
	return value;
}

[[noreturn]] void ThrowOutOfBounds(const char *what, uint64_t position, uint32_t size) {
	throw InvalidInputException("Arrow IPC: malformed message metadata (%s at byte %d of %d lies outside it)", what,
	                            position, size);
}

//! Checks that `[position, position + length)` lies inside a buffer of `size` bytes.
void CheckRange(const char *what, uint64_t position, uint64_t length, uint32_t size) {
	if (position > size || length > size - position) {
		ThrowOutOfBounds(what, position, size);
	}
}

//! The position the unsigned offset stored at `position` (already checked to lie inside the buffer) points to.
uint32_t Follow(const uint8_t *data, uint32_t size, uint32_t position) {
	auto target = uint64_t(position) + Load<uint32_t>(data, position);
	CheckRange("offset target", target, 0, size);
	return uint32_t(target);
}

} // namespace

FlatTableView FlatTableView::Root(const uint8_t *data, uint32_t size) {
	CheckRange("root offset", 0, sizeof(uint32_t), size);
	return FlatTableView(data, size, Load<uint32_t>(data, 0));
}

FlatTableView::FlatTableView(const uint8_t *data_p, uint32_t size_p, uint32_t position)
    : data(data_p), size(size_p), table(position) {
	CheckRange("table", table, sizeof(int32_t), size);
	// soffset_t: the vtable lives at table - value, before or after the table.
	auto vtable_position = int64_t(table) - Load<int32_t>(data, table);
	if (vtable_position < 0) {
		ThrowOutOfBounds("vtable", 0, size);
	}
	CheckRange("vtable", uint64_t(vtable_position), 2 * sizeof(uint16_t), size);
	vtable = uint32_t(vtable_position);
	vtable_size = Load<uint16_t>(data, vtable);
	table_size = Load<uint16_t>(data, vtable + sizeof(uint16_t));
	if (vtable_size < 2 * sizeof(uint16_t) || table_size < sizeof(int32_t)) {
		throw InvalidInputException("Arrow IPC: malformed message metadata (a table at byte %d has an invalid vtable)",
		                            table);
	}
	CheckRange("vtable", vtable, vtable_size, size);
	CheckRange("table", table, table_size, size);
}

uint32_t FlatTableView::FieldPosition(uint16_t field_id, uint32_t value_size) const {
	auto slot = 2 * sizeof(uint16_t) + sizeof(uint16_t) * uint32_t(field_id);
	if (slot + sizeof(uint16_t) > vtable_size) {
		return 0;
	}
	auto offset = Load<uint16_t>(data, vtable + slot);
	if (offset == 0) {
		return 0;
	}
	// Fields follow the table's own soffset and lie inside the table.
	if (offset < sizeof(int32_t) || uint32_t(offset) + value_size > table_size) {
		throw InvalidInputException("Arrow IPC: malformed message metadata (field %d of the table at byte %d lies "
		                            "outside the table)",
		                            field_id, table);
	}
	return table + offset;
}

bool FlatTableView::Has(uint16_t field_id) const {
	return FieldPosition(field_id, 0) != 0;
}

std::string FlatTableView::String(uint16_t field_id) const {
	auto position = FieldPosition(field_id, sizeof(uint32_t));
	if (position == 0) {
		return std::string();
	}
	auto string = Follow(data, size, position);
	CheckRange("string", string, sizeof(uint32_t), size);
	auto length = Load<uint32_t>(data, string);
	CheckRange("string", uint64_t(string) + sizeof(uint32_t), length, size);
	auto text = reinterpret_cast<const char *>(data) + string + sizeof(uint32_t);
	// FlatBuffers strings are UTF-8; names and metadata end up in DuckDB (and in messages) as they are.
	if (!duckdb::Utf8Proc::IsValid(text, length)) {
		throw InvalidInputException("Arrow IPC: malformed message metadata (the string at byte %d is not UTF-8)",
		                            string);
	}
	return std::string(text, length);
}

FlatTableView FlatTableView::Table(uint16_t field_id) const {
	auto position = FieldPosition(field_id, sizeof(uint32_t));
	if (position == 0) {
		return FlatTableView();
	}
	return FlatTableView(data, size, Follow(data, size, position));
}

FlatVectorView FlatTableView::Vector(uint16_t field_id, uint32_t element_size) const {
	auto position = FieldPosition(field_id, sizeof(uint32_t));
	if (position == 0) {
		return FlatVectorView();
	}
	auto vector = Follow(data, size, position);
	CheckRange("vector", vector, sizeof(uint32_t), size);
	auto count = Load<uint32_t>(data, vector);
	CheckRange("vector", uint64_t(vector) + sizeof(uint32_t), uint64_t(count) * element_size, size);
	return FlatVectorView(*this, vector + uint32_t(sizeof(uint32_t)), count, element_size);
}

FlatVectorView::FlatVectorView(const FlatTableView &owner, uint32_t start_p, uint32_t count_p,
                               uint32_t element_size_p)
    : data(owner.data), size(owner.size), start(start_p), count(count_p), element_size(element_size_p) {
}

void FlatVectorView::CheckIndex(uint32_t index, uint32_t read_size) const {
	if (index >= count || read_size > element_size) {
		throw duckdb::InternalException("Arrow IPC: vector element %d (%d bytes) read beyond a vector of %d", index,
		                                read_size, count);
	}
}

FlatTableView FlatVectorView::Table(uint32_t index) const {
	CheckIndex(index, sizeof(uint32_t));
	return FlatTableView(data, size, Follow(data, size, start + index * element_size));
}

} // namespace openduck
