// The SQLite store's file companions (sqlite_store.cpp): the lock that keeps a store to one process
// and the background checkpointer of its write-ahead log.
#pragma once

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace aia::runtime::detail {

/// An exclusive flock on `<path>.lock` for the store's life: a second process opening the same
/// store (a node, aia-keys reencrypt) fails at once instead of mixing its writes in.
class store_lock {
public:
  explicit store_lock(const std::string& path) {
    auto lock_path = path + ".lock";
    fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      throw std::runtime_error("cannot open store " + path + ": " + std::strerror(errno));
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      std::string reason = errno == EWOULDBLOCK ? "in use by another process (a running node?)"
                                                : std::strerror(errno);
      ::close(fd_);
      throw std::runtime_error("cannot open store " + path + ": " + reason);
    }
  }
  store_lock(const store_lock&) = delete;
  store_lock& operator=(const store_lock&) = delete;
  ~store_lock() { ::close(fd_); }  // closing releases the lock

private:
  int fd_ = -1;
};

/// Checkpoints the WAL into the database file from its own connection and thread, so the
/// writer never stalls on a checkpoint (with synchronous=NORMAL the checkpoint is where SQLite
/// syncs; inline, it held every commit behind it for several milliseconds).
class checkpointer {
public:
  explicit checkpointer(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr)
        != SQLITE_OK) {
      sqlite3_close(db_);
      db_ = nullptr;
      return;
    }
    sqlite3_busy_timeout(db_, 1000);
    // A connection learns that the file is in WAL mode only when it first reads it; until then
    // sqlite3_wal_checkpoint_v2 is a silent no-op and the WAL grows without bound.
    if (sqlite3_exec(db_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr)
        != SQLITE_OK) {
      sqlite3_close(db_);
      db_ = nullptr;
      return;
    }
    thread_ = std::thread{[this] {
      pthread_setname_np(pthread_self(), "aia.checkpoint");
      run();
    }};
  }

  ~checkpointer() {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) {
      thread_.join();
    }
    sqlite3_close(db_);
  }

  [[nodiscard]] bool running() const noexcept { return db_ != nullptr; }

private:
  void checkpoint() {
    // PASSIVE copies what it can without blocking the writer or waiting for readers.
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }

  void run() {
    std::unique_lock<std::mutex> guard{mutex_};
    while (!cv_.wait_for(guard, std::chrono::milliseconds{200}, [this] { return stop_; })) {
      guard.unlock();
      checkpoint();
      guard.lock();
    }
  }

  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

} // namespace aia::runtime::detail
