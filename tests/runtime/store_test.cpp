// Contract tests of the store interface, run against every backend available to the build.
#include "runtime/store.hpp"

#include "privacy/sealing.hpp"
#include "runtime/redis_store.hpp"
#include "tests/support/redis_server.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <ctime>
#include <filesystem>
#include <functional>
#include <random>
#include <thread>
#include <variant>

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

/// An event of `user` stored (server time) at `stored_at`.
stored_event event_at(const std::string& user, std::uint64_t seq, double stored_at) {
  auto e = event(user, seq);
  e.stored_at = stored_at;
  return e;
}

user_record record(const std::string& user, const std::string& kind, std::uint64_t version,
                   std::uint8_t byte = 1) {
  return user_record{user, kind, version, {byte, 0, byte},
                     1700000000.5 + static_cast<double>(version)};
}

/// The record of `kind` in `h`, or nullptr.
const user_record* find_record(const user_history& h, const std::string& kind) {
  for (const auto& r : h.records) {
    if (r.kind == kind) {
      return &r;
    }
  }
  return nullptr;
}

/// Events of `user` still stored, counted by erasing the user (load hides those a snapshot
/// covers).
std::uint64_t stored_events(store& st, const std::string& user) {
  auto n = st.erase_user(user);
  REQUIRE(std::holds_alternative<erase_counts>(n));
  return std::get<erase_counts>(n).events;
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

// -- user records ---------------------------------------------------------------------------------

TEST_CASE("user records come back with load, newest version of each kind, across reopening") {
  auto dir = temp_dir();
  for (auto& [name, open] : backends(dir)) {
    SECTION(name) {
      {
        auto st = open();
        REQUIRE_FALSE(st->put_record(record("u1", "consent", 1, 1)));
        REQUIRE_FALSE(st->put_record(record("u1", "consent", 2, 2)));
        REQUIRE_FALSE(st->put_record(record("u1", "experiments", 1, 7)));
        REQUIRE_FALSE(st->write({event("u1", 1)}, {}));
      }
      auto st = open();
      auto h = st->load("u1");
      CHECK_FALSE(h.unreadable);
      REQUIRE(h.records.size() == 2);
      const auto* consent = find_record(h, "consent");
      REQUIRE(consent);
      CHECK(consent->user_id == "u1");
      CHECK(consent->version == 2);
      CHECK(consent->data == record("u1", "consent", 2, 2).data);
      CHECK(consent->updated_at == record("u1", "consent", 2).updated_at);
      const auto* experiments = find_record(h, "experiments");
      REQUIRE(experiments);
      CHECK(experiments->version == 1);
      CHECK(experiments->data == record("u1", "experiments", 1, 7).data);
      CHECK(h.events.size() == 1);
      CHECK(st->load("u2").records.empty());
    }
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a record write naming any but the next version fails, names the stored one, and "
          "changes nothing") {
  auto dir = temp_dir();
  for (auto& [name, open] : backends(dir)) {
    SECTION(name) {
      auto st = open();
      auto first = st->put_record(record("u1", "consent", 2));
      REQUIRE(first);  // nothing stored: only version 1 may be written
      CHECK_THAT(first->message, Catch::Contains("version 0"));
      REQUIRE_FALSE(st->put_record(record("u1", "consent", 1, 1)));
      REQUIRE_FALSE(st->put_record(record("u1", "consent", 2, 2)));

      auto too_low = st->put_record(record("u1", "consent", 2, 9));  // a writer that lost
      REQUIRE(too_low);
      CHECK_THAT(too_low->message, Catch::Contains("version 2"));
      auto too_high = st->put_record(record("u1", "consent", 4, 9));
      REQUIRE(too_high);
      CHECK_THAT(too_high->message, Catch::Contains("version 2"));
      CHECK(st->put_record(record("u1", "consent", 0, 9)));
      CHECK(st->put_record(record("u1", "Consent", 3, 9)));  // not [a-z_]
      CHECK(st->put_record(record("u1", "", 1, 9)));
      CHECK(st->put_record(record("u1", std::string(33, 'a'), 1, 9)));

      auto h = st->load("u1");
      REQUIRE(h.records.size() == 1);
      CHECK(h.records[0].version == 2);
      CHECK(h.records[0].data == record("u1", "consent", 2, 2).data);
      REQUIRE_FALSE(st->put_record(record("u1", "consent", 3, 3)));  // the next one still works
      CHECK(st->load("u1").records[0].version == 3);
    }
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("records of different users and kinds are versioned apart") {
  auto dir = temp_dir();
  for (auto& [name, open] : backends(dir)) {
    SECTION(name) {
      auto st = open();
      REQUIRE_FALSE(st->put_record(record("u1", "consent", 1, 1)));
      REQUIRE_FALSE(st->put_record(record("u2", "consent", 1, 2)));
      REQUIRE_FALSE(st->put_record(record("u1", "experiments", 1, 3)));
      REQUIRE_FALSE(st->put_record(record("u2", "consent", 2, 4)));
      REQUIRE_FALSE(st->put_record(record("u1", "experiments", 2, 5)));
      CHECK(st->put_record(record("u1", "consent", 3)));

      auto h1 = st->load("u1");
      REQUIRE(h1.records.size() == 2);
      CHECK(find_record(h1, "consent")->version == 1);
      CHECK(find_record(h1, "consent")->data == record("u1", "consent", 1, 1).data);
      CHECK(find_record(h1, "experiments")->version == 2);
      auto h2 = st->load("u2");
      REQUIRE(h2.records.size() == 1);
      CHECK(h2.records[0].version == 2);
      CHECK(h2.records[0].data == record("u2", "consent", 2, 4).data);
      CHECK(st->user_count() == 0);  // records alone do not count a user
    }
  }
  std::filesystem::remove_all(dir);
}

// -- erasure --------------------------------------------------------------------------------------

TEST_CASE("erasing a user removes its events, snapshot and records and nothing of others") {
  auto dir = temp_dir();
  for (auto& [name, open] : backends(dir)) {
    SECTION(name) {
      {
        auto st = open();
        REQUIRE_FALSE(st->write({event("u1", 1), event("u1", 2), event("u1", 3), event("u2", 1)},
                                {snapshot_record{"u1", 2, {2}, 1.0},
                                 snapshot_record{"u2", 1, {1}, 1.0}}));
        REQUIRE_FALSE(st->put_record(record("u1", "consent", 1)));
        REQUIRE_FALSE(st->put_record(record("u1", "experiments", 1)));
        REQUIRE_FALSE(st->put_record(record("u2", "consent", 1)));
        REQUIRE(st->user_count() == 2);

        auto n = st->erase_user("u1");
        REQUIRE(std::holds_alternative<erase_counts>(n));
        CHECK(std::get<erase_counts>(n).events == 3);
        CHECK(std::get<erase_counts>(n).snapshots == 1);
        CHECK(std::get<erase_counts>(n).records == 2);
        CHECK(st->user_count() == 1);
      }
      auto st = open();  // and it stays erased
      auto h = st->load("u1");
      CHECK_FALSE(h.unreadable);
      CHECK_FALSE(h.snapshot);
      CHECK(h.events.empty());
      CHECK(h.records.empty());
      CHECK(st->user_count() == 1);

      auto h2 = st->load("u2");
      REQUIRE(h2.snapshot);
      CHECK(h2.snapshot->seq == 1);
      CHECK(h2.records.size() == 1);

      SECTION("erasing it again, or a user never seen, removes nothing and is no error") {
        for (const auto* user : {"u1", "nobody"}) {
          auto again = st->erase_user(user);
          REQUIRE(std::holds_alternative<erase_counts>(again));
          CHECK(std::get<erase_counts>(again).events == 0);
          CHECK(std::get<erase_counts>(again).snapshots == 0);
          CHECK(std::get<erase_counts>(again).records == 0);
        }
        CHECK(st->user_count() == 1);
      }
      SECTION("the erased user id starts afresh") {
        REQUIRE_FALSE(st->write({event("u1", 1, 5)}, {}));
        REQUIRE_FALSE(st->put_record(record("u1", "consent", 1)));
        auto fresh = st->load("u1");
        REQUIRE(fresh.events.size() == 1);
        CHECK(fresh.events[0].payload[0] == 5);
        CHECK(st->user_count() == 2);
      }
    }
  }
  std::filesystem::remove_all(dir);
}

// -- retention ------------------------------------------------------------------------------------

TEST_CASE("expiry removes old events a snapshot covers, oldest first, at most the limit a call") {
  auto dir = temp_dir();
  for (auto& [name, open] : backends(dir)) {
    SECTION(name) {
      auto st = open();
      // u1 at 101..106, snapshot at 4; u2 at 101.5..103.5, snapshot at 3; u3 long ago, no
      // snapshot: nothing covers it.
      std::vector<stored_event> events;
      for (std::uint64_t seq = 1; seq <= 6; ++seq) {
        events.push_back(event_at("u1", seq, 100.0 + static_cast<double>(seq)));
      }
      for (std::uint64_t seq = 1; seq <= 3; ++seq) {
        events.push_back(event_at("u2", seq, 100.5 + static_cast<double>(seq)));
      }
      events.push_back(event_at("u3", 1, 11.0));
      events.push_back(event_at("u3", 2, 12.0));
      REQUIRE_FALSE(st->write(events, {snapshot_record{"u1", 4, {4}, 1.0},
                                       snapshot_record{"u2", 3, {3}, 1.0}}));
      REQUIRE_FALSE(st->put_record(record("u1", "consent", 1)));

      // Before 104: u1 1..3 and u2 1..3. The oldest three are u1 1, u2 1, u1 2.
      auto first = st->expire_events(104.0, 3);
      REQUIRE(std::holds_alternative<std::uint64_t>(first));
      CHECK(std::get<std::uint64_t>(first) == 3);
      auto rest = st->expire_events(104.0, 100);
      REQUIRE(std::holds_alternative<std::uint64_t>(rest));
      CHECK(std::get<std::uint64_t>(rest) == 3);  // u2 2, u1 3, u2 3; not u1 4 (at 104)
      CHECK(std::get<std::uint64_t>(st->expire_events(104.0, 100)) == 0);
      CHECK(std::get<std::uint64_t>(st->expire_events(1e12, 0)) == 0);
      CHECK(std::holds_alternative<store_error>(st->expire_events(std::nan(""), 100)));

      // The histories still load: snapshots, records and the events after them stay.
      auto h1 = st->load("u1");
      CHECK_FALSE(h1.unreadable);
      REQUIRE(h1.snapshot);
      CHECK(h1.snapshot->seq == 4);
      REQUIRE(h1.events.size() == 2);
      CHECK(h1.events[0].seq == 5);
      CHECK(h1.records.size() == 1);
      REQUIRE(st->load("u2").snapshot);
      CHECK(st->load("u3").events.size() == 2);  // old, but no snapshot covers them
      CHECK(st->user_count() == 3);

      SECTION("the limit applies in age order") {
        // Only u1 4 is older than 105 and covered now; u3 gets a snapshot covering seq 1.
        REQUIRE_FALSE(st->write({}, {snapshot_record{"u3", 1, {1}, 1.0}}));
        auto n = st->expire_events(105.0, 1);
        CHECK(std::get<std::uint64_t>(n) == 1);  // u3 1 (at 11), the oldest
        CHECK(std::get<std::uint64_t>(st->expire_events(105.0, 10)) == 1);  // u1 4
        CHECK(stored_events(*st, "u3") == 1);
        CHECK(stored_events(*st, "u1") == 2);
        CHECK(stored_events(*st, "u2") == 0);
      }
      SECTION("the first call took the oldest three") {
        CHECK(stored_events(*st, "u1") == 3);  // 4, 5, 6
        CHECK(stored_events(*st, "u2") == 0);
        CHECK(stored_events(*st, "u3") == 2);
      }
    }
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("expiry takes the oldest events first across users") {
  auto dir = temp_dir();
  for (auto& [name, open] : backends(dir)) {
    SECTION(name) {
      auto st = open();
      REQUIRE_FALSE(st->write({event_at("u1", 1, 30.0), event_at("u1", 2, 40.0),
                               event_at("u2", 1, 10.0), event_at("u2", 2, 20.0)},
                              {snapshot_record{"u1", 2, {2}, 1.0},
                               snapshot_record{"u2", 2, {2}, 1.0}}));
      CHECK(std::get<std::uint64_t>(st->expire_events(100.0, 2)) == 2);
      CHECK(stored_events(*st, "u1") == 2);
      CHECK(stored_events(*st, "u2") == 0);
    }
  }
  std::filesystem::remove_all(dir);
}

// -- scans --------------------------------------------------------------------------------------

namespace {

/// Every user of a scan with pages of at most `limit`; `pages` counts the non-empty ones.
std::vector<user_summary> scan_all(store& st, std::uint64_t limit, int* pages = nullptr) {
  std::vector<user_summary> out;
  std::string after;
  for (int n = 0;; ++n) {
    auto r = st.scan_users(after, limit);
    REQUIRE(std::holds_alternative<user_page>(r));
    auto& page = std::get<user_page>(r);
    CHECK_FALSE(page.unreadable);
    REQUIRE(page.users.size() <= limit);
    if (page.users.empty()) {
      if (pages != nullptr) {
        *pages = n;
      }
      return out;
    }
    after = page.users.back().user_id;
    for (auto& u : page.users) {
      out.push_back(std::move(u));
    }
  }
}

std::vector<std::string> ids(const std::vector<user_summary>& users) {
  std::vector<std::string> out;
  for (const auto& u : users) {
    out.push_back(u.user_id);
  }
  return out;
}

} // namespace

TEST_CASE("a scan pages through every user in id order, records-only users in, erased ones out") {
  auto dir = temp_dir();
  for (auto& [name, open] : backends(dir)) {
    SECTION(name) {
      auto st = open();
      // u1 events; u10 events and a snapshot; u2 records alone; u3 a snapshot alone; u4 records
      // and events; u5 everything, then erased.
      REQUIRE_FALSE(st->write({event("u1", 1), event("u1", 2), event("u10", 1), event("u4", 1),
                               event("u5", 1)},
                              {snapshot_record{"u10", 1, {10}, 3.0},
                               snapshot_record{"u3", 7, {3}, 4.0},
                               snapshot_record{"u5", 1, {5}, 5.0}}));
      REQUIRE_FALSE(st->put_record(record("u2", "consent", 1, 2)));
      REQUIRE_FALSE(st->put_record(record("u2", "experiments", 1, 3)));
      REQUIRE_FALSE(st->put_record(record("u4", "consent", 1, 4)));
      REQUIRE_FALSE(st->put_record(record("u5", "consent", 1, 5)));
      REQUIRE(std::holds_alternative<erase_counts>(st->erase_user("u5")));

      int pages = 0;
      auto users = scan_all(*st, 2, &pages);
      CHECK(pages == 3);  // 2 + 2 + 1, then the empty page
      // Bytewise id order: "u10" sorts before "u2".
      CHECK(ids(users) == std::vector<std::string>{"u1", "u10", "u2", "u3", "u4"});
      CHECK(ids(scan_all(*st, 1)) == ids(users));
      CHECK(ids(scan_all(*st, 100)) == ids(users));
      REQUIRE(users.size() == 5);

      CHECK(users[0].events == 2);
      CHECK_FALSE(users[0].snapshot);
      CHECK(users[0].records.empty());
      REQUIRE(users[1].snapshot);
      CHECK(users[1].snapshot->data == std::vector<std::uint8_t>{10});
      CHECK(users[1].snapshot->updated_at == 3.0);
      CHECK(users[1].events == 1);  // covered by the snapshot, still held
      const auto& u2 = users[2];
      CHECK(u2.events == 0);
      CHECK(u2.oldest_event_at == 0);
      CHECK_FALSE(u2.snapshot);
      REQUIRE(u2.records.size() == 2);
      CHECK(u2.records[0].kind == "consent");
      CHECK(u2.records[0].user_id == "u2");
      CHECK(u2.records[0].data == record("u2", "consent", 1, 2).data);
      CHECK(u2.records[0].updated_at == record("u2", "consent", 1).updated_at);
      CHECK(u2.records[1].kind == "experiments");
      REQUIRE(users[3].snapshot);
      CHECK(users[3].snapshot->seq == 7);
      CHECK(users[3].events == 0);
      CHECK(users[4].events == 1);
      REQUIRE(users[4].records.size() == 1);
      CHECK(users[4].records[0].version == 1);

      SECTION("a scan starts after the id it is given, which need not be stored") {
        auto r = st->scan_users("u2", 10);
        REQUIRE(std::holds_alternative<user_page>(r));
        CHECK(ids(std::get<user_page>(r).users) == std::vector<std::string>{"u3", "u4"});
        auto between = st->scan_users("u1x", 1);
        REQUIRE(std::holds_alternative<user_page>(between));
        CHECK(ids(std::get<user_page>(between).users) == std::vector<std::string>{"u2"});
        auto past = st->scan_users("u4", 10);
        REQUIRE(std::holds_alternative<user_page>(past));
        CHECK(std::get<user_page>(past).users.empty());
        CHECK(std::holds_alternative<store_error>(st->scan_users("", 0)));
      }
      SECTION("an erased user leaves the scan, and comes back if written again") {
        REQUIRE(std::holds_alternative<erase_counts>(st->erase_user("u2")));
        REQUIRE(std::holds_alternative<erase_counts>(st->erase_user("u1")));
        CHECK(ids(scan_all(*st, 2)) == std::vector<std::string>{"u10", "u3", "u4"});
        REQUIRE_FALSE(st->put_record(record("u1", "consent", 1)));
        CHECK(ids(scan_all(*st, 2)) == std::vector<std::string>{"u1", "u10", "u3", "u4"});
      }
    }
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a scan counts the events held and their oldest stored_at, after expiry too") {
  auto dir = temp_dir();
  for (auto& [name, open] : backends(dir)) {
    SECTION(name) {
      auto st = open();
      std::vector<stored_event> events;
      for (std::uint64_t seq = 1; seq <= 5; ++seq) {
        events.push_back(event_at("u1", seq, 100.0 + static_cast<double>(seq)));
      }
      // u2's stored_at run backwards (a clock stepped back): the oldest is the last.
      events.push_back(event_at("u2", 1, 50.25));
      events.push_back(event_at("u2", 2, 20.125));
      REQUIRE_FALSE(st->write(events, {snapshot_record{"u1", 3, {3}, 1.0}}));
      REQUIRE_FALSE(st->write({}, {snapshot_record{"u1", 4, {4}, 2.0}}));  // the newest wins

      auto before = scan_all(*st, 10);
      REQUIRE(before.size() == 2);
      CHECK(before[0].events == 5);
      CHECK(before[0].oldest_event_at == 101.0);
      REQUIRE(before[0].snapshot);
      CHECK(before[0].snapshot->seq == 4);
      CHECK(before[0].snapshot->data == std::vector<std::uint8_t>{4});
      CHECK(before[0].snapshot->updated_at == 2.0);
      CHECK(before[1].events == 2);
      CHECK(before[1].oldest_event_at == 20.125);

      // Before 103.5 and covered: u1 1..3. u2 is old but uncovered.
      REQUIRE(std::get<std::uint64_t>(st->expire_events(103.5, 100)) == 3);
      auto after = scan_all(*st, 10);
      REQUIRE(after.size() == 2);
      CHECK(after[0].events == 2);
      CHECK(after[0].oldest_event_at == 104.0);
      CHECK(after[1].events == 2);
      CHECK(after[1].oldest_event_at == 20.125);

      REQUIRE_FALSE(st->write({}, {snapshot_record{"u1", 5, {5}, 3.0}}));
      REQUIRE(std::get<std::uint64_t>(st->expire_events(1000.0, 100)) == 2);
      auto drained = scan_all(*st, 10);
      REQUIRE(drained.size() == 2);  // its snapshot keeps u1 in the scan
      CHECK(drained[0].user_id == "u1");
      CHECK(drained[0].events == 0);
      CHECK(drained[0].oldest_event_at == 0);
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
