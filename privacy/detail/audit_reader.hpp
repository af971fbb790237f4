// Reading an audit log file: its lines in chunks, its head anchor, verification against the key
// and the entries a filter picks. No lock is taken: a writer may be appending meanwhile.
#pragma once

#include "privacy/audit_log.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aia::privacy::detail {

/// Throws std::runtime_error("audit log <file>: <what>").
[[noreturn]] void fail_log(const std::filesystem::path& file, const std::string& what);

/// The content of a small file (at most `limit` bytes read), or nullopt if it does not exist.
[[nodiscard]] std::optional<std::string> read_small_file(const std::filesystem::path& file,
                                                         std::size_t limit);

/// How scan_lines ended.
struct scan_result {
  std::uint64_t bytes = 0;  ///< bytes read
  std::uint64_t tail = 0;   ///< of them, an unterminated last line
  bool stopped = false;     ///< on_line returned false
};

/// Calls `on_line` with each '\n'-terminated line (without the '\n') in the first `limit` bytes
/// of `fd`, from its current offset, until it returns false. `file` names `fd` in errors.
scan_result scan_lines(int fd, const std::filesystem::path& file, std::uint64_t limit,
                       const std::function<bool(std::string_view)>& on_line);

/// Verifies `log` and its head anchor under `key` (the anchor is read first).
[[nodiscard]] verify_result verify_with_key(const std::filesystem::path& log,
                                            std::string_view key);

/// The entries in the first `limit` bytes of `log` that match `filter`; macs are not checked.
[[nodiscard]] std::vector<audit_entry> read_entries(const std::filesystem::path& log,
                                                    std::uint64_t limit,
                                                    const audit_filter& filter);

} // namespace aia::privacy::detail
