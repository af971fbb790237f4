// Secret files and atomic replacement, shared by the key ring and the audit log.
#include "privacy/detail/secret_file.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace aia::privacy::detail {

namespace fs = std::filesystem;

std::string errno_text() {
  return std::strerror(errno);
}

void fail_file(std::string_view what, const fs::path& file, const std::string& why) {
  throw std::runtime_error(std::string{what} + " " + file.string() + ": " + why);
}

void write_all(int fd, std::string_view text) {
  std::size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      throw std::runtime_error("cannot write: " + errno_text());
    }
    done += static_cast<std::size_t>(n);
  }
}

void sync_directory(const fs::path& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void refuse_loose_permissions(int fd, const fs::path& file, std::string_view what) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    fail_file(what, file, "not a regular file");
  }
  if ((st.st_mode & 0077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    fail_file(what, file,
              std::string{"group or others may access it (mode "} + mode + "): chmod 600 it");
  }
}

std::string read_secret_file(const fs::path& file, std::string_view what, std::size_t limit) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail_file(what, file, "cannot open: " + errno_text());
  }
  try {
    refuse_loose_permissions(fd, file, what);
  } catch (...) {
    ::close(fd);
    throw;
  }
  std::string text;
  std::array<char, 4096> buf{};
  ssize_t n = 0;
  while (text.size() < limit) {
    n = ::read(fd, buf.data(), std::min(buf.size(), limit - text.size()));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    text.append(buf.data(), static_cast<std::size_t>(n));
  }
  OPENSSL_cleanse(buf.data(), buf.size());
  int read_errno = errno;
  ::close(fd);
  if (n < 0) {
    OPENSSL_cleanse(text.data(), text.size());
    text.clear();
    errno = read_errno;
    fail_file(what, file, "cannot read: " + errno_text());
  }
  return text;
}

void write_file_atomically(const fs::path& file, std::string_view bytes, unsigned mode,
                           bool durable_rename) {
  auto tmp = file.string() + ".XXXXXX";
  int fd = ::mkstemp(tmp.data());  // created with mode 0600
  if (fd < 0) {
    throw std::runtime_error("cannot create a temporary file next to it: " + errno_text());
  }
  try {
    write_all(fd, bytes);
    if (::fchmod(fd, static_cast<mode_t>(mode)) != 0 || ::fsync(fd) != 0) {
      throw std::runtime_error("cannot sync: " + errno_text());
    }
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), file.c_str()) != 0) {
    auto reason = errno_text();
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot replace: " + reason);
  }
  if (durable_rename) {
    sync_directory(file.parent_path());
  }
}

bool create_file_exclusively(const fs::path& file, std::string_view bytes, unsigned mode) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) {
    if (errno == EEXIST) {
      return false;
    }
    throw std::runtime_error(errno_text());
  }
  std::string error;
  try {
    write_all(fd, bytes);
    if (::fchmod(fd, static_cast<mode_t>(mode)) != 0 || ::fsync(fd) != 0) {
      error = errno_text();
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  ::close(fd);
  if (!error.empty()) {
    ::unlink(file.c_str());
    throw std::runtime_error(error);
  }
  sync_directory(file.parent_path());
  return true;
}

exclusive_lock::exclusive_lock(const fs::path& file, std::string_view what, bool wait) {
  auto path = file.string() + ".lock";
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    fail_file(what, file, "cannot create the lock file " + path + ": " + errno_text());
  }
  while (::flock(fd_, wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0) {
    if (errno != EINTR) {
      auto busy = errno == EWOULDBLOCK;
      auto reason = errno_text();
      ::close(fd_);
      fail_file(what, file,
                busy && !wait ? "in use: another writer holds " + path
                              : "cannot lock " + path + ": " + reason);
    }
  }
}

exclusive_lock::~exclusive_lock() {
  ::close(fd_);
}

} // namespace aia::privacy::detail
