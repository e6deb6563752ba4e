//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// arrow_ipc/ipc_batch_reader.hpp
//
// Reads the arrays of a record batch or dictionary batch message and checks them against the schema.
//===----------------------------------------------------------------------===//

#pragma once

#include "arrow_ipc/ipc_reader.hpp"

namespace openduck {

//! The dictionaries in force, by dictionary id.
using IpcDictionaries = std::unordered_map<int64_t, std::shared_ptr<const IpcBatch>>;

//! Reads the RecordBatch table of a message whose body is `body` (`body_length` bytes, 8-byte aligned in memory):
//! one column per field of `fields[0, field_count)`, laid out as IpcStreamWriter writes them, each array checked as
//! IpcArray describes. Dictionary-encoded arrays get their dictionary from `dictionaries`.
std::shared_ptr<const IpcBatch> ReadIpcBatch(const FlatTableView &record_batch, const IpcField *fields,
                                             size_t field_count, std::shared_ptr<const void> body, int64_t body_length,
                                             const IpcDictionaries &dictionaries);

} // namespace openduck
