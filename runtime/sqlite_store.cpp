// The embedded store backend: SQLite in WAL mode, one file under the data directory; values
// sealed with privacy::sealer.
#include "runtime/store.hpp"

#include "privacy/sealing.hpp"
#include "runtime/detail/sqlite_util.hpp"
#include "runtime/log.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace aia::runtime {

namespace {

using detail::event_payloads;
using detail::exec;
using detail::exec_checked;
using detail::finish;
using detail::sealed_column;
using detail::snapshot_data;
using detail::statement;

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS events (
  user_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  client_id TEXT NOT NULL,
  client_seq INTEGER NOT NULL,
  ts REAL NOT NULL,
  stored_at REAL NOT NULL,
  payload BLOB NOT NULL,
  PRIMARY KEY (user_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS snapshots (
  user_id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  data BLOB NOT NULL,
  updated_at REAL NOT NULL
) WITHOUT ROWID;
)sql";

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

class sqlite_store final : public store {
public:
  sqlite_store(const std::string& path, sqlite_sync sync,
               std::shared_ptr<const privacy::sealer> sealer, int wal_restart_frames)
    : lock_{path}, sealer_{std::move(sealer)}, wal_restart_frames_{wal_restart_frames} {
    if (!sealer_) {
      throw std::invalid_argument("open_sqlite_store: no sealer");
    }
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                                | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
      std::string reason = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error("cannot open store " + path + ": " + reason);
    }
    // Small pages: a commit writes every page it touches to the WAL, and the events of one
    // commit are spread over as many pages as it has users (a new file only; no effect later).
    exec(db_, "PRAGMA page_size=1024");
    exec(db_, "PRAGMA journal_mode=WAL");
    exec(db_, sync == sqlite_sync::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    exec(db_, "PRAGMA busy_timeout=5000");
    // Once checkpointed, the WAL restarts from its beginning; this trims the file back as well.
    // No journal_size_limit: truncating the log on restart stalled commits for ~100 ms (ext4).
    exec(db_, schema);
    // The hook replaces SQLite's auto-checkpoint, which would run inside every commit; if the
    // background checkpointer cannot start, the limit in write() still bounds the log.
    sqlite3_wal_hook(db_, &sqlite_store::on_wal_commit, this);
    checkpoints_ = std::make_unique<checkpointer>(path);
    insert_event_ = std::make_unique<statement>(
      db_, "INSERT INTO events (user_id, seq, client_id, client_seq, ts, stored_at, payload) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    upsert_snapshot_ = std::make_unique<statement>(
      db_, "INSERT INTO snapshots (user_id, seq, data, updated_at) VALUES (?1, ?2, ?3, ?4) "
           "ON CONFLICT(user_id) DO UPDATE SET seq = excluded.seq, data = excluded.data, "
           "updated_at = excluded.updated_at WHERE excluded.seq >= snapshots.seq");
    select_snapshot_ = std::make_unique<statement>(
      db_, "SELECT seq, data, updated_at FROM snapshots WHERE user_id = ?1");
    select_events_ = std::make_unique<statement>(
      db_, "SELECT seq, client_id, client_seq, ts, stored_at, payload FROM events "
           "WHERE user_id = ?1 AND seq > ?2 ORDER BY seq");
    count_users_ = std::make_unique<statement>(
      db_, "SELECT COUNT(*) FROM (SELECT user_id FROM events UNION SELECT user_id FROM snapshots)");
  }

  ~sqlite_store() override {
    checkpoints_.reset();
    insert_event_.reset();
    upsert_snapshot_.reset();
    select_snapshot_.reset();
    select_events_.reset();
    count_users_.reset();
    sqlite3_close(db_);
  }

  std::optional<store_error> write(const std::vector<stored_event>& events,
                                   const std::vector<snapshot_record>& snapshots) override {
    if (auto err = exec_checked(db_, "BEGIN IMMEDIATE")) {
      return err;
    }
    try {
      if (auto err = insert_all(events, snapshots)) {
        return rollback(*err);
      }
    } catch (const std::exception& e) {
      return rollback(store_error{std::string{"sealing failed: "} + e.what()});  // no data in it
    }
    if (auto err = exec_checked(db_, "COMMIT")) {
      return rollback(*err);
    }
    if (wal_frames_ > wal_restart_frames_) {
      // The background checkpointer never catches up with a log that commits keep extending,
      // and the log restarts from its beginning only once every frame is copied: past the
      // limit, the writer copies the rest itself (what came since the last background pass),
      // so that its next commit restarts the log. This bounds the file; it costs this commit
      // a few milliseconds.
      sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      wal_frames_ = 0;
    }
    return std::nullopt;
  }

  user_history load(const std::string& user_id) override {
    user_history out;
    std::uint64_t after = 0;
    {
      auto& st = *select_snapshot_;
      st.bind(1, user_id);
      if (st.step() == SQLITE_ROW) {
        auto seq = st.u64(0);
        out.snapshot = snapshot_record{user_id, seq, unseal(out, snapshot_data, user_id, seq,
                                                            st.blob(1)), st.real(2)};
        after = seq;
      }
      st.reset();
    }
    auto& st = *select_events_;
    st.bind(1, user_id);
    st.bind(2, after);
    while (st.step() == SQLITE_ROW) {
      auto seq = st.u64(0);
      out.events.push_back(stored_event{user_id, seq, st.text(1), st.u64(2), st.real(3),
                                        st.real(4),
                                        unseal(out, event_payloads, user_id, seq, st.blob(5))});
    }
    st.reset();
    return out;
  }

  std::uint64_t user_count() override {
    auto& st = *count_users_;
    std::uint64_t n = st.step() == SQLITE_ROW ? st.u64(0) : 0;
    st.reset();
    return n;
  }

  const char* backend() const noexcept override { return "sqlite"; }

  /// Seals again every value of both columns that is not under the newest key (the pass is in
  /// sqlite_reseal.cpp).
  reseal_counts reseal(std::size_t batch) { return detail::reseal_columns(db_, *sealer_, batch); }

private:
  /// Seals and inserts the values of one write (inside its transaction).
  std::optional<store_error> insert_all(const std::vector<stored_event>& events,
                                        const std::vector<snapshot_record>& snapshots) {
    for (const auto& e : events) {
      auto sealed = sealer_->seal(event_payloads.purpose, e.user_id, e.payload);
      auto& st = *insert_event_;
      st.bind(1, e.user_id);
      st.bind(2, e.seq);
      st.bind(3, e.client_id);
      st.bind(4, e.client_seq);
      st.bind(5, e.timestamp);
      st.bind(6, e.stored_at);
      st.bind(7, sealed);
      if (auto err = finish(db_, st)) {
        return err;
      }
    }
    for (const auto& s : snapshots) {
      auto sealed = sealer_->seal(snapshot_data.purpose, s.user_id, s.data);
      auto& st = *upsert_snapshot_;
      st.bind(1, s.user_id);
      st.bind(2, s.seq);
      st.bind(3, sealed);
      st.bind(4, s.updated_at);
      if (auto err = finish(db_, st)) {
        return err;
      }
    }
    return std::nullopt;
  }

  /// Opens one stored value. On failure it logs, marks `out` unreadable and gives no bytes: a
  /// tampered value is reported, never used.
  std::vector<std::uint8_t> unseal(user_history& out, const sealed_column& column,
                                   const std::string& user_id, std::uint64_t seq,
                                   const std::vector<std::uint8_t>& sealed) {
    auto opened = sealer_->open(column.purpose, user_id, sealed);
    if (auto* plain = std::get_if<std::vector<std::uint8_t>>(&opened)) {
      return std::move(*plain);
    }
    const char* code = privacy::to_string(std::get<privacy::sealing_errc>(opened));
    // Neither the value nor the user id is logged (ids may be e-mail addresses); `aia-keys
    // reencrypt` lists the rows that do not open, with their user ids, to the operator.
    log::error("store.value_unreadable",
               {{"column", column.purpose}, {"seq", seq}, {"errc", code}});
    if (!out.unreadable) {
      out.unreadable = store_error{std::string{column.purpose} + " of seq " + std::to_string(seq)
                                   + " does not open: " + code};
    }
    return {};
  }

  static int on_wal_commit(void* self, sqlite3*, const char*, int frames) {
    static_cast<sqlite_store*>(self)->wal_frames_ = frames;
    return SQLITE_OK;
  }

  std::optional<store_error> rollback(store_error err) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return err;
  }

  store_lock lock_;  ///< first: released last, after the database is closed
  std::shared_ptr<const privacy::sealer> sealer_;
  int wal_restart_frames_;
  int wal_frames_ = 0;  ///< frames in the WAL after the last commit (from the WAL hook)
  sqlite3* db_ = nullptr;
  std::unique_ptr<checkpointer> checkpoints_;
  std::unique_ptr<statement> insert_event_;
  std::unique_ptr<statement> upsert_snapshot_;
  std::unique_ptr<statement> select_snapshot_;
  std::unique_ptr<statement> select_events_;
  std::unique_ptr<statement> count_users_;
};

} // namespace

std::unique_ptr<store> open_sqlite_store(const std::string& path, sqlite_sync sync,
                                         std::shared_ptr<const privacy::sealer> sealer,
                                         int wal_restart_frames) {
  return std::make_unique<sqlite_store>(path, sync, std::move(sealer), wal_restart_frames);
}

std::unique_ptr<store> open_sqlite_store(const std::string& path, sqlite_sync sync,
                                         int wal_restart_frames) {
  // One key for the process, so that tests can close and reopen a store.
  static const auto process_sealer = std::make_shared<const privacy::sealer>(
    privacy::key_ring::ephemeral(static_cast<std::int64_t>(std::time(nullptr))));
  return open_sqlite_store(path, sync, process_sealer, wal_restart_frames);
}

reseal_counts reseal_sqlite_store(const std::string& path,
                                  std::shared_ptr<const privacy::sealer> sealer,
                                  std::size_t batch) {
  sqlite_store st{path, sqlite_sync::full, std::move(sealer), sqlite_wal_restart_frames};
  return st.reseal(batch);
}

} // namespace aia::runtime
