// Encryption at rest of the SQLite store, checked on the raw files: no plaintext user data in
// them, tampered values reported and never used, reencryption under the newest key.
#include "runtime/store.hpp"

#include "privacy/sealing.hpp"

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <variant>

using namespace aia::runtime;
using aia::privacy::key_ring;
using aia::privacy::sealer;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t t0 = 1700000000;
const std::string marker = "PLAINTEXT-MARKER-xyz";

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "aia-at-rest-test-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  [[nodiscard]] std::string db() const { return (path / "store.db").string(); }
};

std::vector<std::uint8_t> bytes_of(const std::string& s) {
  return {s.begin(), s.end()};
}

stored_event event(const std::string& user, std::uint64_t seq) {
  return stored_event{user, seq, "web-1", seq, 1634567890.0, 1795000000.0,
                      bytes_of(marker + "-event-" + user + "-" + std::to_string(seq))};
}

snapshot_record snapshot(const std::string& user, std::uint64_t seq) {
  return snapshot_record{user, seq, bytes_of(marker + "-snapshot-" + user), 5.0};
}

/// Every file of `dir` (database, WAL, shared memory, lock) in one string.
std::string all_bytes(const fs::path& dir) {
  std::string out;
  for (const auto& entry : fs::directory_iterator{dir}) {
    std::ifstream in{entry.path(), std::ios::binary};
    std::ostringstream text;
    text << in.rdbuf();
    out += text.str();
  }
  return out;
}

/// Writes two users' events and snapshots through a store sealed by `s`.
void write_sample(const std::string& db, std::shared_ptr<const sealer> s) {
  auto st = open_sqlite_store(db, sqlite_sync::normal, std::move(s));
  REQUIRE_FALSE(st->write({event("u1", 1), event("u1", 2), event("u1", 3), event("u2", 1)},
                          {snapshot("u2", 1)}));
}

/// Runs `sql` on the raw database file, with `bind` filling its parameters.
void raw_exec(const std::string& db, const std::string& sql,
              const std::function<void(sqlite3_stmt*)>& bind = [](sqlite3_stmt*) {}) {
  sqlite3* conn = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &conn) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(conn, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  bind(stmt);
  CHECK(sqlite3_step(stmt) == SQLITE_DONE);
  sqlite3_finalize(stmt);
  sqlite3_close(conn);
}

/// One raw (sealed) value: `column` of `table` in the row of `user` and `seq`.
std::vector<std::uint8_t> raw_value(const std::string& db, const std::string& table,
                                    const std::string& column, const std::string& user,
                                    std::uint64_t seq) {
  sqlite3* conn = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &conn) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  auto sql = "SELECT " + column + " FROM " + table + " WHERE user_id = ?1 AND seq = ?2";
  REQUIRE(sqlite3_prepare_v2(conn, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  sqlite3_bind_text(stmt, 1, user.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(stmt, 2, static_cast<sqlite3_int64>(seq));
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  auto p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, 0));
  std::vector<std::uint8_t> out(p, p + sqlite3_column_bytes(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(conn);
  return out;
}

void set_raw_value(const std::string& db, const std::string& table, const std::string& column,
                   const std::string& user, std::uint64_t seq,
                   const std::vector<std::uint8_t>& value) {
  raw_exec(db, "UPDATE " + table + " SET " + column + " = ?3 WHERE user_id = ?1 AND seq = ?2",
           [&](sqlite3_stmt* stmt) {
             sqlite3_bind_text(stmt, 1, user.c_str(), -1, SQLITE_TRANSIENT);
             sqlite3_bind_int64(stmt, 2, static_cast<sqlite3_int64>(seq));
             sqlite3_bind_blob(stmt, 3, value.data(), static_cast<int>(value.size()),
                               SQLITE_TRANSIENT);
           });
}

user_record consent(const std::string& user, std::uint64_t version) {
  return user_record{user, "consent", version,
                     bytes_of(marker + "-record-" + user + "-" + std::to_string(version)), 9.0};
}

/// A record's raw (sealed) value.
std::vector<std::uint8_t> raw_record(const std::string& db, const std::string& user,
                                     const std::string& kind) {
  sqlite3* conn = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &conn) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(conn, "SELECT data FROM records WHERE user_id = ?1 AND kind = ?2",
                             -1, &stmt, nullptr)
          == SQLITE_OK);
  sqlite3_bind_text(stmt, 1, user.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt, 2, kind.c_str(), -1, SQLITE_TRANSIENT);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  auto p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, 0));
  std::vector<std::uint8_t> out(p, p + sqlite3_column_bytes(stmt, 0));
  sqlite3_finalize(stmt);
  sqlite3_close(conn);
  return out;
}

void set_raw_record(const std::string& db, const std::string& user, const std::string& kind,
                    const std::vector<std::uint8_t>& value) {
  raw_exec(db, "UPDATE records SET data = ?3 WHERE user_id = ?1 AND kind = ?2",
           [&](sqlite3_stmt* stmt) {
             sqlite3_bind_text(stmt, 1, user.c_str(), -1, SQLITE_TRANSIENT);
             sqlite3_bind_text(stmt, 2, kind.c_str(), -1, SQLITE_TRANSIENT);
             sqlite3_bind_blob(stmt, 3, value.data(), static_cast<int>(value.size()),
                               SQLITE_TRANSIENT);
           });
}

std::shared_ptr<const sealer> fresh_sealer() {
  return std::make_shared<const sealer>(key_ring::ephemeral(t0));
}

} // namespace

TEST_CASE("no plaintext user data reaches the SQLite files, and loads return the original bytes") {
  temp_dir tmp;
  auto s = fresh_sealer();
  {
    auto st = open_sqlite_store(tmp.db(), sqlite_sync::normal, s);
    REQUIRE_FALSE(st->write({event("u1", 1), event("u1", 2)}, {snapshot("u1", 1)}));
    // While open, the values sit in the write-ahead log.
    CHECK(all_bytes(tmp.path).find(marker) == std::string::npos);
  }
  auto raw = all_bytes(tmp.path);
  REQUIRE(raw.find("u1") != std::string::npos);  // the index columns stay in clear
  CHECK(raw.find(marker) == std::string::npos);
  CHECK(raw.find("PLAINTEXT") == std::string::npos);

  auto st = open_sqlite_store(tmp.db(), sqlite_sync::normal, s);
  auto h = st->load("u1");
  CHECK_FALSE(h.unreadable);
  REQUIRE(h.snapshot);
  CHECK(h.snapshot->data == snapshot("u1", 1).data);
  REQUIRE(h.events.size() == 1);
  CHECK(h.events[0].payload == event("u1", 2).payload);
  CHECK(h.events[0].client_id == "web-1");
}

TEST_CASE("a tampered stored value is reported and never used") {
  temp_dir tmp;
  auto s = fresh_sealer();
  write_sample(tmp.db(), s);

  SECTION("an event payload") {
    auto v = raw_value(tmp.db(), "events", "payload", "u1", 2);
    v[v.size() / 2] ^= 0x04;
    set_raw_value(tmp.db(), "events", "payload", "u1", 2, v);
    auto h = open_sqlite_store(tmp.db(), sqlite_sync::normal, s)->load("u1");
    REQUIRE(h.unreadable);
    CHECK_THAT(h.unreadable->message, Catch::Contains("events.payload")
                                        && Catch::Contains("seq 2") && Catch::Contains("tampered"));
    CHECK_THAT(h.unreadable->message, !Catch::Contains(marker));
    REQUIRE(h.events.size() == 3);
    CHECK(h.events[0].payload == event("u1", 1).payload);
    CHECK(h.events[1].payload.empty());  // in its place, so no reader skips it unawares
    CHECK(h.events[2].payload == event("u1", 3).payload);
  }
  SECTION("a snapshot") {
    auto v = raw_value(tmp.db(), "snapshots", "data", "u2", 1);
    v.back() ^= 0x01;
    set_raw_value(tmp.db(), "snapshots", "data", "u2", 1, v);
    auto h = open_sqlite_store(tmp.db(), sqlite_sync::normal, s)->load("u2");
    REQUIRE(h.unreadable);
    CHECK_THAT(h.unreadable->message, Catch::Contains("snapshots.data"));
    REQUIRE(h.snapshot);
    CHECK(h.snapshot->data.empty());
  }
  SECTION("a value copied into another user's row") {
    set_raw_value(tmp.db(), "events", "payload", "u1", 1,
                  raw_value(tmp.db(), "events", "payload", "u2", 1));
    auto st = open_sqlite_store(tmp.db(), sqlite_sync::normal, s);
    auto h = st->load("u1");
    REQUIRE(h.unreadable);
    CHECK_THAT(h.unreadable->message, Catch::Contains("seq 1") && Catch::Contains("tampered"));
    CHECK_FALSE(st->load("u2").unreadable);
  }
  SECTION("a value cut short") {
    set_raw_value(tmp.db(), "events", "payload", "u1", 3, {0xA1, 0, 0});
    auto h = open_sqlite_store(tmp.db(), sqlite_sync::normal, s)->load("u1");
    REQUIRE(h.unreadable);
    CHECK_THAT(h.unreadable->message, Catch::Contains("too_short"));
  }
}

TEST_CASE("a store opened with a ring that lacks the sealing key reports every value") {
  temp_dir tmp;
  auto ring = key_ring::ephemeral(t0);
  auto old_keys = std::make_shared<const sealer>(ring);
  ring.add_key(t0 + 1);
  write_sample(tmp.db(), std::make_shared<const sealer>(ring));
  auto st = open_sqlite_store(tmp.db(), sqlite_sync::normal, old_keys);
  auto h = st->load("u1");
  REQUIRE(h.unreadable);
  CHECK_THAT(h.unreadable->message, Catch::Contains("unknown_key"));
}

TEST_CASE("a store opened with another ring's key of the same version reports tampering") {
  temp_dir tmp;
  write_sample(tmp.db(), fresh_sealer());
  auto h = open_sqlite_store(tmp.db(), sqlite_sync::normal, fresh_sealer())->load("u2");
  REQUIRE(h.unreadable);
  CHECK_THAT(h.unreadable->message, Catch::Contains("tampered"));
}

TEST_CASE("reencryption moves every value to the newest key and keeps it readable") {
  temp_dir tmp;
  auto ring = key_ring::ephemeral(t0);
  write_sample(tmp.db(), std::make_shared<const sealer>(ring));
  ring.add_key(t0 + 1);
  auto newer = std::make_shared<const sealer>(ring);

  auto counts = reseal_sqlite_store(tmp.db(), newer, 2);  // small batches: several transactions
  CHECK(counts.events == 4);
  CHECK(counts.snapshots == 1);
  CHECK(counts.current == 0);
  CHECK(counts.unreadable == 0);
  for (std::uint64_t seq : {1, 2, 3}) {
    CHECK(sealer::key_version(raw_value(tmp.db(), "events", "payload", "u1", seq)) == 2u);
  }
  CHECK(sealer::key_version(raw_value(tmp.db(), "snapshots", "data", "u2", 1)) == 2u);
  CHECK(all_bytes(tmp.path).find(marker) == std::string::npos);
  {
    auto st = open_sqlite_store(tmp.db(), sqlite_sync::normal, newer);
    auto h = st->load("u1");
    CHECK_FALSE(h.unreadable);
    REQUIRE(h.events.size() == 3);
    CHECK(h.events[2].payload == event("u1", 3).payload);
    CHECK(st->load("u2").snapshot->data == snapshot("u2", 1).data);
  }

  SECTION("a second run finds nothing to do") {
    auto again = reseal_sqlite_store(tmp.db(), newer);
    CHECK(again.events + again.snapshots == 0);
    CHECK(again.current == 5);
  }
  SECTION("a tampered value is counted and left as it is") {
    ring.add_key(t0 + 2);
    auto v = raw_value(tmp.db(), "events", "payload", "u1", 2);
    v[6] ^= 0x10;
    set_raw_value(tmp.db(), "events", "payload", "u1", 2, v);
    auto third = reseal_sqlite_store(tmp.db(), std::make_shared<const sealer>(ring));
    CHECK(third.events == 3);
    CHECK(third.unreadable == 1);
    REQUIRE(third.unreadable_rows.size() == 1);
    CHECK(third.unreadable_rows[0] == "events.payload user u1 seq 2: tampered");
    CHECK(raw_value(tmp.db(), "events", "payload", "u1", 2) == v);
  }
}

TEST_CASE("reencryption refuses a store that another process has open") {
  temp_dir tmp;
  auto s = fresh_sealer();
  auto st = open_sqlite_store(tmp.db(), sqlite_sync::normal, s);
  CHECK_THROWS_WITH(reseal_sqlite_store(tmp.db(), s), Catch::Contains("in use"));
  st.reset();
  CHECK_NOTHROW(reseal_sqlite_store(tmp.db(), s));
}

// -- user records, erasure ------------------------------------------------------------------------

TEST_CASE("no plaintext record reaches the SQLite files, and load returns the original bytes") {
  temp_dir tmp;
  auto s = fresh_sealer();
  {
    auto st = open_sqlite_store(tmp.db(), sqlite_sync::normal, s);
    REQUIRE_FALSE(st->put_record(consent("u1", 1)));
    REQUIRE_FALSE(st->put_record(consent("u1", 2)));
    CHECK(all_bytes(tmp.path).find(marker) == std::string::npos);
  }
  auto raw = all_bytes(tmp.path);
  REQUIRE(raw.find("consent") != std::string::npos);  // the kind is an index column, in clear
  CHECK(raw.find(marker) == std::string::npos);
  auto h = open_sqlite_store(tmp.db(), sqlite_sync::normal, s)->load("u1");
  CHECK_FALSE(h.unreadable);
  REQUIRE(h.records.size() == 1);
  CHECK(h.records[0].data == consent("u1", 2).data);
}

TEST_CASE("a record moved to another user or kind does not open") {
  temp_dir tmp;
  auto s = fresh_sealer();
  {
    auto st = open_sqlite_store(tmp.db(), sqlite_sync::normal, s);
    REQUIRE_FALSE(st->put_record(consent("u1", 1)));
    REQUIRE_FALSE(st->put_record(consent("u2", 1)));
    REQUIRE_FALSE(st->put_record(user_record{"u1", "experiments", 1, {1, 2}, 9.0}));
  }
  SECTION("another user's") {
    set_raw_record(tmp.db(), "u2", "consent", raw_record(tmp.db(), "u1", "consent"));
    auto st = open_sqlite_store(tmp.db(), sqlite_sync::normal, s);
    auto h = st->load("u2");
    REQUIRE(h.unreadable);
    CHECK_THAT(h.unreadable->message, Catch::Contains("records.data of kind consent version 1")
                                        && Catch::Contains("tampered"));
    REQUIRE(h.records.size() == 1);
    CHECK(h.records[0].data.empty());  // in its place, never used
    CHECK_FALSE(st->load("u1").unreadable);
  }
  SECTION("another kind's") {
    set_raw_record(tmp.db(), "u1", "experiments", raw_record(tmp.db(), "u1", "consent"));
    auto h = open_sqlite_store(tmp.db(), sqlite_sync::normal, s)->load("u1");
    REQUIRE(h.unreadable);
    CHECK_THAT(h.unreadable->message, Catch::Contains("kind experiments")
                                        && Catch::Contains("tampered"));
  }
}

TEST_CASE("an erased user leaves none of its bytes in the closed SQLite file") {
  temp_dir tmp;
  const std::string gone = "erased-user-7f3a";
  {
    auto st = open_sqlite_store(tmp.db(), sqlite_sync::normal, fresh_sealer());
    REQUIRE_FALSE(st->write({event(gone, 1), event(gone, 2), event("kept", 1)},
                            {snapshot(gone, 2), snapshot("kept", 1)}));
    REQUIRE_FALSE(st->put_record(consent(gone, 1)));
    auto n = st->erase_user(gone);
    REQUIRE(std::holds_alternative<erase_counts>(n));
    CHECK(std::get<erase_counts>(n).events == 2);
  }
  // Closing checkpoints the log into the file and removes it; secure_delete zeroed the freed
  // cells, so not even the clear user id is left in free space.
  auto raw = all_bytes(tmp.path);
  REQUIRE(raw.find("kept") != std::string::npos);
  CHECK(raw.find(gone) == std::string::npos);
}

TEST_CASE("a data directory from before records opens, and gains records and the expiry index") {
  temp_dir tmp;
  auto s = fresh_sealer();
  write_sample(tmp.db(), s);
  raw_exec(tmp.db(), "DROP TABLE records");  // as a store written by an older node
  raw_exec(tmp.db(), "DROP INDEX events_by_stored_at");

  auto st = open_sqlite_store(tmp.db(), sqlite_sync::normal, s);
  REQUIRE_FALSE(st->put_record(consent("u1", 1)));
  auto h = st->load("u1");
  CHECK_FALSE(h.unreadable);
  CHECK(h.events.size() == 3);
  CHECK(h.records.size() == 1);
  REQUIRE_FALSE(st->write({}, {snapshot("u1", 3)}));
  auto n = st->expire_events(1795000000.5, 10);  // the sample's events are stored at 1795000000
  REQUIRE(std::holds_alternative<std::uint64_t>(n));
  CHECK(std::get<std::uint64_t>(n) == 4);  // u1 1..3 and u2 1, both covered
}

TEST_CASE("reencryption reseals user records too") {
  temp_dir tmp;
  auto ring = key_ring::ephemeral(t0);
  {
    auto st =
      open_sqlite_store(tmp.db(), sqlite_sync::normal, std::make_shared<const sealer>(ring));
    for (const auto* user : {"u1", "u2", "u3"}) {
      REQUIRE_FALSE(st->put_record(consent(user, 1)));
    }
    REQUIRE_FALSE(st->put_record(user_record{"u1", "experiments", 1, bytes_of(marker), 9.0}));
  }
  ring.add_key(t0 + 1);
  auto newer = std::make_shared<const sealer>(ring);
  auto v = raw_record(tmp.db(), "u3", "consent");
  v[v.size() / 2] ^= 0x01;
  set_raw_record(tmp.db(), "u3", "consent", v);

  auto counts = reseal_sqlite_store(tmp.db(), newer, 2);
  CHECK(counts.records == 3);
  CHECK(counts.events + counts.snapshots == 0);
  CHECK(counts.unreadable == 1);
  REQUIRE(counts.unreadable_rows.size() == 1);
  CHECK(counts.unreadable_rows[0] == "records.data user u3 kind consent: tampered");
  CHECK(sealer::key_version(raw_record(tmp.db(), "u1", "experiments")) == 2u);
  CHECK(sealer::key_version(raw_record(tmp.db(), "u2", "consent")) == 2u);
  auto h = open_sqlite_store(tmp.db(), sqlite_sync::normal, newer)->load("u1");
  CHECK_FALSE(h.unreadable);
  REQUIRE(h.records.size() == 2);
  CHECK(reseal_sqlite_store(tmp.db(), newer).current == 3);
}
