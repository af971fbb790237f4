// Reading an audit log: chunked line scanning, the anchor file, verification and filtered reads.
#include "privacy/detail/audit_reader.hpp"

#include "privacy/detail/audit_anchor.hpp"
#include "privacy/detail/audit_codec.hpp"
#include "privacy/detail/secret_file.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace aia::privacy::detail {

namespace fs = std::filesystem;

namespace {

/// Up to `limit` bytes of `fd`, from its current offset.
std::string read_fd(int fd, const fs::path& file, std::size_t limit) {
  std::string text(limit, '\0');
  std::size_t done = 0;
  while (done < limit) {
    auto n = ::read(fd, text.data() + done, limit - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      auto reason = errno_text();
      OPENSSL_cleanse(text.data(), text.size());
      throw std::runtime_error("cannot read " + file.string() + ": " + reason);
    }
    if (n == 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  text.resize(done);
  return text;
}

} // namespace

void fail_log(const fs::path& file, const std::string& what) {
  fail_file("audit log", file, what);
}

std::optional<std::string> read_small_file(const fs::path& file, std::size_t limit) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw std::runtime_error("cannot open " + file.string() + ": " + errno_text());
  }
  try {
    auto text = read_fd(fd, file, limit);
    ::close(fd);
    return text;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

scan_result scan_lines(int fd, const fs::path& file, std::uint64_t limit,
                       const std::function<bool(std::string_view)>& on_line) {
  scan_result r;
  std::string partial;
  std::vector<char> chunk(std::size_t{1} << 16);
  while (r.bytes < limit) {
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), limit - r.bytes));
    auto n = ::read(fd, chunk.data(), want);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      fail_log(file, "cannot read: " + errno_text());
    }
    if (n == 0) {
      break;
    }
    r.bytes += static_cast<std::uint64_t>(n);
    const char* p = chunk.data();
    const char* end = p + n;
    while (p < end) {
      auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
      if (nl == nullptr) {
        partial.append(p, end);
        break;
      }
      std::string_view line{p, static_cast<std::size_t>(nl - p)};
      if (!partial.empty()) {
        partial.append(p, nl);
        line = partial;
      }
      p = nl + 1;
      bool go_on = on_line(line);
      partial.clear();
      if (!go_on) {
        r.stopped = true;
        return r;
      }
    }
  }
  r.tail = partial.size();
  return r;
}

verify_result verify_with_key(const fs::path& log, std::string_view key) {
  // The anchor first: a writer replaces it only after the log holds what it records.
  auto head_text = read_small_file(head_path_of(log), 4096);
  chain_verifier v{key, head_text};
  int fd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail_log(log, "cannot open: " + errno_text());
  }
  scan_result scan;
  try {
    scan = scan_lines(fd, log, std::numeric_limits<std::uint64_t>::max(),
                      [&v](std::string_view line) { return v.feed(line); });
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return v.finish(scan.stopped ? 0 : scan.tail);
}

std::vector<audit_entry> read_entries(const fs::path& log, std::uint64_t limit,
                                      const audit_filter& filter) {
  int fd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail_log(log, "cannot open: " + errno_text());
  }
  std::vector<audit_entry> out;
  std::uint64_t no = 0;
  try {
    scan_lines(fd, log, limit, [&](std::string_view line) {
      ++no;
      audit_entry e;
      try {
        e = parse_line(line);
      } catch (const std::invalid_argument& x) {
        fail_log(log, "line " + std::to_string(no) + " does not parse: " + x.what());
      }
      if (matches(e, filter)) {
        out.push_back(std::move(e));
      }
      return true;
    });
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return out;
}

} // namespace aia::privacy::detail
