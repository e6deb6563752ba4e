//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// arrow_ipc/ipc_export.hpp
//
// Exports what IpcStreamReader reads as Arrow C data interface structs, without copying any data.
//===----------------------------------------------------------------------===//

#pragma once

#include "arrow_ipc/ipc_reader.hpp"

namespace openduck {

//! Exports a schema as a struct ("+s") with one child per field. The caller releases it.
void ExportIpcSchema(const std::vector<IpcField> &fields,
                     const std::vector<std::pair<std::string, std::string>> &metadata, ArrowSchema &out);

//! Exports rows [offset, offset + length) of `batch` as a struct array of `length` rows with one child per column
//! and an offset of 0: the buffers are advanced to the first row instead, so `offset` must be a multiple of 8
//! (validity bitmaps then start on a byte). The caller releases the array, which keeps the batch alive on its own;
//! so does every child and dictionary, which may therefore be moved out.
void ExportIpcBatch(const std::shared_ptr<const IpcBatch> &batch, int64_t offset, int64_t length, ArrowArray &out);

} // namespace openduck
