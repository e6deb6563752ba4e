//===----------------------------------------------------------------------===//
//                         OpenDuck
//
// paged/paged_file_system.hpp
//
// The `odpages:` file system: DuckDB database files served from pages in layer files (see README).
//===----------------------------------------------------------------------===//

#pragma once

#include "duckdb/common/file_system.hpp"

#include <memory>
#include <mutex>
#include <unordered_map>

namespace openduck {

//! Registered as a sub-system of DuckDB's VirtualFileSystem, it handles every path that starts with `odpages:`.
//! For `odpages:<p>`: when `<p>.pages` exists, `<p>` is a paged file (PagedFileHandle); any other path (the WAL
//! `<p>.wal`, files DuckDB creates next to the database) is the local file `<p>`.
class PagedFileSystem : public duckdb::FileSystem {
public:
	static constexpr const char *PREFIX = "odpages:";

	PagedFileSystem();

	//! A paged file may be open once for writing or any number of times for reading, within this process (across
	//! processes the worker keeps one writer per directory). Throws on a conflict; the claim lasts while the result
	//! lives.
	std::shared_ptr<void> Claim(const duckdb::string &table_path, bool write, const duckdb::string &path);

	using FileSystem::ListFiles;
	using FileSystem::OpenFile;
	duckdb::unique_ptr<duckdb::FileHandle> OpenFile(const duckdb::string &path, duckdb::FileOpenFlags flags,
	                                                duckdb::optional_ptr<duckdb::FileOpener> opener = nullptr) override;

	void Read(duckdb::FileHandle &handle, void *buffer, int64_t nr_bytes, duckdb::idx_t location) override;
	void Write(duckdb::FileHandle &handle, void *buffer, int64_t nr_bytes, duckdb::idx_t location) override;
	int64_t Read(duckdb::FileHandle &handle, void *buffer, int64_t nr_bytes) override;
	int64_t Write(duckdb::FileHandle &handle, void *buffer, int64_t nr_bytes) override;
	bool Trim(duckdb::FileHandle &handle, duckdb::idx_t offset_bytes, duckdb::idx_t length_bytes) override;
	int64_t GetFileSize(duckdb::FileHandle &handle) override;
	duckdb::timestamp_t GetLastModifiedTime(duckdb::FileHandle &handle) override;
	duckdb::FileType GetFileType(duckdb::FileHandle &handle) override;
	void Truncate(duckdb::FileHandle &handle, int64_t new_size) override;
	void FileSync(duckdb::FileHandle &handle) override;
	void Seek(duckdb::FileHandle &handle, duckdb::idx_t location) override;
	duckdb::idx_t SeekPosition(duckdb::FileHandle &handle) override;
	bool CanSeek() override;
	bool OnDiskFile(duckdb::FileHandle &handle) override;

	bool DirectoryExists(const duckdb::string &directory, duckdb::optional_ptr<duckdb::FileOpener> opener) override;
	void CreateDirectory(const duckdb::string &directory, duckdb::optional_ptr<duckdb::FileOpener> opener) override;
	void RemoveDirectory(const duckdb::string &directory, duckdb::optional_ptr<duckdb::FileOpener> opener) override;
	bool ListFiles(const duckdb::string &directory, const std::function<void(const duckdb::string &, bool)> &callback,
	               duckdb::FileOpener *opener = nullptr) override;
	void MoveFile(const duckdb::string &source, const duckdb::string &target,
	              duckdb::optional_ptr<duckdb::FileOpener> opener) override;
	bool FileExists(const duckdb::string &filename, duckdb::optional_ptr<duckdb::FileOpener> opener) override;
	bool IsPipe(const duckdb::string &filename, duckdb::optional_ptr<duckdb::FileOpener> opener) override;
	void RemoveFile(const duckdb::string &filename, duckdb::optional_ptr<duckdb::FileOpener> opener) override;
	bool TryRemoveFile(const duckdb::string &filename, duckdb::optional_ptr<duckdb::FileOpener> opener) override;
	duckdb::vector<duckdb::OpenFileInfo> Glob(const duckdb::string &path, duckdb::FileOpener *opener = nullptr) override;

	bool CanHandleFile(const duckdb::string &path) override;
	std::string GetName() const override {
		return "OpenDuckPagedFileSystem";
	}

private:
	//! `<p>` of `odpages:<p>`.
	static duckdb::string LocalPath(const duckdb::string &path);
	//! Whether local path `<p>` is a paged file, i.e. `<p>.pages` exists.
	bool IsPaged(const duckdb::string &local_path);
	void RefuseChange(const duckdb::string &action, const duckdb::string &path);

	//! Pass-through paths go to DuckDB's own local file system.
	duckdb::unique_ptr<duckdb::FileSystem> local;
	std::mutex claims_lock;
	//! Open paged files by page table path: -1 while open for writing, else the number of readers.
	std::unordered_map<duckdb::string, int64_t> claims;
};

} // namespace openduck
