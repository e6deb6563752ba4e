#include "paged/posix_file.hpp"

#include "duckdb/common/exception.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace openduck {

using duckdb::IOException;

static std::string ErrorText() {
	return std::strerror(errno);
}

PosixFile::PosixFile(PosixFile &&other) noexcept : fd(other.fd), path(std::move(other.path)) {
	other.fd = -1;
}

PosixFile &PosixFile::operator=(PosixFile &&other) noexcept {
	if (this != &other) {
		Close();
		fd = other.fd;
		path = std::move(other.path);
		other.fd = -1;
	}
	return *this;
}

PosixFile::~PosixFile() {
	Close();
}

PosixFile PosixFile::Open(const std::string &path, int flags) {
	int fd;
	do {
		fd = ::open(path.c_str(), flags | O_CLOEXEC, 0666);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		throw IOException("Could not open file \"%s\": %s", path, ErrorText());
	}
	return PosixFile(fd, path);
}

bool PosixFile::Exists(const std::string &path) {
	struct stat st;
	if (::stat(path.c_str(), &st) == 0) {
		return true;
	}
	if (errno == ENOENT || errno == ENOTDIR) {
		return false;
	}
	throw IOException("Could not check whether \"%s\" exists: %s", path, ErrorText());
}

std::string PosixFile::ReadAll(const std::string &path) {
	auto file = Open(path, O_RDONLY);
	std::string content(file.Size(), '\0');
	file.ReadExact(&content[0], content.size(), 0);
	return content;
}

uint64_t PosixFile::Size() const {
	struct stat st;
	if (::fstat(fd, &st) != 0) {
		throw IOException("Could not stat file \"%s\": %s", path, ErrorText());
	}
	return static_cast<uint64_t>(st.st_size);
}

int64_t PosixFile::ModifiedMicros() const {
	struct stat st;
	if (::fstat(fd, &st) != 0) {
		throw IOException("Could not stat file \"%s\": %s", path, ErrorText());
	}
	return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000;
}

uint64_t PosixFile::ReadUpTo(void *buffer, uint64_t size, uint64_t offset) const {
	auto out = static_cast<char *>(buffer);
	uint64_t done = 0;
	while (done < size) {
		auto n = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			throw IOException("Could not read from file \"%s\": %s", path, ErrorText());
		}
		if (n == 0) {
			break;
		}
		done += static_cast<uint64_t>(n);
	}
	return done;
}

void PosixFile::ReadExact(void *buffer, uint64_t size, uint64_t offset) const {
	auto done = ReadUpTo(buffer, size, offset);
	if (done != size) {
		throw IOException("Could not read enough bytes from file \"%s\": attempted to read %llu bytes from location "
		                  "%llu, the file ends after %llu",
		                  path, size, offset, offset + done);
	}
}

void PosixFile::ReadZeroFilled(void *buffer, uint64_t size, uint64_t offset) const {
	auto done = ReadUpTo(buffer, size, offset);
	std::memset(static_cast<char *>(buffer) + done, 0, size - done);
}

void PosixFile::WriteExact(const void *buffer, uint64_t size, uint64_t offset) const {
	auto in = static_cast<const char *>(buffer);
	uint64_t done = 0;
	while (done < size) {
		auto n = ::pwrite(fd, in + done, size - done, static_cast<off_t>(offset + done));
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			throw IOException("Could not write file \"%s\": %s", path, ErrorText());
		}
		done += static_cast<uint64_t>(n);
	}
}

void PosixFile::Truncate(uint64_t size) const {
	if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
		throw IOException("Could not truncate file \"%s\": %s", path, ErrorText());
	}
}

void PosixFile::DataSync() const {
	if (::fdatasync(fd) != 0) {
		throw IOException("Could not fsync file \"%s\": %s", path, ErrorText());
	}
}

void PosixFile::Close() {
	if (fd >= 0) {
		::close(fd);
		fd = -1;
	}
}

} // namespace openduck
