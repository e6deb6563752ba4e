#include "paged/paged_file_handle.hpp"

#include "paged/paged_file_system.hpp"

#include "duckdb/common/exception.hpp"

#include <algorithm>
#include <fcntl.h>

namespace openduck {

using duckdb::IOException;

PagedFileHandle::PagedFileHandle(PagedFileSystem &file_system, const duckdb::string &path,
                                 duckdb::string local_path_p, duckdb::FileOpenFlags flags)
    : FileHandle(file_system, path, flags), local_path(std::move(local_path_p)) {
	auto table_path = local_path + ".pages";
	// Claimed before anything is opened: a second writer must not reset the overlay of the first.
	claim = file_system.Claim(table_path, Writable(), path);
	table = PageTable::Read(table_path);
	table_modified = PosixFile::Open(table_path, O_RDONLY).ModifiedMicros();

	// Sources are opened read-only: nothing this handle does can change a layer file.
	sources.reserve(table.sources.size());
	std::vector<uint64_t> sizes;
	for (auto &source : table.sources) {
		sources.push_back(PosixFile::Open(source, O_RDONLY));
		sizes.push_back(sources.back().Size());
	}
	for (uint64_t page = 0; page < table.pages.size(); page++) {
		auto &location = table.pages[page];
		auto size = sizes[location.source];
		if (location.offset > size || location.length > size - location.offset) {
			throw IOException("Page table \"%s\": page %llu lies at bytes [%llu, %llu) of \"%s\", which has only %llu",
			                  table_path, page, location.offset, location.offset + location.length,
			                  table.sources[location.source], size);
		}
	}

	auto dirty_path = local_path + ".dirty";
	auto overlay_path = local_path + ".overlay";
	bool resume = PosixFile::Exists(dirty_path);
	if (resume && !PosixFile::Exists(overlay_path)) {
		throw IOException("\"%s\" exists but \"%s\" does not: the changes it lists are lost", dirty_path,
		                  overlay_path);
	}
	if (Writable()) {
		overlay = PosixFile::Open(overlay_path, O_RDWR | O_CREAT);
	} else if (resume) {
		overlay = PosixFile::Open(overlay_path, O_RDONLY);
	}
	if (resume) {
		LoadDirtyList(DirtyList::Read(dirty_path));
	} else {
		length.store(table.length, std::memory_order_release);
	}
	// The overlay never extends past the file: bytes a later growth exposes must read as zeros, not as leftovers of
	// an earlier, longer file or of a session that never synced.
	if (Writable() && !resume) {
		overlay.Truncate(0);
	} else if (Writable() && overlay.Size() > Length()) {
		overlay.Truncate(Length());
	}
}

PagedFileHandle::~PagedFileHandle() {
	try {
		Close();
	} catch (...) { // NOLINT: a destructor cannot report; Sync already wrote the dirty list at every checkpoint
	}
}

void PagedFileHandle::LoadDirtyList(const DirtyList &list) {
	auto dirty_path = local_path + ".dirty";
	for (auto page : list.pages) {
		dirty.Insert(page);
	}
	// A clean page must still be exactly its page table entry, or reads would mix files.
	auto page_count = PageGeometry::PageCount(list.length);
	for (uint64_t page = 0; page < page_count; page++) {
		if (dirty.Contains(page)) {
			continue;
		}
		if (page >= table.pages.size() || table.pages[page].length != PageGeometry::PageLength(page, list.length)) {
			throw IOException("\"%s\" does not fit \"%s.pages\": page %llu is not dirty but differs from the page table",
			                  dirty_path, local_path, page);
		}
	}
	length.store(list.length, std::memory_order_release);
}

void PagedFileHandle::ReadAt(void *buffer, uint64_t size, uint64_t location) const {
	auto current_length = Length();
	if (location > current_length || size > current_length - location) {
		throw IOException("Could not read enough bytes from file \"%s\": attempted to read %llu bytes from location "
		                  "%llu, but the file is %llu bytes long",
		                  path, size, location, current_length);
	}
	auto out = static_cast<char *>(buffer);
	while (size > 0) {
		auto page = PageGeometry::PageOf(location);
		auto start = PageGeometry::PageStart(page);
		auto chunk = std::min(size, start + PageGeometry::SlotSize(page) - location);
		if (dirty.Contains(page)) {
			overlay.ReadZeroFilled(out, chunk, location);
		} else {
			// A clean page is its page table entry, whole (see LoadDirtyList, Grow and Truncate).
			auto &entry = table.pages[page];
			sources[entry.source].ReadExact(out, chunk, entry.offset + (location - start));
		}
		out += chunk;
		location += chunk;
		size -= chunk;
	}
}

void PagedFileHandle::WriteAt(const void *buffer, uint64_t size, uint64_t location) {
	if (!Writable()) {
		throw IOException("Cannot write to \"%s\": it was opened read-only", path);
	}
	if (location + size < location) {
		throw IOException("Cannot write to \"%s\": location %llu + %llu bytes overflows", path, location, size);
	}
	if (location + size > Length()) {
		std::lock_guard<std::mutex> guard(resize_lock);
		Grow(location + size);
	}
	auto in = static_cast<const char *>(buffer);
	while (size > 0) {
		auto page = PageGeometry::PageOf(location);
		auto start = PageGeometry::PageStart(page);
		auto chunk = std::min(size, start + PageGeometry::SlotSize(page) - location);
		if (!dirty.Contains(page)) {
			std::lock_guard<std::mutex> guard(StripeLock(page));
			if (!dirty.Contains(page)) {
				// Pages past the page table's end are always dirty (Grow), so this page has an entry. A write that
				// covers it whole (DuckDB writes 256 KiB blocks) needs no copy.
				auto original = table.pages[page].length;
				bool covers = location == start && chunk >= original;
				MakeDirty(page, covers ? 0 : original);
			}
		}
		overlay.WriteExact(in, chunk, location);
		in += chunk;
		location += chunk;
		size -= chunk;
	}
}

void PagedFileHandle::MakeDirty(uint64_t page, uint64_t copy_length) {
	if (copy_length > 0) {
		auto &entry = table.pages[page];
		std::vector<char> bytes(copy_length);
		sources[entry.source].ReadExact(bytes.data(), copy_length, entry.offset);
		overlay.WriteExact(bytes.data(), copy_length, PageGeometry::PageStart(page));
	}
	dirty.Insert(page);
}

void PagedFileHandle::Grow(uint64_t new_length) {
	auto old_length = Length();
	if (new_length <= old_length) {
		return;
	}
	auto first = PageGeometry::PageCount(old_length);
	if (first > 0) {
		// A short last page grows: its bytes stay, its length changes.
		auto last = first - 1;
		auto last_length = PageGeometry::PageLength(last, old_length);
		if (last_length < PageGeometry::SlotSize(last)) {
			first = last;
			std::lock_guard<std::mutex> guard(StripeLock(last));
			if (!dirty.Contains(last)) {
				MakeDirty(last, last_length);
			}
		}
	}
	// New pages have no original; until written they read as zeros from the overlay's hole.
	auto end = PageGeometry::PageCount(new_length);
	for (auto page = first; page < end; page++) {
		if (!dirty.Contains(page)) {
			dirty.Insert(page);
		}
	}
	length.store(new_length, std::memory_order_release);
}

void PagedFileHandle::Truncate(uint64_t new_length) {
	if (!Writable()) {
		throw IOException("Cannot truncate \"%s\": it was opened read-only", path);
	}
	{
		std::lock_guard<std::mutex> guard(resize_lock);
		auto old_length = Length();
		if (new_length >= old_length) {
			Grow(new_length);
			return;
		}
		auto page_count = PageGeometry::PageCount(new_length);
		if (page_count > 0) {
			// A clean page that is cut becomes dirty: the cut-off bytes must not come back if the file grows again.
			auto last = page_count - 1;
			auto kept = PageGeometry::PageLength(last, new_length);
			if (kept < PageGeometry::PageLength(last, old_length)) {
				std::lock_guard<std::mutex> stripe_guard(StripeLock(last));
				if (!dirty.Contains(last)) {
					MakeDirty(last, kept);
				}
			}
		}
		dirty.EraseFrom(page_count);
		if (overlay.Size() > new_length) {
			overlay.Truncate(new_length);
		}
		length.store(new_length, std::memory_order_release);
	}
	// DuckDB truncates after the checkpoint's last sync; the dirty list should not name pages that are gone.
	Sync();
}

void PagedFileHandle::Sync() {
	if (!Writable()) {
		return;
	}
	std::lock_guard<std::mutex> guard(sync_lock);
	DirtyList list;
	{
		std::lock_guard<std::mutex> resize_guard(resize_lock);
		list.length = Length();
		list.pages = dirty.List(PageGeometry::PageCount(list.length));
	}
	overlay.DataSync();
	list.WriteAtomically(local_path + ".dirty");
}

int64_t PagedFileHandle::ModifiedMicros() const {
	return overlay.IsOpen() ? std::max(table_modified, overlay.ModifiedMicros()) : table_modified;
}

void PagedFileHandle::Close() {
	if (closed) {
		return;
	}
	closed = true;
	Sync();
	overlay.Close();
	sources.clear();
	claim.reset();
}

} // namespace openduck
