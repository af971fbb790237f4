// Internals shared by the SQLite store (sqlite_store.cpp) and its reseal pass (sqlite_reseal.cpp):
// prepared statements, the sealed columns, and checked execution on a connection.
#pragma once

#include "runtime/store.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace aia::runtime::detail {

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
  void bind(int i, std::int64_t x) { sqlite3_bind_int64(stmt_, i, x); }
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

/// A sealed column: its purpose (bound into every seal) and how aia-keys reencrypt walks it, in
/// key order after (?1, ?2), ?3 rows at a time.
struct sealed_column {
  std::string_view purpose;
  const char* select_after;
  const char* update;
};

inline constexpr sealed_column event_payloads{
  "events.payload",
  "SELECT user_id, seq, payload FROM events WHERE (user_id, seq) > (?1, ?2) "
  "ORDER BY user_id, seq LIMIT ?3",
  "UPDATE events SET payload = ?3 WHERE user_id = ?1 AND seq = ?2"};
inline constexpr sealed_column snapshot_data{
  "snapshots.data",
  "SELECT user_id, seq, data FROM snapshots WHERE (user_id, seq) > (?1, ?2) "
  "ORDER BY user_id, seq LIMIT ?3",
  "UPDATE snapshots SET data = ?3 WHERE user_id = ?1 AND seq = ?2"};

/// Runs `sql` on `db`; the error if it fails.
inline std::optional<store_error> exec_checked(sqlite3* db, const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    store_error err{msg ? msg : sqlite3_errmsg(db)};
    sqlite3_free(msg);
    return err;
  }
  return std::nullopt;
}

/// Runs `sql` on `db`; throws std::runtime_error if it fails.
inline void exec(sqlite3* db, const char* sql) {
  if (auto err = exec_checked(db, sql)) {
    throw std::runtime_error("sqlite: " + err->message);
  }
}

/// Steps a statement of `db` that returns no rows, then resets it; the error if it fails.
inline std::optional<store_error> finish(sqlite3* db, statement& st) {
  int rc = st.step();
  std::optional<store_error> err;
  if (rc != SQLITE_DONE) {
    err = store_error{sqlite3_errmsg(db)};
  }
  st.reset();
  return err;
}

/// Seals again, under the newest key of `sealer`, every value of both sealed columns of the open
/// store `db` that is under an older key, `batch` rows per transaction (sqlite_reseal.cpp).
reseal_counts reseal_columns(sqlite3* db, const privacy::sealer& sealer, std::size_t batch);

} // namespace aia::runtime::detail
