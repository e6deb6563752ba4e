//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// paged/paged_file_handle.hpp
//
// An open paged database file: its pages read from layer files, its changes kept in a copy-on-write overlay.
//===----------------------------------------------------------------------===//

#pragma once

#include "paged/dirty_page_set.hpp"
#include "paged/page_table.hpp"
#include "paged/posix_file.hpp"

#include "duckdb/common/file_system.hpp"

#include <atomic>
#include <memory>
#include <mutex>

namespace openduck {

class PagedFileSystem;

//! The file's content is the page table's pages with the dirty pages replaced by the overlay (`<p>.overlay`, at
//! their natural offsets) and its length taken from the dirty list (`<p>.dirty`) when one exists: so a handle opened
//! after a session that synced (e.g. with a WAL left behind) sees what that session left. A writable handle that
//! finds no dirty list starts from an empty overlay.
//!
//! DuckDB reads and writes positionally from many threads at once. Reads take no lock: the page table and source
//! descriptors never change, the length is atomic, and the dirty set is read lock-free. Writes lock only to make a
//! page dirty (copy-on-write, striped by page) and to change the length.
class PagedFileHandle : public duckdb::FileHandle {
public:
	//! `local_path` is `<p>`, whose `<p>.pages` exists.
	PagedFileHandle(PagedFileSystem &file_system, const duckdb::string &path, duckdb::string local_path,
	                duckdb::FileOpenFlags flags);
	~PagedFileHandle() override;

	//! Reads exactly `size` bytes; reading past the end of the file is an IOException, as on a local file.
	void ReadAt(void *buffer, uint64_t size, uint64_t location) const;
	void WriteAt(const void *buffer, uint64_t size, uint64_t location);
	uint64_t Length() const {
		return length.load(std::memory_order_acquire);
	}
	//! Shrinks (or zero-extends) the file.
	void Truncate(uint64_t new_length);
	//! Syncs the overlay and writes the dirty list (writable handles; nothing otherwise).
	void Sync();
	int64_t ModifiedMicros() const;
	void Close() override;

	//! For the handle-position Read/Write variants; like DuckDB's local handles, not meant for concurrent use.
	uint64_t position = 0;

private:
	bool Writable() const {
		return flags.OpenForWriting();
	}
	void LoadDirtyList(const DirtyList &list);
	//! Extends the file to `new_length`: the pages it gains (and a short last page that grows) become dirty.
	//! Caller holds resize_lock.
	void Grow(uint64_t new_length);
	//! Makes `page` dirty, first copying its first `copy_length` original bytes into the overlay.
	void MakeDirty(uint64_t page, uint64_t copy_length);
	std::mutex &StripeLock(uint64_t page) {
		return stripe_locks[page % STRIPE_COUNT];
	}

	static constexpr uint64_t STRIPE_COUNT = 64;

	//! This handle's claim on the file (see PagedFileSystem::Claim), released when the handle closes.
	std::shared_ptr<void> claim;
	duckdb::string local_path;
	PageTable table;
	int64_t table_modified = 0;
	std::vector<PosixFile> sources;
	PosixFile overlay;
	DirtyPageSet dirty;
	std::atomic<uint64_t> length {0};
	std::mutex resize_lock;
	std::mutex stripe_locks[STRIPE_COUNT];
	std::mutex sync_lock;
	bool closed = false;
};

} // namespace openduck
