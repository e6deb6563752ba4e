#include "arrow_ipc/flatbuffer_builder.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace openduck {

struct FlatTable::Child {
	enum class Kind { STRING, TABLE, TABLE_VECTOR, SCALAR_VECTOR };

	uint16_t field_id = 0;
	Kind kind = Kind::STRING;
	//! STRING: the characters; SCALAR_VECTOR: the little-endian element bytes.
	std::string bytes;
	uint32_t element_count = 0;
	uint8_t element_alignment = 1;
	std::vector<FlatTable> tables;
};

FlatTable::FlatTable() = default;
FlatTable::~FlatTable() = default;
FlatTable::FlatTable(FlatTable &&other) noexcept = default;
FlatTable &FlatTable::operator=(FlatTable &&other) noexcept = default;

void FlatTable::AddScalar(uint16_t field_id, uint8_t size, uint64_t bits) {
	scalars.push_back(Scalar {field_id, size, bits});
}

void FlatTable::AddChild(uint16_t field_id, std::unique_ptr<Child> child) {
	child->field_id = field_id;
	children.push_back(std::move(child));
}

void FlatTable::AddBool(uint16_t field_id, bool value) {
	AddScalar(field_id, 1, value ? 1 : 0);
}

void FlatTable::AddUInt8(uint16_t field_id, uint8_t value) {
	AddScalar(field_id, 1, value);
}

void FlatTable::AddInt16(uint16_t field_id, int16_t value) {
	AddScalar(field_id, 2, static_cast<uint16_t>(value));
}

void FlatTable::AddInt32(uint16_t field_id, int32_t value) {
	AddScalar(field_id, 4, static_cast<uint32_t>(value));
}

void FlatTable::AddInt64(uint16_t field_id, int64_t value) {
	AddScalar(field_id, 8, static_cast<uint64_t>(value));
}

void FlatTable::AddString(uint16_t field_id, std::string value) {
	auto child = std::unique_ptr<Child>(new Child());
	child->kind = Child::Kind::STRING;
	child->bytes = std::move(value);
	AddChild(field_id, std::move(child));
}

void FlatTable::AddTable(uint16_t field_id, FlatTable table) {
	auto child = std::unique_ptr<Child>(new Child());
	child->kind = Child::Kind::TABLE;
	child->tables.push_back(std::move(table));
	AddChild(field_id, std::move(child));
}

void FlatTable::AddTableVector(uint16_t field_id, std::vector<FlatTable> tables) {
	auto child = std::unique_ptr<Child>(new Child());
	child->kind = Child::Kind::TABLE_VECTOR;
	child->tables = std::move(tables);
	AddChild(field_id, std::move(child));
}

void FlatTable::AddInt32Vector(uint16_t field_id, const std::vector<int32_t> &values) {
	auto child = std::unique_ptr<Child>(new Child());
	child->kind = Child::Kind::SCALAR_VECTOR;
	child->bytes.assign(reinterpret_cast<const char *>(values.data()), values.size() * sizeof(int32_t));
	child->element_count = static_cast<uint32_t>(values.size());
	child->element_alignment = sizeof(int32_t);
	AddChild(field_id, std::move(child));
}

void FlatTable::AddInt64Vector(uint16_t field_id, const std::vector<int64_t> &values) {
	AddInt64StructVector(field_id, values, 1);
}

void FlatTable::AddInt64StructVector(uint16_t field_id, const std::vector<int64_t> &members,
                                     uint32_t members_per_struct) {
	auto child = std::unique_ptr<Child>(new Child());
	child->kind = Child::Kind::SCALAR_VECTOR;
	child->bytes.assign(reinterpret_cast<const char *>(members.data()), members.size() * sizeof(int64_t));
	child->element_count = static_cast<uint32_t>(members.size() / members_per_struct);
	child->element_alignment = sizeof(int64_t);
	AddChild(field_id, std::move(child));
}

// The host is little-endian (linux x86_64/arm64), which is also FlatBuffers' and Arrow's wire order, so values are
// copied as they are in memory.
class FlatTable::Serializer {
public:
	std::string out;

	size_t Reserve(size_t size) {
		auto position = out.size();
		out.append(size, '\0');
		return position;
	}

	//! Pads so that `out.size() + prefix` is a multiple of `alignment` (the data after a `prefix`-byte header).
	void Align(size_t alignment, size_t prefix = 0) {
		while ((out.size() + prefix) % alignment != 0) {
			out.push_back('\0');
		}
	}

	template <class T>
	void Put(size_t position, T value) {
		memcpy(&out[position], &value, sizeof(T));
	}

	void PatchOffset(size_t slot, size_t target) {
		// uoffset_t is unsigned: targets are always written after the slot that refers to them.
		Put<uint32_t>(slot, static_cast<uint32_t>(target - slot));
	}

	size_t WriteTable(const FlatTable &table) {
		struct Slot {
			uint16_t field_id;
			uint8_t size;
			uint32_t offset;
			const Scalar *scalar;
			const Child *child;
		};
		std::vector<Slot> slots;
		uint32_t field_count = 0;
		for (auto &scalar : table.scalars) {
			slots.push_back(Slot {scalar.field_id, scalar.size, 0, &scalar, nullptr});
		}
		for (auto &child : table.children) {
			slots.push_back(Slot {child->field_id, 4, 0, nullptr, child.get()});
		}
		for (auto &slot : slots) {
			field_count = std::max<uint32_t>(field_count, slot.field_id + 1u);
		}
		// Largest first keeps padding inside the table minimal; every slot ends up naturally aligned because the
		// table itself starts at a multiple of the largest slot size.
		std::stable_sort(slots.begin(), slots.end(), [](const Slot &a, const Slot &b) { return a.size > b.size; });
		uint32_t table_size = sizeof(int32_t);
		size_t table_alignment = sizeof(int32_t);
		for (auto &slot : slots) {
			table_size = (table_size + slot.size - 1) / slot.size * slot.size;
			slot.offset = table_size;
			table_size += slot.size;
			table_alignment = std::max<size_t>(table_alignment, slot.size);
		}
		auto vtable_size = static_cast<uint16_t>(sizeof(uint16_t) * (2 + field_count));

		Align(sizeof(uint16_t));
		auto vtable = Reserve(vtable_size);
		Align(table_alignment);
		auto table_start = Reserve(table_size);

		// soffset_t: the vtable lives at table_start - value.
		Put<int32_t>(table_start, static_cast<int32_t>(table_start - vtable));
		Put<uint16_t>(vtable, vtable_size);
		Put<uint16_t>(vtable + sizeof(uint16_t), static_cast<uint16_t>(table_size));
		for (auto &slot : slots) {
			Put<uint16_t>(vtable + sizeof(uint16_t) * (2 + slot.field_id), static_cast<uint16_t>(slot.offset));
			if (slot.scalar) {
				memcpy(&out[table_start + slot.offset], &slot.scalar->bits, slot.size);
			}
		}
		for (auto &slot : slots) {
			if (slot.child) {
				PatchOffset(table_start + slot.offset, WriteChild(*slot.child));
			}
		}
		return table_start;
	}

	size_t WriteChild(const Child &child) {
		switch (child.kind) {
		case Child::Kind::STRING: {
			Align(sizeof(uint32_t));
			// Length prefix, bytes, and the terminating NUL that FlatBuffers strings carry.
			auto position = Reserve(sizeof(uint32_t) + child.bytes.size() + 1);
			Put<uint32_t>(position, static_cast<uint32_t>(child.bytes.size()));
			memcpy(&out[position + sizeof(uint32_t)], child.bytes.data(), child.bytes.size());
			return position;
		}
		case Child::Kind::TABLE:
			return WriteTable(child.tables[0]);
		case Child::Kind::TABLE_VECTOR: {
			Align(sizeof(uint32_t));
			auto position = Reserve(sizeof(uint32_t) * (1 + child.tables.size()));
			Put<uint32_t>(position, static_cast<uint32_t>(child.tables.size()));
			for (size_t i = 0; i < child.tables.size(); i++) {
				PatchOffset(position + sizeof(uint32_t) * (1 + i), WriteTable(child.tables[i]));
			}
			return position;
		}
		case Child::Kind::SCALAR_VECTOR: {
			Align(child.element_alignment, sizeof(uint32_t));
			auto position = Reserve(sizeof(uint32_t) + child.bytes.size());
			Put<uint32_t>(position, child.element_count);
			memcpy(&out[position + sizeof(uint32_t)], child.bytes.data(), child.bytes.size());
			return position;
		}
		}
		throw std::logic_error("unknown FlatBuffers child kind");
	}
};

std::string FlatTable::Finish(const FlatTable &root) {
	Serializer serializer;
	serializer.Reserve(sizeof(uint32_t));
	serializer.PatchOffset(0, serializer.WriteTable(root));
	return std::move(serializer.out);
}

} // namespace openduck
