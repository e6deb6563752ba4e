#include "paged/paged_file_system.hpp"

#include "paged/paged_file_handle.hpp"

#include "duckdb/common/exception.hpp"
#include "duckdb/common/string_util.hpp"
#include "duckdb/common/types/timestamp.hpp"

#include <climits>
#include <cstdlib>

namespace openduck {

using namespace duckdb;

namespace {

//! A local file opened through an `odpages:` path. It keeps the prefixed path, which is the one DuckDB checks
//! against its allowed paths and derives other paths from, and forwards everything to the local file system's
//! handle.
class PassThroughFileHandle : public FileHandle {
public:
	PassThroughFileHandle(FileSystem &file_system, const string &path, unique_ptr<FileHandle> inner_p)
	    : FileHandle(file_system, path, inner_p->GetFlags()), inner(std::move(inner_p)) {
	}
	void Close() override {
		inner->Close();
	}

	unique_ptr<FileHandle> inner;
};

PagedFileHandle *AsPaged(FileHandle &handle) {
	return dynamic_cast<PagedFileHandle *>(&handle);
}

FileHandle &Inner(FileHandle &handle) {
	return *handle.Cast<PassThroughFileHandle>().inner;
}

} // namespace

PagedFileSystem::PagedFileSystem() : local(FileSystem::CreateLocal()) {
}

string PagedFileSystem::LocalPath(const string &path) {
	D_ASSERT(StringUtil::StartsWith(path, PREFIX));
	return path.substr(strlen(PREFIX));
}

bool PagedFileSystem::IsPaged(const string &local_path) {
	return local->FileExists(local_path + ".pages");
}

bool PagedFileSystem::CanHandleFile(const string &path) {
	return StringUtil::StartsWith(path, PREFIX);
}

std::shared_ptr<void> PagedFileSystem::Claim(const string &table_path, bool write, const string &path) {
	// Two spellings of one file must meet in the same entry.
	string key = table_path;
	if (auto resolved = ::realpath(table_path.c_str(), nullptr)) {
		key = resolved;
		std::free(resolved);
	}
	std::lock_guard<std::mutex> guard(claims_lock);
	auto &count = claims[key];
	if (count < 0 || (write && count > 0)) {
		throw IOException("Could not set lock on file \"%s\": the paged file is already open %s in this process", path,
		                  count < 0 ? "for writing" : "for reading");
	}
	count = write ? -1 : count + 1;
	return std::shared_ptr<void>(nullptr, [this, key, write](void *) {
		std::lock_guard<std::mutex> release_guard(claims_lock);
		auto entry = claims.find(key);
		if (write || --entry->second == 0) {
			claims.erase(entry);
		}
	});
}

unique_ptr<FileHandle> PagedFileSystem::OpenFile(const string &path, FileOpenFlags flags,
                                                 optional_ptr<FileOpener> opener) {
	auto local_path = LocalPath(path);
	if (!IsPaged(local_path)) {
		// Under enable_external_access = false DuckDB still allows every attached database's `<db>.wal`, so
		// `COPY ... TO '<db>.wal' (USE_TMP_FILE false)` would truncate a live WAL (plain DuckDB 1.4.4 allows that
		// too). DuckDB itself only appends to a WAL.
		if (flags.OverwriteExistingFile() && StringUtil::EndsWith(local_path, ".wal") &&
		    IsPaged(local_path.substr(0, local_path.size() - 4))) {
			throw PermissionException("Cannot overwrite \"%s\": it is the WAL of a paged OpenDuck database", path);
		}
		auto inner = local->OpenFile(local_path, flags, opener);
		if (!inner) {
			return nullptr;
		}
		return make_uniq<PassThroughFileHandle>(*this, path, std::move(inner));
	}
	if (flags.ExclusiveCreate()) {
		if (flags.ReturnNullIfExists()) {
			return nullptr;
		}
		throw IOException("Could not create \"%s\": the file already exists", path);
	}
	// DuckDB's storage opens its database file for positional writes only. Overwriting or appending (COPY ... TO the
	// database's own path) would destroy the database, so it is refused.
	if (flags.OpenForWriting() && (flags.OverwriteExistingFile() || flags.OpenForAppending())) {
		throw PermissionException("Cannot overwrite or append to \"%s\": it is a paged OpenDuck database file", path);
	}
	return make_uniq<PagedFileHandle>(*this, path, local_path, flags);
}

void PagedFileSystem::Read(FileHandle &handle, void *buffer, int64_t nr_bytes, idx_t location) {
	if (auto paged = AsPaged(handle)) {
		paged->ReadAt(buffer, NumericCast<uint64_t>(nr_bytes), location);
		return;
	}
	auto &inner = Inner(handle);
	inner.file_system.Read(inner, buffer, nr_bytes, location);
}

void PagedFileSystem::Write(FileHandle &handle, void *buffer, int64_t nr_bytes, idx_t location) {
	if (auto paged = AsPaged(handle)) {
		paged->WriteAt(buffer, NumericCast<uint64_t>(nr_bytes), location);
		return;
	}
	auto &inner = Inner(handle);
	inner.file_system.Write(inner, buffer, nr_bytes, location);
}

int64_t PagedFileSystem::Read(FileHandle &handle, void *buffer, int64_t nr_bytes) {
	if (auto paged = AsPaged(handle)) {
		auto length = paged->Length();
		auto available = paged->position < length ? length - paged->position : 0;
		auto size = std::min(NumericCast<uint64_t>(nr_bytes), available);
		paged->ReadAt(buffer, size, paged->position);
		paged->position += size;
		return NumericCast<int64_t>(size);
	}
	auto &inner = Inner(handle);
	return inner.file_system.Read(inner, buffer, nr_bytes);
}

int64_t PagedFileSystem::Write(FileHandle &handle, void *buffer, int64_t nr_bytes) {
	if (auto paged = AsPaged(handle)) {
		paged->WriteAt(buffer, NumericCast<uint64_t>(nr_bytes), paged->position);
		paged->position += NumericCast<uint64_t>(nr_bytes);
		return nr_bytes;
	}
	auto &inner = Inner(handle);
	return inner.file_system.Write(inner, buffer, nr_bytes);
}

bool PagedFileSystem::Trim(FileHandle &handle, idx_t offset_bytes, idx_t length_bytes) {
	// Trimming is optional (DuckDB releases freed blocks with it). A paged file keeps freed pages as they are: the
	// dirty ones are uploaded with whatever they hold, which DuckDB never reads again.
	if (AsPaged(handle)) {
		return false;
	}
	auto &inner = Inner(handle);
	return inner.file_system.Trim(inner, offset_bytes, length_bytes);
}

int64_t PagedFileSystem::GetFileSize(FileHandle &handle) {
	if (auto paged = AsPaged(handle)) {
		return NumericCast<int64_t>(paged->Length());
	}
	auto &inner = Inner(handle);
	return inner.file_system.GetFileSize(inner);
}

timestamp_t PagedFileSystem::GetLastModifiedTime(FileHandle &handle) {
	if (auto paged = AsPaged(handle)) {
		return Timestamp::FromEpochMicroSeconds(paged->ModifiedMicros());
	}
	auto &inner = Inner(handle);
	return inner.file_system.GetLastModifiedTime(inner);
}

FileType PagedFileSystem::GetFileType(FileHandle &handle) {
	if (AsPaged(handle)) {
		return FileType::FILE_TYPE_REGULAR;
	}
	auto &inner = Inner(handle);
	return inner.file_system.GetFileType(inner);
}

void PagedFileSystem::Truncate(FileHandle &handle, int64_t new_size) {
	if (auto paged = AsPaged(handle)) {
		paged->Truncate(NumericCast<uint64_t>(new_size));
		return;
	}
	auto &inner = Inner(handle);
	inner.file_system.Truncate(inner, new_size);
}

void PagedFileSystem::FileSync(FileHandle &handle) {
	if (auto paged = AsPaged(handle)) {
		paged->Sync();
		return;
	}
	auto &inner = Inner(handle);
	inner.file_system.FileSync(inner);
}

void PagedFileSystem::Seek(FileHandle &handle, idx_t location) {
	if (auto paged = AsPaged(handle)) {
		paged->position = location;
		return;
	}
	auto &inner = Inner(handle);
	inner.file_system.Seek(inner, location);
}

idx_t PagedFileSystem::SeekPosition(FileHandle &handle) {
	if (auto paged = AsPaged(handle)) {
		return paged->position;
	}
	auto &inner = Inner(handle);
	return inner.file_system.SeekPosition(inner);
}

bool PagedFileSystem::CanSeek() {
	return true;
}

bool PagedFileSystem::OnDiskFile(FileHandle &handle) {
	if (AsPaged(handle)) {
		return true;
	}
	auto &inner = Inner(handle);
	return inner.file_system.OnDiskFile(inner);
}

bool PagedFileSystem::DirectoryExists(const string &directory, optional_ptr<FileOpener> opener) {
	return local->DirectoryExists(LocalPath(directory), opener);
}

void PagedFileSystem::CreateDirectory(const string &directory, optional_ptr<FileOpener> opener) {
	local->CreateDirectory(LocalPath(directory), opener);
}

void PagedFileSystem::RemoveDirectory(const string &directory, optional_ptr<FileOpener> opener) {
	local->RemoveDirectory(LocalPath(directory), opener);
}

bool PagedFileSystem::ListFiles(const string &directory, const std::function<void(const string &, bool)> &callback,
                                FileOpener *opener) {
	return local->ListFiles(LocalPath(directory), callback, opener);
}

void PagedFileSystem::RefuseChange(const string &action, const string &path) {
	throw PermissionException("Cannot %s \"%s\": it is a paged OpenDuck database file, whose files belong to the worker",
	                          action, path);
}

void PagedFileSystem::MoveFile(const string &source, const string &target, optional_ptr<FileOpener> opener) {
	auto local_source = LocalPath(source);
	auto local_target = CanHandleFile(target) ? LocalPath(target) : target;
	if (IsPaged(local_source)) {
		RefuseChange("move", source);
	}
	if (IsPaged(local_target)) {
		RefuseChange("replace", target);
	}
	local->MoveFile(local_source, local_target, opener);
}

bool PagedFileSystem::FileExists(const string &filename, optional_ptr<FileOpener> opener) {
	auto local_path = LocalPath(filename);
	return IsPaged(local_path) || local->FileExists(local_path, opener);
}

bool PagedFileSystem::IsPipe(const string &filename, optional_ptr<FileOpener> opener) {
	auto local_path = LocalPath(filename);
	return !IsPaged(local_path) && local->IsPipe(local_path, opener);
}

void PagedFileSystem::RemoveFile(const string &filename, optional_ptr<FileOpener> opener) {
	auto local_path = LocalPath(filename);
	if (IsPaged(local_path)) {
		RefuseChange("remove", filename);
	}
	local->RemoveFile(local_path, opener);
}

bool PagedFileSystem::TryRemoveFile(const string &filename, optional_ptr<FileOpener> opener) {
	auto local_path = LocalPath(filename);
	if (IsPaged(local_path)) {
		RefuseChange("remove", filename);
	}
	return local->TryRemoveFile(local_path, opener);
}

vector<OpenFileInfo> PagedFileSystem::Glob(const string &path, FileOpener *opener) {
	auto local_path = LocalPath(path);
	// A paged file has no local file of its name, so only a literal path can find it.
	if (!HasGlob(local_path) && IsPaged(local_path)) {
		return {OpenFileInfo(path)};
	}
	auto result = local->Glob(local_path, opener);
	for (auto &info : result) {
		info.path = PREFIX + info.path;
	}
	return result;
}

} // namespace openduck
