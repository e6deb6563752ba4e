//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// paged/posix_file.hpp
//
// A file descriptor the paged file system opens itself: page tables, layer files, overlays, dirty lists.
//===----------------------------------------------------------------------===//

#pragma once

#include <cstdint>
#include <string>

namespace openduck {

//! These files are named by the worker (the page table and the files next to it), never by SQL, so they are opened
//! with plain POSIX calls rather than through DuckDB's file system and its access checks (see README, sandbox).
//! Reads and writes are positional (pread/pwrite), so one descriptor serves any number of threads.
//! Every failure is a duckdb::IOException naming the file.
class PosixFile {
public:
	PosixFile() = default;
	PosixFile(PosixFile &&other) noexcept;
	PosixFile &operator=(PosixFile &&other) noexcept;
	PosixFile(const PosixFile &) = delete;
	PosixFile &operator=(const PosixFile &) = delete;
	~PosixFile();

	//! open(2) with `flags` (O_CLOEXEC is added); new files get mode 0666 minus the umask, like DuckDB's own files.
	static PosixFile Open(const std::string &path, int flags);
	//! Whether `path` exists (any file type); errors other than "no such file" are thrown.
	static bool Exists(const std::string &path);
	//! The whole content of a small file.
	static std::string ReadAll(const std::string &path);

	bool IsOpen() const {
		return fd >= 0;
	}
	const std::string &Path() const {
		return path;
	}
	uint64_t Size() const;
	//! Last modification, in microseconds since the epoch.
	int64_t ModifiedMicros() const;

	//! Reads exactly `size` bytes at `offset`; reaching the end of the file first is an error.
	void ReadExact(void *buffer, uint64_t size, uint64_t offset) const;
	//! Reads `size` bytes at `offset`, with zeros past the end of the file (how a sparse overlay reads).
	void ReadZeroFilled(void *buffer, uint64_t size, uint64_t offset) const;
	void WriteExact(const void *buffer, uint64_t size, uint64_t offset) const;
	void Truncate(uint64_t size) const;
	void DataSync() const;
	void Close();

private:
	PosixFile(int fd, std::string path) : fd(fd), path(std::move(path)) {
	}
	//! pread until `size` bytes or the end of the file; returns the number of bytes read.
	uint64_t ReadUpTo(void *buffer, uint64_t size, uint64_t offset) const;

	int fd = -1;
	std::string path;
};

} // namespace openduck
