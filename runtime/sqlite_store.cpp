// The embedded store backend: SQLite in WAL mode, one file under the data directory.
#include "runtime/store.hpp"

#include <pthread.h>
#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace aia::runtime {

namespace {

/// Owns one prepared statement; resets it after each use.
class statement {
public:
  statement(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string{"sqlite prepare: "} + sqlite3_errmsg(db));
    }
  }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement() { sqlite3_finalize(stmt_); }

  sqlite3_stmt* get() const noexcept { return stmt_; }

  void bind(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_STATIC);
  }
  void bind(int i, std::uint64_t x) { sqlite3_bind_int64(stmt_, i, static_cast<sqlite3_int64>(x)); }
  void bind(int i, double x) { sqlite3_bind_double(stmt_, i, x); }
  void bind(int i, const std::vector<std::uint8_t>& b) {
    sqlite3_bind_blob(stmt_, i, b.data(), static_cast<int>(b.size()), SQLITE_STATIC);
  }
  /// Steps once; returns SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  std::string text(int col) const {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string{};
  }
  std::uint64_t u64(int col) const {
    return static_cast<std::uint64_t>(sqlite3_column_int64(stmt_, col));
  }
  double real(int col) const { return sqlite3_column_double(stmt_, col); }
  std::vector<std::uint8_t> blob(int col) const {
    auto p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
    auto n = static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col));
    return p ? std::vector<std::uint8_t>(p, p + n) : std::vector<std::uint8_t>{};
  }

private:
  sqlite3_stmt* stmt_ = nullptr;
};

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
  sqlite_store(const std::string& path, sqlite_sync sync, int wal_restart_frames)
    : wal_restart_frames_{wal_restart_frames} {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                                | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
      std::string reason = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error("cannot open store " + path + ": " + reason);
    }
    // Small pages: a commit writes every page it touches to the WAL, and the events of one
    // commit are spread over as many pages as it has users (a new file only; no effect later).
    exec("PRAGMA page_size=1024");
    exec("PRAGMA journal_mode=WAL");
    exec(sync == sqlite_sync::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    exec("PRAGMA busy_timeout=5000");
    // Once checkpointed, the WAL restarts from its beginning; this trims the file back as well.
    // No journal_size_limit: truncating the log on restart stalled commits for ~100 ms (ext4).
    exec(schema);
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
    if (auto err = exec_checked("BEGIN IMMEDIATE")) {
      return err;
    }
    for (const auto& e : events) {
      auto& st = *insert_event_;
      st.bind(1, e.user_id);
      st.bind(2, e.seq);
      st.bind(3, e.client_id);
      st.bind(4, e.client_seq);
      st.bind(5, e.timestamp);
      st.bind(6, e.stored_at);
      st.bind(7, e.payload);
      if (auto err = finish(st)) {
        return rollback(*err);
      }
    }
    for (const auto& s : snapshots) {
      auto& st = *upsert_snapshot_;
      st.bind(1, s.user_id);
      st.bind(2, s.seq);
      st.bind(3, s.data);
      st.bind(4, s.updated_at);
      if (auto err = finish(st)) {
        return rollback(*err);
      }
    }
    if (auto err = exec_checked("COMMIT")) {
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
        out.snapshot = snapshot_record{user_id, st.u64(0), st.blob(1), st.real(2)};
        after = out.snapshot->seq;
      }
      st.reset();
    }
    auto& st = *select_events_;
    st.bind(1, user_id);
    st.bind(2, after);
    while (st.step() == SQLITE_ROW) {
      out.events.push_back(
        stored_event{user_id, st.u64(0), st.text(1), st.u64(2), st.real(3), st.real(4),
                     st.blob(5)});
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

private:
  static int on_wal_commit(void* self, sqlite3*, const char*, int frames) {
    static_cast<sqlite_store*>(self)->wal_frames_ = frames;
    return SQLITE_OK;
  }

  void exec(const char* sql) {
    if (auto err = exec_checked(sql)) {
      throw std::runtime_error("sqlite: " + err->message);
    }
  }

  std::optional<store_error> exec_checked(const char* sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
      store_error err{msg ? msg : sqlite3_errmsg(db_)};
      sqlite3_free(msg);
      return err;
    }
    return std::nullopt;
  }

  std::optional<store_error> finish(statement& st) {
    int rc = st.step();
    std::optional<store_error> err;
    if (rc != SQLITE_DONE) {
      err = store_error{sqlite3_errmsg(db_)};
    }
    st.reset();
    return err;
  }

  std::optional<store_error> rollback(store_error err) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return err;
  }

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
                                         int wal_restart_frames) {
  return std::make_unique<sqlite_store>(path, sync, wal_restart_frames);
}

} // namespace aia::runtime
