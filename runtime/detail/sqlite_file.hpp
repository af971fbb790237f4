// The SQLite store's file companions (sqlite_store.cpp): the lock that keeps a store to one process
// and the background checkpointer of its write-ahead log.
#pragma once

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
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
///
/// Under steady writes a pass never reaches the end of the log (the writer appends while it
/// copies), and SQLite syncs the database file only in a pass that does. So each pass that copied
/// frames is followed by an fdatasync of the database file here, off the writer's thread: the
/// writer's catch-up before a log restart (sqlite_store.cpp) then syncs only what it copies
/// itself. Without it, that catch-up synced every page copied since the last restart (~6.5 s of
/// writes at 5,000 events/s): 15-49 ms stalls of the writer and of every event queued behind it.
///
/// Passes come when the log has grown by `small_pass` frames (checked every 25 ms), or every
/// 200 ms, or back to back in a hurried round. A pass copies everything since the previous one
/// in a burst of CPU (two syscalls per page): once every 200 ms at 5,000 events/s, that burst
/// took a core from the threads that answer clients for ~10-20 ms, a cluster of late answers
/// after every pass and most of the p99 tail (bench/README.md). Small, frequent passes spread
/// the same work; a light log still sees one pass in 200 ms, an idle one none.
///
/// Before its catch-up the writer asks for a hurried round (hurry()): passes back to back until
/// one copies little, so that the catch-up is short too. pause() keeps passes out while the writer
/// catches up and restarts the log, so a restart can never be skipped by a pass running into it.
class checkpointer {
public:
  /// `small_pass`: frames of growth that call for a pass; a hurried round ends with a pass
  /// that copied fewer.
  checkpointer(const std::string& path, int small_pass) : small_pass_{small_pass} {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr)
        != SQLITE_OK) {
      sqlite3_close(db_);
      db_ = nullptr;
      return;
    }
    sqlite3_busy_timeout(db_, 1000);
    file_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);  // fdatasync needs no write access
    // A connection learns that the file is in WAL mode only when it first reads it; until then
    // sqlite3_wal_checkpoint_v2 is a silent no-op and the WAL grows without bound.
    if (file_ < 0
        || sqlite3_exec(db_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr)
             != SQLITE_OK) {
      close_all();
      return;
    }
    thread_ = std::thread{[this] {
      pthread_setname_np(pthread_self(), "aia.checkpoint");
      run();
    }};
  }

  checkpointer(const checkpointer&) = delete;
  checkpointer& operator=(const checkpointer&) = delete;

  ~checkpointer() {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) {
      thread_.join();
    }
    close_all();
  }

  [[nodiscard]] bool running() const noexcept { return db_ != nullptr; }

  /// The frames in the log after a commit (from the writer's WAL hook).
  void log_frames(int frames) noexcept { log_frames_.store(frames, std::memory_order_relaxed); }

  /// Asks for a round of passes back to back, starting now.
  void hurry() {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      hurry_ = true;
      hurried_ = false;
    }
    cv_.notify_one();
  }

  /// True once the round asked for by the last hurry() has ended with a small pass.
  [[nodiscard]] bool hurried() {
    std::lock_guard<std::mutex> guard{mutex_};
    return hurried_;
  }

  /// Waits for a running pass to end and keeps the next one from starting while held.
  [[nodiscard]] std::unique_lock<std::mutex> pause() {
    writer_waits_.store(true);
    std::unique_lock<std::mutex> paused{pass_mutex_};
    writer_waits_.store(false);
    return paused;
  }

private:
  /// One PASSIVE pass (copies what it can without blocking the writer or waiting for readers)
  /// and the sync of what it copied; how many frames it copied.
  int pass() {
    int copied = 0;
    {
      std::lock_guard<std::mutex> guard{pass_mutex_};
      if (writer_waits_.load()) {
        return 0;  // the writer is about to copy everything itself
      }
      int log = 0;
      int backfilled = 0;
      if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &backfilled)
          != SQLITE_OK) {
        return 0;
      }
      // `backfilled` counts from the log's start, which moves back to 0 when the log restarts.
      copied = backfilled >= backfilled_ ? backfilled - backfilled_ : backfilled;
      backfilled_ = backfilled;
    }
    if (copied > 0) {
      ::fdatasync(file_);  // outside the lock: the writer's catch-up need not wait for it
    }
    return copied;
  }

  void run() {
    constexpr int max_round = 8;  // passes; the writer catches up when it is overdue anyway
    constexpr auto tick = std::chrono::milliseconds{25};
    constexpr auto period = std::chrono::milliseconds{200};
    auto last = std::chrono::steady_clock::now();
    int frames_then = 0;  // the log's frames when the last pass started
    std::unique_lock<std::mutex> guard{mutex_};
    while (!stop_) {
      cv_.wait_for(guard, tick, [this] { return stop_ || hurry_; });
      if (stop_) {
        break;
      }
      bool round = hurry_;
      hurry_ = false;
      auto now = std::chrono::steady_clock::now();
      int frames = log_frames_.load(std::memory_order_relaxed);
      int grown = frames >= frames_then ? frames - frames_then : frames;  // fewer: restarted
      if (!round && grown < small_pass_ && now - last < period) {
        continue;
      }
      last = now;
      frames_then = frames;
      guard.unlock();
      int copied = pass();
      for (int n = 1; round && copied >= small_pass_ && n < max_round; ++n) {
        copied = pass();
      }
      guard.lock();
      if (round && !hurry_) {
        hurried_ = true;
      }
    }
  }

  void close_all() {
    if (file_ >= 0) {
      ::close(file_);
      file_ = -1;
    }
    sqlite3_close(db_);
    db_ = nullptr;
  }

  int small_pass_;
  sqlite3* db_ = nullptr;
  int file_ = -1;          ///< the database file, for its fdatasync
  int backfilled_ = 0;     ///< frames of the log copied, as of the last pass
  std::mutex pass_mutex_;  ///< held through a pass, or by the writer through its catch-up
  std::atomic<bool> writer_waits_{false};  ///< in pause(): no pass starts
  std::atomic<int> log_frames_{0};         ///< from log_frames()
  std::mutex mutex_;                       ///< guards the flags below
  std::condition_variable cv_;
  bool stop_ = false;
  bool hurry_ = false;
  bool hurried_ = false;
  std::thread thread_;
};

} // namespace aia::runtime::detail
