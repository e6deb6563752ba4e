#include "paged/dirty_page_set.hpp"

#include "duckdb/common/exception.hpp"

namespace openduck {

DirtyPageSet::DirtyPageSet() {
	for (auto &chunk : chunks) {
		chunk.store(nullptr, std::memory_order_relaxed);
	}
}

void DirtyPageSet::Insert(uint64_t page) {
	if (page >= MAX_PAGES) {
		throw duckdb::IOException("Paged files are limited to %llu pages (64 TiB)", MAX_PAGES);
	}
	std::lock_guard<std::mutex> guard(lock);
	auto &slot = chunks[page >> CHUNK_BITS];
	auto chunk = slot.load(std::memory_order_acquire);
	if (!chunk) {
		std::unique_ptr<std::atomic<bool>[]> fresh(new std::atomic<bool>[CHUNK_SIZE]);
		for (uint64_t i = 0; i < CHUNK_SIZE; i++) {
			fresh[i].store(false, std::memory_order_relaxed);
		}
		chunk = fresh.get();
		owned.push_back(std::move(fresh));
		slot.store(chunk, std::memory_order_release);
	}
	chunk[page & (CHUNK_SIZE - 1)].store(true, std::memory_order_release);
	if (page >= end) {
		end = page + 1;
	}
}

void DirtyPageSet::EraseFrom(uint64_t first) {
	std::lock_guard<std::mutex> guard(lock);
	for (uint64_t page = first; page < end; page++) {
		auto chunk = chunks[page >> CHUNK_BITS].load(std::memory_order_acquire);
		if (chunk) {
			chunk[page & (CHUNK_SIZE - 1)].store(false, std::memory_order_release);
		}
	}
	if (first < end) {
		end = first;
	}
}

std::vector<uint32_t> DirtyPageSet::List(uint64_t limit) const {
	std::lock_guard<std::mutex> guard(lock);
	std::vector<uint32_t> result;
	for (uint64_t page = 0; page < end && page < limit; page++) {
		if (Contains(page)) {
			result.push_back(static_cast<uint32_t>(page));
		}
	}
	return result;
}

} // namespace openduck
