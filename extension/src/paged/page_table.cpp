#include "paged/page_table.hpp"

#include "paged/posix_file.hpp"

#include "duckdb/common/exception.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdio.h>

namespace openduck {

using duckdb::IOException;

namespace {

//! Little-endian fields from a byte string; running out of bytes is an error naming the file.
class Cursor {
public:
	Cursor(const std::string &data, const std::string &path) : data(data), path(path) {
	}

	template <class T>
	T Read(const char *what) {
		Require(sizeof(T), what);
		T value = 0;
		for (size_t i = 0; i < sizeof(T); i++) {
			value |= static_cast<T>(static_cast<uint8_t>(data[position + i])) << (8 * i);
		}
		position += sizeof(T);
		return value;
	}

	std::string ReadBytes(uint64_t size, const char *what) {
		Require(size, what);
		auto result = data.substr(position, size);
		position += size;
		return result;
	}

	void ExpectEnd() const {
		if (position != data.size()) {
			throw IOException("\"%s\" is corrupt: %llu unexpected bytes after the last entry", path,
			                  static_cast<uint64_t>(data.size() - position));
		}
	}

	uint64_t Remaining() const {
		return data.size() - position;
	}

private:
	void Require(uint64_t size, const char *what) const {
		if (data.size() - position < size) {
			throw IOException("\"%s\" is corrupt: it ends inside %s (at byte %llu of %llu)", path, what,
			                  static_cast<uint64_t>(position), static_cast<uint64_t>(data.size()));
		}
	}

	const std::string &data;
	const std::string &path;
	size_t position = 0;
};

template <class T>
void Append(std::string &out, T value) {
	for (size_t i = 0; i < sizeof(T); i++) {
		out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
	}
}

void CheckHeader(Cursor &cursor, const std::string &path, uint32_t magic, uint32_t version, const char *kind) {
	if (cursor.Read<uint32_t>("the magic number") != magic) {
		throw IOException("\"%s\" is not an OpenDuck %s (wrong magic number)", path, kind);
	}
	auto found = cursor.Read<uint32_t>("the version");
	if (found != version) {
		throw IOException("\"%s\" has %s version %u; this extension reads version %u", path, kind, found, version);
	}
}

std::string Directory(const std::string &path) {
	auto slash = path.rfind('/');
	return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

} // namespace

PageTable PageTable::Read(const std::string &path) {
	auto data = PosixFile::ReadAll(path);
	Cursor cursor(data, path);
	CheckHeader(cursor, path, MAGIC, VERSION, "page table");

	PageTable table;
	table.length = cursor.Read<uint64_t>("the file length");
	auto source_count = cursor.Read<uint32_t>("the source count");
	auto directory = Directory(path);
	for (uint32_t i = 0; i < source_count; i++) {
		auto size = cursor.Read<uint32_t>("a source path length");
		auto source = cursor.ReadBytes(size, "a source path");
		if (source.empty() || source.find('\0') != std::string::npos) {
			throw IOException("\"%s\" is corrupt: source %u has an empty or invalid path", path, i);
		}
		table.sources.push_back(source[0] == '/' ? source : directory + source);
	}

	auto page_count = cursor.Read<uint32_t>("the page count");
	auto expected = PageGeometry::PageCount(table.length);
	if (page_count != expected) {
		throw IOException("\"%s\" is corrupt: %u pages for a file of %llu bytes, which has %llu", path, page_count,
		                  table.length, expected);
	}
	// 16 bytes per entry: check before reserving, so a corrupt count cannot allocate much.
	if (cursor.Remaining() / 16 < page_count) {
		throw IOException("\"%s\" is corrupt: it ends inside the page entries", path);
	}
	table.pages.reserve(page_count);
	for (uint32_t page = 0; page < page_count; page++) {
		PageLocation location;
		location.source = cursor.Read<uint32_t>("a page's source");
		location.offset = cursor.Read<uint64_t>("a page's offset");
		location.length = cursor.Read<uint32_t>("a page's length");
		if (location.source >= source_count) {
			throw IOException("\"%s\" is corrupt: page %u names source %u of %u", path, page, location.source,
			                  source_count);
		}
		auto length = PageGeometry::PageLength(page, table.length);
		if (location.length != length) {
			throw IOException("\"%s\" is corrupt: page %u is %u bytes long, but %llu in a file of %llu bytes", path,
			                  page, location.length, length, table.length);
		}
		table.pages.push_back(location);
	}
	cursor.ExpectEnd();
	return table;
}

DirtyList DirtyList::Read(const std::string &path) {
	auto data = PosixFile::ReadAll(path);
	Cursor cursor(data, path);
	CheckHeader(cursor, path, MAGIC, VERSION, "dirty list");

	DirtyList list;
	list.length = cursor.Read<uint64_t>("the file length");
	auto count = cursor.Read<uint32_t>("the page count");
	if (cursor.Remaining() / 4 < count) {
		throw IOException("\"%s\" is corrupt: it ends inside the page list", path);
	}
	auto page_count = PageGeometry::PageCount(list.length);
	list.pages.reserve(count);
	for (uint32_t i = 0; i < count; i++) {
		auto page = cursor.Read<uint32_t>("a page index");
		if (page >= page_count || (!list.pages.empty() && page <= list.pages.back())) {
			throw IOException("\"%s\" is corrupt: page indexes must ascend and stay below %llu", path, page_count);
		}
		list.pages.push_back(page);
	}
	cursor.ExpectEnd();
	return list;
}

void DirtyList::WriteAtomically(const std::string &path) const {
	std::string data;
	data.reserve(20 + 4 * pages.size());
	Append<uint32_t>(data, MAGIC);
	Append<uint32_t>(data, VERSION);
	Append<uint64_t>(data, length);
	Append<uint32_t>(data, static_cast<uint32_t>(pages.size()));
	for (auto page : pages) {
		Append<uint32_t>(data, page);
	}

	auto temporary = path + ".tmp";
	{
		auto file = PosixFile::Open(temporary, O_WRONLY | O_CREAT | O_TRUNC);
		file.WriteExact(data.data(), data.size(), 0);
		file.DataSync();
	}
	if (::rename(temporary.c_str(), path.c_str()) != 0) {
		throw IOException("Could not rename \"%s\" to \"%s\": %s", temporary, path, std::strerror(errno));
	}
}

} // namespace openduck
