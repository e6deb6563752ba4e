//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// paged/page_table.hpp
//
// Page geometry (packages/storage/FORMAT.md §1) and the two files the worker and the paged file system exchange:
// the page table (`<p>.pages`) and the dirty list (`<p>.dirty`). Formats: extension/README.md.
//===----------------------------------------------------------------------===//

#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace openduck {

//! DuckDB's three 4 KiB headers form page 0; every 256 KiB block is one page after it, so a changed block is one
//! changed page. Only the last page of a file may be shorter than its slot.
struct PageGeometry {
	static constexpr uint64_t HEADER_PAGE_SIZE = 12288;
	static constexpr uint64_t BLOCK_PAGE_SIZE = 262144;

	static uint64_t PageCount(uint64_t length) {
		if (length == 0) {
			return 0;
		}
		auto rest = length > HEADER_PAGE_SIZE ? length - HEADER_PAGE_SIZE : 0;
		return 1 + (rest + BLOCK_PAGE_SIZE - 1) / BLOCK_PAGE_SIZE;
	}
	static uint64_t PageStart(uint64_t page) {
		return page == 0 ? 0 : HEADER_PAGE_SIZE + (page - 1) * BLOCK_PAGE_SIZE;
	}
	static uint64_t SlotSize(uint64_t page) {
		return page == 0 ? HEADER_PAGE_SIZE : BLOCK_PAGE_SIZE;
	}
	static uint64_t PageOf(uint64_t offset) {
		return offset < HEADER_PAGE_SIZE ? 0 : 1 + (offset - HEADER_PAGE_SIZE) / BLOCK_PAGE_SIZE;
	}
	//! Length of `page` in a file of `length` bytes (0 when the page lies past the end).
	static uint64_t PageLength(uint64_t page, uint64_t length) {
		auto start = PageStart(page);
		if (start >= length) {
			return 0;
		}
		auto end = start + SlotSize(page);
		return (end < length ? end : length) - start;
	}
};

//! Where one page's bytes are: a byte range of one source file.
struct PageLocation {
	uint32_t source;
	uint64_t offset;
	uint32_t length;
};

//! `<p>.pages`: the original content of a paged file, page by page.
struct PageTable {
	static constexpr uint32_t MAGIC = 0x5450444F; // "ODPT"
	static constexpr uint32_t VERSION = 1;

	uint64_t length = 0;
	//! Local paths; relative ones are resolved against the directory of the page table.
	std::vector<std::string> sources;
	//! One entry per page, page_count(length) in all, each as long as its page.
	std::vector<PageLocation> pages;

	//! Reads and validates `path`; a malformed table is an IOException that says what is wrong.
	static PageTable Read(const std::string &path);
};

//! `<p>.dirty`: which pages a writable handle changed, and the file's length, as of its last sync or close.
struct DirtyList {
	static constexpr uint32_t MAGIC = 0x5044444F; // "ODDP"
	static constexpr uint32_t VERSION = 1;

	uint64_t length = 0;
	//! Ascending, all below page_count(length).
	std::vector<uint32_t> pages;

	static DirtyList Read(const std::string &path);
	//! Writes `path` through a temporary file that is synced and renamed over it, so a reader sees the old or the
	//! new list, never a partial one.
	void WriteAtomically(const std::string &path) const;
};

} // namespace openduck
