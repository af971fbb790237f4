// Contract tests of the store interface, run against every backend available to the build.
#include "runtime/store.hpp"

#include "privacy/sealing.hpp"
#include "runtime/redis_store.hpp"
#include "tests/support/redis_server.hpp"

#include <catch2/catch.hpp>

#include <ctime>
#include <filesystem>
#include <functional>
#include <random>
#include <thread>

using namespace aia::runtime;

namespace {

std::filesystem::path temp_dir() {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path()
             / ("aia-store-test-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

stored_event event(const std::string& user, std::uint64_t seq, std::uint8_t byte = 1) {
  return stored_event{user, seq, "c1", seq, 1634567890.0 + static_cast<double>(seq),
                      1795000000.0 + static_cast<double>(seq), std::vector<std::uint8_t>{byte, 2, 3}};
}

/// The Redis server of this test run, started on first use (a real redis-server).
aia::test::redis_server& shared_redis() {
  static aia::test::redis_server server;
  return server;
}

/// Every backend under test, opened on a fresh location (for Redis: a fresh key prefix).
std::vector<std::pair<std::string, std::function<std::unique_ptr<store>()>>> backends(
  const std::filesystem::path& dir) {
  auto sealer = std::make_shared<const aia::privacy::sealer>(
    aia::privacy::key_ring::ephemeral(static_cast<std::int64_t>(std::time(nullptr))));
  auto prefix = "aia-test:" + dir.filename().string() + ":";
  return {{"sqlite", [dir] {
             return open_sqlite_store((dir / "store.db").string(), sqlite_sync::normal);
           }},
          {"redis", [sealer, prefix] {
             return open_redis_store(parse_redis_url(shared_redis().url()), sealer, prefix);
           }}};
}

} // namespace

TEST_CASE("the store keeps events and snapshots across reopening") {
  auto dir = temp_dir();
  for (auto& [name, open] : backends(dir)) {
    SECTION(name) {
      {
        auto st = open();
        REQUIRE_FALSE(st->write({event("u1", 1), event("u1", 2), event("u2", 1)}, {}));
        REQUIRE_FALSE(st->write({event("u1", 3)}, {snapshot_record{"u1", 2, {9, 9}, 5.0}}));
      }
      auto st = open();
      auto h = st->load("u1");
      REQUIRE(h.snapshot);
      CHECK(h.snapshot->seq == 2);
      CHECK(h.snapshot->data == std::vector<std::uint8_t>{9, 9});
      REQUIRE(h.events.size() == 1);
      CHECK(h.events[0].seq == 3);
      CHECK(h.events[0].client_id == "c1");
      CHECK(h.events[0].stored_at == 1795000003.0);
      CHECK(h.events[0].payload == std::vector<std::uint8_t>{1, 2, 3});
      CHECK(st->load("u2").events.size() == 1);
      CHECK(st->user_count() == 2);
    }
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("an unknown user has an empty history") {
  auto dir = temp_dir();
  for (auto& [name, open] : backends(dir)) {
    SECTION(name) {
      auto h = open()->load("nobody");
      CHECK_FALSE(h.snapshot);
      CHECK(h.events.empty());
    }
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a duplicate event rolls back the whole write") {
  auto dir = temp_dir();
  for (auto& [name, open] : backends(dir)) {
    SECTION(name) {
      auto st = open();
      REQUIRE_FALSE(st->write({event("u1", 1)}, {}));
      auto err = st->write({event("u1", 2), event("u1", 1, 7)},
                           {snapshot_record{"u1", 2, {1}, 1.0}});
      REQUIRE(err);
      CHECK_FALSE(err->message.empty());
      auto h = st->load("u1");
      CHECK_FALSE(h.snapshot);
      REQUIRE(h.events.size() == 1);
      CHECK(h.events[0].payload[0] == 1);
    }
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("an older snapshot never replaces a newer one") {
  auto dir = temp_dir();
  for (auto& [name, open] : backends(dir)) {
    SECTION(name) {
      auto st = open();
      REQUIRE_FALSE(st->write({}, {snapshot_record{"u1", 10, {10}, 1.0}}));
      REQUIRE_FALSE(st->write({}, {snapshot_record{"u1", 4, {4}, 2.0}}));
      CHECK(st->load("u1").snapshot->seq == 10);
      REQUIRE_FALSE(st->write({}, {snapshot_record{"u1", 12, {12}, 3.0}}));
      CHECK(st->load("u1").snapshot->data == std::vector<std::uint8_t>{12});
    }
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("opening a store in a missing directory fails with the reason") {
  CHECK_THROWS_WITH(open_sqlite_store("/nonexistent-dir/x/store.db", sqlite_sync::normal),
                    Catch::Contains("cannot open store"));
}

TEST_CASE("opening a sqlite store that is already open fails with the reason") {
  auto dir = temp_dir();
  auto path = (dir / "store.db").string();
  {
    auto first = open_sqlite_store(path, sqlite_sync::normal);
    CHECK_THROWS_WITH(open_sqlite_store(path, sqlite_sync::normal), Catch::Contains("in use"));
  }
  CHECK_NOTHROW(open_sqlite_store(path, sqlite_sync::normal));  // closing released it
  std::filesystem::remove_all(dir);
}

namespace {

/// Writes `commits` transactions of 8 events of 4 KiB each for user `user`, from sequence `first`.
void write_bulk(store& st, const std::string& user, std::uint64_t first, int commits) {
  std::uint64_t seq = first;
  for (int c = 0; c < commits; ++c) {
    std::vector<stored_event> batch;
    for (int i = 0; i < 8; ++i, ++seq) {
      auto e = event(user, seq);
      e.payload.assign(4096, static_cast<std::uint8_t>(seq));
      batch.push_back(std::move(e));
    }
    REQUIRE_FALSE(st.write(batch, {}));
  }
}

std::uintmax_t size_or_zero(const std::filesystem::path& p) {
  std::error_code ec;
  auto n = std::filesystem::file_size(p, ec);
  return ec ? 0 : n;
}

} // namespace

TEST_CASE("the sqlite store checkpoints its WAL while it runs, so the log does not grow forever") {
  auto dir = temp_dir();
  auto db = dir / "store.db";
  auto wal = dir / "store.db-wal";
  auto st = open_sqlite_store(db.string(), sqlite_sync::normal);
  write_bulk(*st, "u1", 1, 250);  // ~8 MiB of payload
  constexpr std::uintmax_t payload = 250 * 8 * 4096;

  // The background checkpointer copies it into the database file, with no further writes.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (size_or_zero(db) < payload && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  CHECK(size_or_zero(db) >= payload);
  // The pass that copied the pages marks the log complete only after syncing the file.
  std::this_thread::sleep_for(std::chrono::milliseconds{600});

  // A fully checkpointed WAL is reused from its start: writing as much again does not double it.
  auto wal_before = size_or_zero(wal);
  write_bulk(*st, "u2", 1, 250);
  CHECK(size_or_zero(wal) < wal_before + wal_before / 2);
  st.reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("under writes that never pause, the sqlite store's WAL stays near its restart limit") {
  auto dir = temp_dir();
  auto wal = dir / "store.db-wal";
  constexpr int restart_frames = 2000;  // pages of 1 KiB: the log restarts past ~2 MiB
  auto st = open_sqlite_store((dir / "store.db").string(), sqlite_sync::normal, restart_frames);
  std::uintmax_t largest = 0;
  std::uint64_t seq = 1;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds{1500};
  while (std::chrono::steady_clock::now() < until) {  // 8 MiB or more, with no pause
    write_bulk(*st, "u1", seq, 10);
    seq += 80;
    largest = std::max(largest, size_or_zero(wal));
  }
  CHECK(seq * 4096 > 4 * 2000 * 1024);  // wrote at least 4 times the limit
  CHECK(largest < 3 * restart_frames * 1100);  // frames, their headers and one round of slack
  st.reset();
  std::filesystem::remove_all(dir);
}
