// Contract tests of the store interface, run against every backend available to the build.
#include "runtime/store.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <functional>
#include <random>

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

/// Every backend under test, opened on a fresh location.
std::vector<std::pair<std::string, std::function<std::unique_ptr<store>()>>> backends(
  const std::filesystem::path& dir) {
  return {{"sqlite", [dir] {
             return open_sqlite_store((dir / "store.db").string(), sqlite_sync::normal);
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
