//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// arrow_ipc/ipc_format.hpp
//
// Constants of the Arrow IPC format (format/Schema.fbs and format/Message.fbs of the Arrow repository).
//===----------------------------------------------------------------------===//

#pragma once

#include <cstdint>

namespace openduck {
namespace ipc_format {

//! Member indexes of Schema.fbs' `union Type` (0 is NONE).
enum TypeId : uint8_t {
	TYPE_NULL = 1,
	TYPE_INT = 2,
	TYPE_FLOATING_POINT = 3,
	TYPE_BINARY = 4,
	TYPE_UTF8 = 5,
	TYPE_BOOL = 6,
	TYPE_DECIMAL = 7,
	TYPE_DATE = 8,
	TYPE_TIME = 9,
	TYPE_TIMESTAMP = 10,
	TYPE_INTERVAL = 11,
	TYPE_LIST = 12,
	TYPE_STRUCT = 13,
	TYPE_UNION = 14,
	TYPE_FIXED_SIZE_BINARY = 15,
	TYPE_FIXED_SIZE_LIST = 16,
	TYPE_MAP = 17,
	TYPE_DURATION = 18,
	TYPE_LARGE_BINARY = 19,
	TYPE_LARGE_UTF8 = 20,
	TYPE_LARGE_LIST = 21,
	TYPE_RUN_END_ENCODED = 22,
	TYPE_BINARY_VIEW = 23,
	TYPE_UTF8_VIEW = 24,
	TYPE_LIST_VIEW = 25,
	TYPE_LARGE_LIST_VIEW = 26,
};

// Member indexes of Message.fbs' `union MessageHeader`.
constexpr uint8_t HEADER_SCHEMA = 1;
constexpr uint8_t HEADER_DICTIONARY_BATCH = 2;
constexpr uint8_t HEADER_RECORD_BATCH = 3;
constexpr uint8_t HEADER_TENSOR = 4;
constexpr uint8_t HEADER_SPARSE_TENSOR = 5;

constexpr int16_t METADATA_VERSION_V5 = 4;
constexpr uint32_t CONTINUATION_MARKER = 0xFFFFFFFFu;
//! Message bodies and the buffers in them are aligned to (and padded to a multiple of) this many bytes.
constexpr int64_t IPC_ALIGNMENT = 8;
//! A binary view: int32 length, then either up to 12 bytes inline or a prefix, a buffer index and an offset.
constexpr int64_t BINARY_VIEW_SIZE = 16;
constexpr int32_t BINARY_VIEW_INLINE_SIZE = 12;

} // namespace ipc_format
} // namespace openduck
