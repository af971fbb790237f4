// Files that hold secrets or must never be seen half-written: what the key ring and the audit log
// share. Reading refuses a file group or others may access; writing replaces atomically (temporary
// file, fsync, rename); an exclusive flock on `<file>.lock` orders writers across processes.
#pragma once

#include <cstddef>
#include <filesystem>
#include <limits>
#include <string>
#include <string_view>

namespace aia::privacy::detail {

/// strerror(errno).
[[nodiscard]] std::string errno_text();

/// Throws std::runtime_error("<what> <file>: <why>"), e.g. "key ring /etc/aia/keys: holds no key".
[[noreturn]] void fail_file(std::string_view what, const std::filesystem::path& file,
                            const std::string& why);

/// Writes all of `text` to `fd`, retrying on EINTR; throws std::runtime_error("cannot write: ...").
void write_all(int fd, std::string_view text);

/// Makes a create or rename in `dir` durable (an empty path is the current directory).
void sync_directory(const std::filesystem::path& dir);

/// Refuses (fail_file with `what`) a `file`, open as `fd`, that is not a regular file or that
/// group or others may access at all, as ssh refuses a loose private key.
void refuse_loose_permissions(int fd, const std::filesystem::path& file, std::string_view what);

/// Up to `limit` bytes of `file`, checked by refuse_loose_permissions through the same descriptor
/// (so the file checked is the file read). Errors go through fail_file with `what`; they never
/// quote the content. The caller wipes the result.
[[nodiscard]] std::string read_secret_file(const std::filesystem::path& file, std::string_view what,
                                           std::size_t limit
                                           = std::numeric_limits<std::size_t>::max());

/// Replaces `file` by `bytes` atomically with `mode`: temporary file next to it, fsync, rename,
/// and an fsync of the directory if `durable_rename` (otherwise a crash may bring back the old
/// file). Throws std::runtime_error with the reason alone ("cannot replace: ..."); the caller
/// names the file. Leaves no temporary file behind.
void write_file_atomically(const std::filesystem::path& file, std::string_view bytes, unsigned mode,
                           bool durable_rename = true);

/// Creates `file` holding `bytes` with `mode`, fsynced, unless it exists: then returns false and
/// changes nothing. Throws std::runtime_error with the reason alone; a half-written file is removed.
bool create_file_exclusively(const std::filesystem::path& file, std::string_view bytes,
                             unsigned mode);

/// An exclusive flock on `<file>.lock` (created with mode 0600), released on destruction. With
/// `wait` it blocks until the lock is free; without, a held lock fails at once ("in use: another
/// writer holds <file>.lock"). Errors go through fail_file with `what` and `file`.
class exclusive_lock {
public:
  exclusive_lock(const std::filesystem::path& file, std::string_view what, bool wait);
  exclusive_lock(const exclusive_lock&) = delete;
  exclusive_lock& operator=(const exclusive_lock&) = delete;
  ~exclusive_lock();  // closing releases the lock

private:
  int fd_ = -1;
};

} // namespace aia::privacy::detail
