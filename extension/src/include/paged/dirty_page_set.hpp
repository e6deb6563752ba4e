//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// paged/dirty_page_set.hpp
//
// Which pages of a paged file live in its overlay.
//===----------------------------------------------------------------------===//

#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace openduck {

//! Every read of a paged file asks whether its page is dirty, from many threads at once, so membership is an atomic
//! flag per page read without any lock. Flags live in fixed-size chunks allocated on first use and never moved or
//! freed while the set exists, which lets the file grow without invalidating concurrent readers. Changes (rare: a
//! page's first write, a truncation) take a mutex.
class DirtyPageSet {
public:
	//! 2^28 pages of 256 KiB: files up to 64 TiB.
	static constexpr uint64_t MAX_PAGES = uint64_t(1) << 28;

	DirtyPageSet();

	bool Contains(uint64_t page) const {
		auto chunk = chunks[page >> CHUNK_BITS].load(std::memory_order_acquire);
		return chunk && chunk[page & (CHUNK_SIZE - 1)].load(std::memory_order_acquire);
	}
	void Insert(uint64_t page);
	//! Removes every page >= `first`.
	void EraseFrom(uint64_t first);
	//! The pages below `end`, ascending.
	std::vector<uint32_t> List(uint64_t end) const;

private:
	static constexpr uint64_t CHUNK_BITS = 16;
	static constexpr uint64_t CHUNK_SIZE = uint64_t(1) << CHUNK_BITS;
	static constexpr uint64_t CHUNK_COUNT = MAX_PAGES / CHUNK_SIZE;

	std::atomic<std::atomic<bool> *> chunks[CHUNK_COUNT];
	mutable std::mutex lock;
	std::vector<std::unique_ptr<std::atomic<bool>[]>> owned;
	//! One past the highest page inserted since the last erase beyond it: bounds EraseFrom and List.
	uint64_t end = 0;
};

} // namespace openduck
