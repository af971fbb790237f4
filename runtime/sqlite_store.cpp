// The embedded store backend: SQLite in WAL mode, one file under the data directory; values
// sealed with privacy::sealer.
//
// Erasure and free pages: the connection runs with secure_delete on, so the cells and pages an
// erase_user or expire_events frees are overwritten with zeros in the database file (at the next
// checkpoint). Older copies of those pages may still sit in WAL frames not yet overwritten (the
// log is reused from its start, not truncated) until later commits cover them. What can linger
// there is sealed values and the clear index columns (user id, seqs, times), never plaintext.
#include "runtime/store.hpp"

#include "privacy/sealing.hpp"
#include "runtime/detail/sqlite_file.hpp"
#include "runtime/detail/sqlite_util.hpp"
#include "runtime/detail/user_records.hpp"
#include "runtime/log.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace aia::runtime {

namespace {

using detail::record_column;
using detail::record_purpose;
using detail::valid_kind;

using detail::event_payloads;
using detail::exec;
using detail::exec_checked;
using detail::finish;
using detail::sealed_column;
using detail::snapshot_data;
using detail::statement;

using detail::checkpointer;
using detail::store_lock;

/// The tables, created when missing. `records` and `events_by_stored_at` came with erasure and
/// retention: an older store gains them at its first open by this version (building the index
/// reads every event once). expire_events walks the index; it costs a write about 2.5% more WAL
/// frames.
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
CREATE TABLE IF NOT EXISTS records (
  user_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  version INTEGER NOT NULL,
  data BLOB NOT NULL,
  updated_at REAL NOT NULL,
  PRIMARY KEY (user_id, kind)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_stored_at ON events (stored_at);
)sql";

class sqlite_store final : public store {
public:
  sqlite_store(const std::string& path, sqlite_sync sync,
               std::shared_ptr<const privacy::sealer> sealer, int wal_restart_frames)
    : lock_{path}, sealer_{std::move(sealer)}, sync_{sync},
      wal_restart_frames_{wal_restart_frames} {
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
    // Zeroes what deletes free (erase_user, expire_events, replaced snapshots), so no erased
    // bytes stay in the file's free space. On the write path (commits of 64 events over 2000
    // users, a 4 KB snapshot every 16 events of a user) it wrote the same WAL frames per commit
    // and cost no CPU beyond the noise (medians 1.27 vs 1.31 ms per commit, on and off).
    exec(db_, "PRAGMA secure_delete=ON");
    // Once checkpointed, the WAL restarts from its beginning; this trims the file back as well.
    // No journal_size_limit: truncating the log on restart stalled commits for ~100 ms (ext4).
    exec(db_, schema);
    // The hook replaces SQLite's auto-checkpoint, which would run inside every commit; if the
    // background checkpointer cannot start, the limit in write() still bounds the log.
    sqlite3_wal_hook(db_, &sqlite_store::on_wal_commit, this);
    checkpoints_ = std::make_unique<checkpointer>(path, std::max(64, wal_restart_frames / 256));
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
    // Records alone do not count a user (store.hpp).
    count_users_ = std::make_unique<statement>(
      db_, "SELECT COUNT(*) FROM (SELECT user_id FROM events UNION SELECT user_id FROM snapshots)");
    select_records_ = std::make_unique<statement>(
      db_, "SELECT kind, version, data, updated_at FROM records WHERE user_id = ?1 ORDER BY kind");
    select_version_ = std::make_unique<statement>(
      db_, "SELECT version FROM records WHERE user_id = ?1 AND kind = ?2");
    upsert_record_ = std::make_unique<statement>(
      db_, "INSERT INTO records (user_id, kind, version, data, updated_at) "
           "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(user_id, kind) DO UPDATE SET "
           "version = excluded.version, data = excluded.data, updated_at = excluded.updated_at");
    erase_events_ = std::make_unique<statement>(db_, "DELETE FROM events WHERE user_id = ?1");
    erase_snapshot_ = std::make_unique<statement>(db_, "DELETE FROM snapshots WHERE user_id = ?1");
    erase_records_ = std::make_unique<statement>(db_, "DELETE FROM records WHERE user_id = ?1");
    // Walks events_by_stored_at oldest first and looks each user's snapshot up by its key, and
    // stops after ?2 matches (EXPLAIN QUERY PLAN: covering index search on stored_at < ?, then
    // snapshots' primary key; no sort). CROSS JOIN keeps events the outer loop whatever the
    // planner's statistics say. A call reads the old events no snapshot covers yet as well.
    // The next user after ?1 in any of the three tables: three seeks on the primary keys.
    next_user_ = std::make_unique<statement>(
      db_, "SELECT min(u) FROM ("
           "SELECT (SELECT user_id FROM events WHERE user_id > ?1 ORDER BY user_id LIMIT 1) AS u "
           "UNION ALL SELECT (SELECT user_id FROM snapshots WHERE user_id > ?1 "
           "ORDER BY user_id LIMIT 1) "
           "UNION ALL SELECT (SELECT user_id FROM records WHERE user_id > ?1 "
           "ORDER BY user_id LIMIT 1))");
    event_stats_ = std::make_unique<statement>(
      db_, "SELECT count(*), min(stored_at) FROM events WHERE user_id = ?1");
    expire_events_ = std::make_unique<statement>(
      db_, "DELETE FROM events WHERE (user_id, seq) IN (SELECT e.user_id, e.seq FROM events AS e "
           "CROSS JOIN snapshots AS s ON s.user_id = e.user_id WHERE e.stored_at < ?1 "
           "AND e.seq <= s.seq ORDER BY e.stored_at LIMIT ?2)");
  }

  ~sqlite_store() override {
    checkpoints_.reset();
    insert_event_.reset();
    upsert_snapshot_.reset();
    select_snapshot_.reset();
    select_events_.reset();
    count_users_.reset();
    select_records_.reset();
    select_version_.reset();
    upsert_record_.reset();
    erase_events_.reset();
    erase_snapshot_.reset();
    erase_records_.reset();
    expire_events_.reset();
    next_user_.reset();
    event_stats_.reset();
    sqlite3_close(db_);
  }

  std::optional<store_error> write(const std::vector<stored_event>& events,
                                   const std::vector<snapshot_record>& snapshots) override {
    // Held from the catch-up to the end of this write, whose commit restarts the log.
    auto paused = restart_due() ? catch_up() : std::unique_lock<std::mutex>{};
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
    if (wal_frames_ <= wal_restart_frames_) {
      restart_asked_ = false;
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
        out.snapshot = snapshot_record{user_id, seq, unseal(out.unreadable, snapshot_data,
                                                            user_id, seq, st.blob(1)),
                                       st.real(2)};
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
                                        unseal(out.unreadable, event_payloads, user_id, seq,
                                               st.blob(5))});
    }
    st.reset();
    out.records = load_records(user_id, out.unreadable);
    return out;
  }

  std::variant<std::vector<stored_event>, store_error>
  read_events(const std::string& user_id, std::uint64_t after_seq, std::uint64_t limit) override {
    std::vector<stored_event> out;
    std::optional<store_error> bad;
    auto& st = *select_events_;
    st.bind(1, user_id);
    st.bind(2, after_seq);
    while (out.size() < limit && st.step() == SQLITE_ROW) {
      auto seq = st.u64(0);
      out.push_back(stored_event{user_id, seq, st.text(1), st.u64(2), st.real(3), st.real(4),
                                 unseal(bad, event_payloads, user_id, seq, st.blob(5))});
    }
    st.reset();
    if (bad) {
      return *bad;
    }
    return out;
  }

  std::variant<user_page, store_error> scan_users(const std::string& after,
                                                  std::uint64_t limit) override {
    if (limit == 0) {
      return store_error{"scan limit must be 1 or more"};
    }
    // One read transaction: the page is one instant of the store.
    if (auto err = exec_checked(db_, "BEGIN")) {
      return *err;
    }
    user_page page;
    std::string cursor = after;
    while (page.users.size() < limit) {
      auto& next = *next_user_;
      next.bind(1, cursor);
      int rc = next.step();
      bool found = rc == SQLITE_ROW && sqlite3_column_type(next.get(), 0) != SQLITE_NULL;
      std::string user_id = found ? next.text(0) : std::string{};
      next.reset();  // before `cursor`, which it binds, changes
      if (rc != SQLITE_ROW) {
        return *rollback(store_error{sqlite3_errmsg(db_)});
      }
      if (!found) {
        break;
      }
      page.users.push_back(summarize(user_id, page.unreadable));
      cursor = std::move(user_id);
    }
    if (auto err = exec_checked(db_, "COMMIT")) {
      return *rollback(*err);
    }
    return page;
  }

  std::uint64_t user_count() override {
    auto& st = *count_users_;
    std::uint64_t n = st.step() == SQLITE_ROW ? st.u64(0) : 0;
    st.reset();
    return n;
  }

  std::optional<store_error> put_record(const user_record& r) override {
    if (!valid_kind(r.kind)) {
      return store_error{"record kind must be 1 to 32 of [a-z_]"};
    }
    if (r.version == 0) {
      return store_error{"record version must be 1 or more"};
    }
    if (auto err = exec_checked(db_, "BEGIN IMMEDIATE")) {
      return err;
    }
    // Compare-and-set: the check and the write in one transaction, which no other writer enters.
    auto& sv = *select_version_;
    sv.bind(1, r.user_id);
    sv.bind(2, r.kind);
    int rc = sv.step();
    std::uint64_t stored = rc == SQLITE_ROW ? sv.u64(0) : 0;
    sv.reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      return rollback(store_error{sqlite3_errmsg(db_)});
    }
    if (stored != r.version - 1) {
      return rollback(version_conflict(r, stored));
    }
    try {
      auto sealed = sealer_->seal(record_purpose(r.kind), r.user_id, r.data);
      auto& st = *upsert_record_;
      st.bind(1, r.user_id);
      st.bind(2, r.kind);
      st.bind(3, r.version);
      st.bind(4, sealed);
      st.bind(5, r.updated_at);
      if (auto err = finish(db_, st)) {
        return rollback(*err);
      }
    } catch (const std::exception& e) {
      return rollback(store_error{std::string{"sealing failed: "} + e.what()});  // no data in it
    }
    if (auto err = exec_checked(db_, "COMMIT")) {
      return rollback(*err);
    }
    return std::nullopt;
  }

  std::variant<erase_counts, store_error> erase_user(const std::string& user_id) override {
    // An erasure lost to a power cut would bring the data back: this commit syncs the WAL even
    // under synchronous=NORMAL (one fsync; erasures are rare).
    if (sync_ != sqlite_sync::full) {
      if (auto err = exec_checked(db_, "PRAGMA synchronous=FULL")) {
        return *err;
      }
    }
    auto result = erase_all(user_id);
    if (sync_ != sqlite_sync::full) {
      sqlite3_exec(db_, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
    }
    return result;
  }

  std::variant<std::uint64_t, store_error> expire_events(double cutoff,
                                                         std::uint64_t limit) override {
    if (std::isnan(cutoff)) {
      return store_error{"expiry cutoff is not a number"};
    }
    if (limit == 0) {
      return std::uint64_t{0};
    }
    auto& st = *expire_events_;
    st.bind(1, cutoff);
    // LIMIT takes a signed 64-bit integer: clamp, so a huge limit is no limit rather than -1.
    st.bind(2, std::min<std::uint64_t>(limit, std::numeric_limits<std::int64_t>::max()));
    if (auto err = finish(db_, st)) {  // one statement: its own transaction
      return *err;
    }
    return static_cast<std::uint64_t>(sqlite3_changes64(db_));
  }

  const char* backend() const noexcept override { return "sqlite"; }

  /// Seals again every value (events, snapshots, records) that is not under the newest key (the
  /// pass is in sqlite_reseal.cpp).
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

  /// Deletes every row of the user in one transaction; what it deleted.
  std::variant<erase_counts, store_error> erase_all(const std::string& user_id) {
    if (auto err = exec_checked(db_, "BEGIN IMMEDIATE")) {
      return *err;
    }
    erase_counts n;
    for (auto [st, count] : {std::pair{erase_events_.get(), &n.events},
                             std::pair{erase_snapshot_.get(), &n.snapshots},
                             std::pair{erase_records_.get(), &n.records}}) {
      st->bind(1, user_id);
      if (auto err = finish(db_, *st)) {
        return *rollback(*err);
      }
      *count = static_cast<std::uint64_t>(sqlite3_changes64(db_));
    }
    if (auto err = exec_checked(db_, "COMMIT")) {
      return *rollback(*err);
    }
    return n;
  }

  /// Every record of the user, in kind order, opened.
  std::vector<user_record> load_records(const std::string& user_id,
                                        std::optional<store_error>& unreadable) {
    std::vector<user_record> out;
    auto& rs = *select_records_;
    rs.bind(1, user_id);
    while (rs.step() == SQLITE_ROW) {
      user_record r{user_id, rs.text(0), rs.u64(1), {}, rs.real(3)};
      r.data = unseal_record(unreadable, r, rs.blob(2));
      out.push_back(std::move(r));
    }
    rs.reset();
    return out;
  }

  /// One user of a scan: snapshot, records, and the count and oldest stored_at of its events.
  user_summary summarize(const std::string& user_id, std::optional<store_error>& unreadable) {
    user_summary out;
    out.user_id = user_id;
    auto& ss = *select_snapshot_;
    ss.bind(1, user_id);
    if (ss.step() == SQLITE_ROW) {
      auto seq = ss.u64(0);
      out.snapshot = snapshot_record{
        user_id, seq, unseal(unreadable, snapshot_data, user_id, seq, ss.blob(1)), ss.real(2)};
    }
    ss.reset();
    out.records = load_records(user_id, unreadable);
    auto& es = *event_stats_;
    es.bind(1, user_id);
    if (es.step() == SQLITE_ROW) {
      out.events = es.u64(0);
      out.oldest_event_at = es.real(1);  // NULL (no event) reads as 0
    }
    es.reset();
    return out;
  }

  static store_error version_conflict(const user_record& r, std::uint64_t stored) {
    return store_error{"record version conflict: " + r.kind + " is at version "
                       + std::to_string(stored) + ", the write names version "
                       + std::to_string(r.version)};
  }

  /// Opens a record's value, reporting a failure as unseal() does.
  std::vector<std::uint8_t> unseal_record(std::optional<store_error>& unreadable,
                                          const user_record& r,
                                          const std::vector<std::uint8_t>& sealed) {
    auto opened = sealer_->open(record_purpose(r.kind), r.user_id, sealed);
    if (auto* plain = std::get_if<std::vector<std::uint8_t>>(&opened)) {
      return std::move(*plain);
    }
    const char* code = privacy::to_string(std::get<privacy::sealing_errc>(opened));
    log::error("store.value_unreadable", {{"column", record_column}, {"kind", r.kind},
                                          {"version", r.version}, {"errc", code}});
    if (!unreadable) {
      unreadable = store_error{std::string{record_column} + " of kind " + r.kind + " version "
                               + std::to_string(r.version) + " does not open: " + code};
    }
    return {};
  }

  /// Opens one stored value. On failure it logs, sets `unreadable` (if not yet) and gives no
  /// bytes: a tampered value is reported, never used.
  std::vector<std::uint8_t> unseal(std::optional<store_error>& unreadable,
                                   const sealed_column& column,
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
    if (!unreadable) {
      unreadable = store_error{std::string{column.purpose} + " of seq " + std::to_string(seq)
                               + " does not open: " + code};
    }
    return {};
  }

  /// Whether the writer copies the rest of the log before this write, so that the write restarts
  /// the log from its beginning. The background checkpointer never catches up with a log that
  /// commits keep extending, and the log restarts only once every frame is copied. Past the limit
  /// the writer first asks the checkpointer for a hurried round and keeps committing; it catches
  /// up after that round (then little is left to copy and sync: ~1 ms), or at once when the log
  /// is a quarter past the limit, or when there is no checkpointer.
  bool restart_due() {
    if (wal_frames_ <= wal_restart_frames_) {
      return false;
    }
    if (!checkpoints_->running()) {
      return true;
    }
    if (!restart_asked_) {
      checkpoints_->hurry();
      restart_asked_ = true;
      return false;
    }
    return checkpoints_->hurried() || wal_frames_ > wal_restart_frames_ + wal_restart_frames_ / 4;
  }

  /// Copies (and syncs) every frame not yet in the database file, with background passes held
  /// off until the lock returned is released: none can run into the catch-up or the restart.
  std::unique_lock<std::mutex> catch_up() {
    auto paused = checkpoints_->pause();
    // No reader holds the log (reads run on this connection, between writes), so the pass
    // copies everything. Were it to fail, the next write tries again: wal_frames_ stays high.
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return paused;
  }

  static int on_wal_commit(void* self, sqlite3*, const char*, int frames) {
    auto* store = static_cast<sqlite_store*>(self);
    store->wal_frames_ = frames;
    if (store->checkpoints_) {
      store->checkpoints_->log_frames(frames);
    }
    return SQLITE_OK;
  }

  std::optional<store_error> rollback(store_error err) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return err;
  }

  store_lock lock_;  ///< first: released last, after the database is closed
  std::shared_ptr<const privacy::sealer> sealer_;
  sqlite_sync sync_;
  int wal_restart_frames_;
  int wal_frames_ = 0;  ///< frames in the WAL after the last commit (from the WAL hook)
  bool restart_asked_ = false;  ///< a hurried round is asked for this restart
  sqlite3* db_ = nullptr;
  std::unique_ptr<checkpointer> checkpoints_;
  std::unique_ptr<statement> insert_event_;
  std::unique_ptr<statement> upsert_snapshot_;
  std::unique_ptr<statement> select_snapshot_;
  std::unique_ptr<statement> select_events_;
  std::unique_ptr<statement> count_users_;
  std::unique_ptr<statement> select_records_;
  std::unique_ptr<statement> select_version_;
  std::unique_ptr<statement> upsert_record_;
  std::unique_ptr<statement> erase_events_;
  std::unique_ptr<statement> erase_snapshot_;
  std::unique_ptr<statement> erase_records_;
  std::unique_ptr<statement> expire_events_;
  std::unique_ptr<statement> next_user_;
  std::unique_ptr<statement> event_stats_;
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
