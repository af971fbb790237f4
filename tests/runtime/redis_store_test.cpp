// Tests of the Redis store beyond the shared contract (store_test.cpp): REDIS_URL parsing, a real
// redis-server restarted, stopped, paused or password-protected, and what lies in it at rest.
#include "runtime/redis_store.hpp"

#include "privacy/sealing.hpp"
#include "tests/support/redis_server.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <variant>

using namespace aia::runtime;
using aia::privacy::key_ring;
using aia::privacy::sealer;
using aia::test::redis_server;
using namespace std::chrono_literals;

namespace {

const std::string marker = "PLAINTEXT-MARKER-xyz";

std::shared_ptr<const sealer> new_sealer() {
  return std::make_shared<const sealer>(
    key_ring::ephemeral(static_cast<std::int64_t>(std::time(nullptr))));
}

std::string fresh_prefix() {
  std::random_device rd;
  return std::to_string(rd()) + ":";  // digits: no prefix of another test's keys
}

stored_event event(const std::string& user, std::uint64_t seq, const std::string& payload = "abc") {
  return stored_event{user, seq, "c1", seq, 1634567890.5, 1795000000.25,
                      std::vector<std::uint8_t>(payload.begin(), payload.end())};
}

redis_options options(const redis_server& server, std::chrono::milliseconds timeout = 500ms) {
  auto opt = parse_redis_url(server.url());
  opt.timeout = timeout;
  return opt;
}

/// Seconds `f` took.
template <class F>
double seconds(F&& f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Every byte of the files under `dir` (the AOF), as one string.
std::string all_files(const std::filesystem::path& dir) {
  std::string out;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
    if (f.is_regular_file()) {
      std::ifstream in{f.path(), std::ios::binary};
      std::stringstream ss;
      ss << in.rdbuf();
      out += ss.str();
    }
  }
  return out;
}

} // namespace

// -- REDIS_URL ---------------------------------------------------------------------------------

TEST_CASE("a Redis URL gives host, port, database and password") {
  SECTION("defaults") {
    auto o = parse_redis_url("redis://cache");
    CHECK(o.host == "cache");
    CHECK(o.port == 6379);
    CHECK(o.db == 0);
    CHECK(o.password.empty());
  }
  SECTION("every part") {
    auto o = parse_redis_url("redis://:pa%40ss@10.0.0.7:6380/3");
    CHECK(o.host == "10.0.0.7");
    CHECK(o.port == 6380);
    CHECK(o.db == 3);
    CHECK(o.password == "pa@ss");
  }
  SECTION("the default user, an unencoded '@' or '/' in the password, an IPv6 host") {
    CHECK(parse_redis_url("redis://default:pw@h/").password == "pw");
    CHECK(parse_redis_url("redis://:a@b/c@h:1/2").password == "a@b/c");
    auto o = parse_redis_url("redis://[::1]:7000/1");
    CHECK(o.host == "::1");
    CHECK(o.port == 7000);
    CHECK(o.db == 1);
  }
}

TEST_CASE("a bad Redis URL names REDIS_URL and the problem, never the password") {
  for (std::string url : {"http://h", "rediss://:hunter2@h", "redis://", "redis://:hunter2@",
                          "redis://h:0", "redis://h:65536", "redis://h:x", "redis://:hunter2@h:",
                          "redis://h/-1", "redis://h/db", "redis://alice:hunter2@h",
                          "redis://hunter2@h", "redis://:hunter2%zz@h", "redis://::1:6379",
                          "redis://[::1", "redis://[::1]x"}) {
    CAPTURE(url);
    try {
      (void)parse_redis_url(url);
      FAIL("accepted");
    } catch (const std::invalid_argument& e) {
      std::string what = e.what();
      CHECK(what.starts_with("REDIS_URL: "));
      CHECK(what.size() > 14);
      CHECK(what.find("hunter2") == std::string::npos);
    }
  }
}

// -- connecting --------------------------------------------------------------------------------

TEST_CASE("opening a Redis store where nothing listens fails at once with the reason", "[redis]") {
  redis_options opt;
  {
    redis_server gone;
    opt = options(gone);
  }  // its port is free again
  double took = seconds([&] {
    CHECK_THROWS_WITH(open_redis_store(opt, new_sealer()),
                      Catch::Contains("cannot open redis store") && Catch::Contains("refused"));
  });
  CHECK(took < 1.0);
}

TEST_CASE("a password-protected Redis opens with its password and refuses a wrong one, unechoed",
          "[redis]") {
  redis_server server{{"--requirepass", "s3cret-pw"}};
  auto opt = options(server);
  opt.password = "s3cret-pw";
  auto st = open_redis_store(opt, new_sealer(), fresh_prefix());
  REQUIRE_FALSE(st->write({event("u1", 1)}, {}));
  CHECK(st->load("u1").events.size() == 1);
  opt.password = "wrong-pw";
  try {
    (void)open_redis_store(opt, new_sealer());
    FAIL("opened");
  } catch (const std::runtime_error& e) {
    std::string what = e.what();
    CHECK(what.find("wrong-pw") == std::string::npos);
    CHECK(what.find("s3cret-pw") == std::string::npos);
    CHECK_THAT(what, Catch::Contains("WRONGPASS"));
  }
}

// -- durability and outages --------------------------------------------------------------------

TEST_CASE("events acknowledged before Redis restarts with its AOF are all there after", "[redis]") {
  // appendfsync always: with everysec Redis may answer a write whose AOF write(2) it postponed
  // behind a slow fsync (up to 2 s, its documented loss window), which a SIGKILL then loses.
  redis_server server{{"--appendfsync", "always"}};
  auto seal = new_sealer();
  auto prefix = fresh_prefix();
  auto st = open_redis_store(options(server), seal, prefix);
  for (std::uint64_t seq = 1; seq <= 200; ++seq) {
    REQUIRE_FALSE(st->write({event("u1", seq), event("u2", seq)},
                            {snapshot_record{"u2", seq, {static_cast<std::uint8_t>(seq)}, 1.0}}));
  }
  SECTION("shut down") { server.restart(); }
  SECTION("killed (SIGKILL): what Redis replied to was in its AOF file already") {
    server.kill();
    server.restart();
  }
  // The same store notices its connection is gone and opens another: no failed call.
  auto h = st->load("u1");
  CHECK_FALSE(h.unreadable);
  REQUIRE(h.events.size() == 200);
  CHECK(h.events.back().seq == 200);
  CHECK(h.events.back().payload == event("u1", 200).payload);
  auto fresh = open_redis_store(options(server), seal, prefix);
  auto h2 = fresh->load("u2");
  REQUIRE(h2.snapshot);
  CHECK(h2.snapshot->seq == 200);
  CHECK(h2.events.empty());
  CHECK(fresh->user_count() == 2);
}

TEST_CASE("while Redis is down calls fail quickly, and writes succeed again once it is back",
          "[redis]") {
  redis_server server;
  auto st = open_redis_store(options(server, 300ms), new_sealer(), fresh_prefix());
  REQUIRE_FALSE(st->write({event("u1", 1)}, {}));
  REQUIRE(st->user_count() == 1);

  SECTION("stopped: connections are refused") {
    server.stop();
    std::optional<store_error> err;
    CHECK(seconds([&] { err = st->write({event("u1", 2)}, {}); }) < 1.0);
    REQUIRE(err);
    CHECK_THAT(err->message, Catch::Contains("redis unavailable"));
    user_history h;
    CHECK(seconds([&] { h = st->load("u1"); }) < 1.0);
    CHECK(h.unreadable);  // never taken for a user with no history
    CHECK(st->user_count() == 1);  // the last count read
    server.restart();
  }
  SECTION("paused: connected, but no reply comes within the timeout") {
    server.pause();
    std::optional<store_error> err;
    CHECK(seconds([&] { err = st->write({event("u1", 2)}, {}); }) < 1.5);
    REQUIRE(err);
    CHECK_THAT(err->message, Catch::Contains("no reply within 300 ms"));
    CHECK(seconds([&] { err = st->write({event("u1", 3)}, {}); }) < 1.5);
    CHECK(err);
    server.resume();
  }
  // Reconnects after a short backoff: a write succeeds within a few seconds.
  std::optional<store_error> err{store_error{}};
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (err && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    err = st->write({event("u1", 10)}, {});
  }
  CHECK_FALSE(err);
  auto h = st->load("u1");
  CHECK_FALSE(h.unreadable);
  REQUIRE(h.events.size() >= 2);  // a write that timed out may still have been applied later
  CHECK(h.events.front().seq == 1);
  CHECK(h.events.back().seq == 10);
}

// -- at rest -----------------------------------------------------------------------------------

TEST_CASE("Redis holds no plaintext payload or snapshot bytes, only sealed values", "[redis]") {
  redis_server server;
  auto st = open_redis_store(options(server), new_sealer(), "aia:");
  std::vector<std::uint8_t> snap(marker.begin(), marker.end());
  REQUIRE_FALSE(st->write({event("u1", 1, marker), event("u1", 2, marker)},
                          {snapshot_record{"u1", 1, snap, 7.5}}));
  auto events = server.cli({"ZRANGE", "aia:ev:u1", "0", "-1"});
  auto snapshot = server.cli({"HGETALL", "aia:snap:u1"});
  CHECK(events.find("c1") != std::string::npos);  // index fields stay clear
  CHECK(snapshot.find("7.5") != std::string::npos);
  CHECK(events.find(marker) == std::string::npos);
  CHECK(snapshot.find(marker) == std::string::npos);
  CHECK(server.cli({"SMEMBERS", "aia:users"}) == "u1\n");
  CHECK(all_files(server.dir()).find(marker) == std::string::npos);  // nor its AOF
  CHECK(st->load("u1").snapshot->data == snap);
}

TEST_CASE("a Redis value that does not open is reported unreadable, never used", "[redis]") {
  redis_server server;
  auto st = open_redis_store(options(server), new_sealer(), "aia:");
  REQUIRE_FALSE(st->write({event("u1", 1)}, {snapshot_record{"u1", 0, {1}, 1.0}}));
  SECTION("sealed for another user") {
    REQUIRE(server.cli({"COPY", "aia:ev:u1", "aia:ev:u2"}) == "1\n");
    auto h = st->load("u2");
    REQUIRE(h.unreadable);
    CHECK_THAT(h.unreadable->message, Catch::Contains("events.payload of seq 1")
                                        && Catch::Contains("tampered"));
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0].payload.empty());
  }
  SECTION("sealed under a key the ring lacks") {
    auto h = open_redis_store(options(server), new_sealer(), "aia:")->load("u1");
    REQUIRE(h.unreadable);
    CHECK_THAT(h.unreadable->message, Catch::Contains("snapshots.data of seq 0"));
    REQUIRE(h.snapshot);
    CHECK(h.snapshot->data.empty());
  }
  SECTION("not a record at all") {
    REQUIRE(server.cli({"ZADD", "aia:ev:u1", "5", "garbage"}) == "1\n");
    auto h = st->load("u1");
    REQUIRE(h.unreadable);
    CHECK_THAT(h.unreadable->message, Catch::Contains("events.payload of seq 5")
                                        && Catch::Contains("malformed"));
    REQUIRE(h.events.size() == 2);
    CHECK(h.events[1].seq == 5);
    CHECK(h.events[1].payload.empty());
  }
}

TEST_CASE("Redis holds no plaintext record, and a record moved to another user or kind does not "
          "open",
          "[redis]") {
  redis_server server;
  auto st = open_redis_store(options(server), new_sealer(), "aia:");
  std::vector<std::uint8_t> data(marker.begin(), marker.end());
  REQUIRE_FALSE(st->put_record(user_record{"u1", "consent", 1, data, 7.5}));
  REQUIRE_FALSE(st->put_record(user_record{"u1", "experiments", 1, {1}, 7.5}));
  auto fields = server.cli({"HGETALL", "aia:rec:u1"});
  CHECK(fields.find("consent:version") != std::string::npos);  // kinds and versions stay clear
  CHECK(fields.find(marker) == std::string::npos);
  CHECK(all_files(server.dir()).find(marker) == std::string::npos);
  CHECK(server.cli({"SCARD", "aia:users"}) == "0\n");  // records alone do not count a user
  auto h = st->load("u1");
  CHECK_FALSE(h.unreadable);
  REQUIRE(h.records.size() == 2);
  CHECK(h.records[0].kind == "consent");
  CHECK(h.records[0].data == data);
  CHECK(h.records[0].updated_at == 7.5);

  SECTION("another user's") {
    REQUIRE(server.cli({"COPY", "aia:rec:u1", "aia:rec:u2"}) == "1\n");
    auto h2 = st->load("u2");
    REQUIRE(h2.unreadable);
    CHECK_THAT(h2.unreadable->message, Catch::Contains("records.data of kind consent version 1")
                                         && Catch::Contains("tampered"));
    REQUIRE(h2.records.size() == 2);
    CHECK(h2.records[0].data.empty());
  }
  SECTION("another kind's") {
    REQUIRE(server.cli({"EVAL",
                        "return redis.call(\"HSET\", KEYS[1], \"experiments:data\", "
                        "redis.call(\"HGET\", KEYS[1], \"consent:data\"))",
                        "1", "aia:rec:u1"})
            == "0\n");  // replaced the field
    auto h2 = st->load("u1");
    REQUIRE(h2.unreadable);
    CHECK_THAT(h2.unreadable->message, Catch::Contains("kind experiments")
                                         && Catch::Contains("tampered"));
  }
  SECTION("half a record") {
    REQUIRE(server.cli({"HDEL", "aia:rec:u1", "experiments:version"}) == "1\n");
    auto h2 = st->load("u1");
    REQUIRE(h2.unreadable);
    CHECK_THAT(h2.unreadable->message, Catch::Contains("kind experiments")
                                         && Catch::Contains("malformed"));
  }
}

TEST_CASE("erasing a user leaves no key, index entry or users entry of it in Redis", "[redis]") {
  redis_server server;
  auto st = open_redis_store(options(server), new_sealer(), "aia:");
  REQUIRE_FALSE(st->write({event("u1", 1), event("u1", 2), event("u2", 1)},
                          {snapshot_record{"u1", 1, {1}, 1.0}}));
  REQUIRE_FALSE(st->put_record(user_record{"u1", "consent", 1, {1}, 1.0}));
  CHECK(server.cli({"ZCARD", "aia:expiry"}) == "3\n");
  auto n = st->erase_user("u1");
  REQUIRE(std::holds_alternative<erase_counts>(n));
  CHECK(std::get<erase_counts>(n).events == 2);
  CHECK(std::get<erase_counts>(n).snapshots == 1);
  CHECK(std::get<erase_counts>(n).records == 1);
  CHECK(server.cli({"KEYS", "aia:*u1*"}) == "\n");  // redis-cli's empty list
  CHECK(server.cli({"ZRANGE", "aia:expiry", "0", "-1"}) == "1:u2\n");
  CHECK(server.cli({"SMEMBERS", "aia:users"}) == "u2\n");
}

TEST_CASE("events from before the expiry index never expire, and nothing fails", "[redis]") {
  redis_server server;
  auto st = open_redis_store(options(server), new_sealer(), "aia:");
  REQUIRE_FALSE(st->write({event("u1", 1), event("u1", 2)}, {snapshot_record{"u1", 2, {2}, 1.0}}));
  REQUIRE(server.cli({"DEL", "aia:expiry"}) == "1\n");  // as data written by an older node
  auto none = st->expire_events(1e12, 100);
  REQUIRE(std::holds_alternative<std::uint64_t>(none));
  CHECK(std::get<std::uint64_t>(none) == 0);
  auto h = st->load("u1");
  CHECK_FALSE(h.unreadable);
  REQUIRE(h.snapshot);

  // Events written since are indexed and expire; erasure takes the old ones too.
  REQUIRE_FALSE(st->write({event("u1", 3)}, {snapshot_record{"u1", 3, {3}, 1.0}}));
  CHECK(std::get<std::uint64_t>(st->expire_events(1e12, 100)) == 1);
  auto n = st->erase_user("u1");
  CHECK(std::get<erase_counts>(n).events == 2);
}

TEST_CASE("expiry goes past more uncovered events than one script looks at", "[redis]") {
  redis_server server;
  auto st = open_redis_store(options(server), new_sealer(), fresh_prefix());
  std::vector<stored_event> uncovered;
  std::vector<stored_event> covered;
  for (std::uint64_t seq = 1; seq <= 1200; ++seq) {
    auto e = event("old", seq);
    e.stored_at = static_cast<double>(seq);  // older than every event of "done"
    uncovered.push_back(std::move(e));
    auto d = event("done", seq);
    d.stored_at = 2000.0 + static_cast<double>(seq);
    covered.push_back(std::move(d));
  }
  REQUIRE_FALSE(st->write(uncovered, {}));
  REQUIRE_FALSE(st->write(covered, {snapshot_record{"done", 1200, {1}, 1.0}}));
  auto n = st->expire_events(1e9, 1100);
  REQUIRE(std::holds_alternative<std::uint64_t>(n));
  CHECK(std::get<std::uint64_t>(n) == 1100);
  CHECK(std::get<std::uint64_t>(st->expire_events(1e9, 1000)) == 100);
  CHECK(std::get<std::uint64_t>(st->expire_events(1e9, 1000)) == 0);
  CHECK(st->load("old").events.size() == 1200);
}

TEST_CASE("one large write over many users lands whole, or not at all on a duplicate", "[redis]") {
  redis_server server;
  auto st = open_redis_store(options(server), new_sealer(), fresh_prefix());
  std::vector<stored_event> batch;
  std::vector<snapshot_record> snaps;
  for (std::uint64_t seq = 1; seq <= 40; ++seq) {
    for (int u = 0; u < 50; ++u) {
      batch.push_back(event("user-" + std::to_string(u), seq, std::string(200, 'x')));
    }
  }
  for (int u = 0; u < 50; ++u) {
    snaps.push_back(snapshot_record{"user-" + std::to_string(u), 20, {2}, 2.0});
  }
  auto dup = batch;
  dup.push_back(event("user-7", 40));  // repeats an event of the same call
  CHECK(st->write(dup, snaps));
  CHECK(st->user_count() == 0);
  REQUIRE_FALSE(st->write(batch, snaps));
  CHECK(st->user_count() == 50);
  auto h = st->load("user-49");
  REQUIRE(h.snapshot);
  CHECK(h.events.size() == 20);
  CHECK(h.events.front().seq == 21);
  CHECK(h.events.front().timestamp == 1634567890.5);
}

// -- scans ---------------------------------------------------------------------------------------

TEST_CASE("a Redis scan lists the users written before its index, which the first scan builds",
          "[redis]") {
  redis_server server;
  auto st = open_redis_store(options(server), new_sealer(), "aia:");
  REQUIRE_FALSE(st->write({event("u1", 1), event("u3", 1)}, {snapshot_record{"u4", 1, {4}, 1.0}}));
  REQUIRE_FALSE(st->put_record(user_record{"u2", "consent", 1, {2}, 1.0}));  // records alone
  CHECK(server.cli({"ZRANGE", "aia:ids", "0", "-1"}) == "u1\nu2\nu3\nu4\n");
  // As data written by an older node: no index, no marker; and a users entry whose keys are gone.
  REQUIRE(server.cli({"DEL", "aia:ids", "aia:ids:built"}) == "1\n");
  REQUIRE(server.cli({"DEL", "aia:ev:u3"}) == "1\n");

  auto r = st->scan_users("", 10);
  REQUIRE(std::holds_alternative<user_page>(r));
  const auto& page = std::get<user_page>(r);
  CHECK_FALSE(page.unreadable);
  REQUIRE(page.users.size() == 3);
  CHECK(page.users[0].user_id == "u1");
  CHECK(page.users[0].events == 1);
  CHECK(page.users[0].oldest_event_at == 1795000000.25);
  CHECK(page.users[1].user_id == "u2");
  REQUIRE(page.users[1].records.size() == 1);
  CHECK(page.users[1].records[0].data == std::vector<std::uint8_t>{2});
  CHECK(page.users[2].user_id == "u4");
  CHECK(server.cli({"EXISTS", "aia:ids:built"}) == "1\n");
  CHECK(server.cli({"ZRANGE", "aia:ids", "0", "-1"}) == "u1\nu2\nu4\n");

  // Once built, erasure and writes keep it.
  REQUIRE(std::holds_alternative<erase_counts>(st->erase_user("u1")));
  REQUIRE_FALSE(st->write({event("u0", 1)}, {}));
  CHECK(server.cli({"ZRANGE", "aia:ids", "0", "-1"}) == "u0\nu2\nu4\n");
}

TEST_CASE("a Redis scan reports a value that does not open as unreadable, with empty bytes",
          "[redis]") {
  redis_server server;
  auto st = open_redis_store(options(server), new_sealer(), "aia:");
  REQUIRE_FALSE(st->write({event("u1", 1)}, {snapshot_record{"u1", 1, {1}, 1.0}}));
  REQUIRE_FALSE(st->write({event("u2", 1)}, {snapshot_record{"u2", 1, {2}, 1.0}}));
  REQUIRE(server.cli({"HSET", "aia:snap:u1", "data", "garbage"}) == "0\n");
  auto r = st->scan_users("", 10);
  REQUIRE(std::holds_alternative<user_page>(r));
  const auto& page = std::get<user_page>(r);
  REQUIRE(page.unreadable);
  CHECK_THAT(page.unreadable->message, Catch::Contains("snapshots.data of seq 1"));
  REQUIRE(page.users.size() == 2);
  REQUIRE(page.users[0].snapshot);
  CHECK(page.users[0].snapshot->data.empty());
  CHECK(page.users[1].snapshot->data == std::vector<std::uint8_t>{2});
}

TEST_CASE("a Redis scan page holds at most 1000 users, and the scan goes on past it", "[redis]") {
  redis_server server;
  auto st = open_redis_store(options(server), new_sealer(), fresh_prefix());
  std::vector<stored_event> batch;
  for (int u = 0; u < 1005; ++u) {
    batch.push_back(event("user-" + std::to_string(100000 + u), 1));
  }
  REQUIRE_FALSE(st->write(batch, {}));
  auto first = st->scan_users("", std::numeric_limits<std::uint64_t>::max());
  REQUIRE(std::holds_alternative<user_page>(first));
  const auto& users = std::get<user_page>(first).users;
  REQUIRE(users.size() == 1000);
  CHECK(users.front().user_id == "user-100000");
  auto rest = st->scan_users(users.back().user_id, 2000);
  REQUIRE(std::holds_alternative<user_page>(rest));
  REQUIRE(std::get<user_page>(rest).users.size() == 5);
  CHECK(std::get<user_page>(rest).users.back().user_id == "user-101004");
  auto end = st->scan_users("user-101004", 2000);
  REQUIRE(std::holds_alternative<user_page>(end));
  CHECK(std::get<user_page>(end).users.empty());
}
