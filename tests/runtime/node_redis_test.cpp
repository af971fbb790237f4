// A node on the Redis store (REDIS_URL): what it acknowledges is in Redis, readable by another
// node with the same key ring; while Redis is away the node is not ready and holds writes,
// unacknowledged and bounded (a clear error past the bound), and commits them when it is back.
#include "tests/support/command.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/wire.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

using namespace aia::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const std::string target = std::string{api} + "/interaction";

int post(const node_process& node, std::string_view user) {
  return http_request(node.port(), "POST", target, rest_interaction(user).dump()).status;
}

/// Polls /readyz until it answers `status` or 10 s pass.
bool readyz_becomes(const node_process& node, int status) {
  for (int i = 0; i < 100; ++i) {
    if (http_request(node.port(), "GET", "/readyz").status == status) {
      return true;
    }
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

} // namespace

TEST_CASE("with REDIS_URL a node keeps its users in Redis, where another node reads them") {
  redis_server redis;
  node_options opt;
  opt.env = {{"REDIS_URL", redis.url()}};
  node_process a{opt};
  for (int i = 0; i < 3; ++i) {
    REQUIRE(post(a, "redis-user") == 200);
  }
  CHECK(node_metric(a.port(), "redis_connection_status") == 1);
  CHECK(fs::exists(a.data_dir() / "keyring"));
  CHECK_FALSE(fs::exists(a.data_dir() / "aia.db"));  // nothing in the embedded store
  auto keys = redis.cli({"KEYS", "aia:*"});
  CHECK_THAT(keys, Catch::Contains("aia:ev:redis-user"));
  REQUIRE(a.terminate() == 0);

  // Another node, its own data directory, the same key ring: the same user, with its history.
  node_options other = opt;
  other.args = {"--store.keyring_file=" + (a.data_dir() / "keyring").string()};
  node_process b{other};
  CHECK(profile_count(b.port(), "redis-user") == 3);
  CHECK(post(b, "redis-user") == 200);
  CHECK(profile_count(b.port(), "redis-user") == 4);

  // A node without that ring would make a new one that opens none of it: it refuses to start
  // and leaves no ring behind.
  auto dir = b.data_dir().parent_path() / "ringless";
  auto ringless = run_node_expecting_exit("--redis_url=" + redis.url(), true, dir);
  CHECK(ringless.status == 1);
  CHECK_THAT(ringless.output, Catch::Contains("key ring") && Catch::Contains("store.keyring_file"));
  CHECK_FALSE(fs::exists(dir / "keyring"));
}

TEST_CASE("while Redis is away the node is not ready and holds writes, bounded, until it is back") {
  redis_server redis;
  node_options opt;
  opt.env = {{"REDIS_URL", redis.url()}};
  // A small admission bound, so that the outage fills it quickly.
  opt.args = {"--real_time.max_queue_size=5"};
  node_process node{opt};
  REQUIRE(post(node, "outage-user") == 200);
  REQUIRE(http_request(node.port(), "GET", "/readyz").status == 200);
  ws_client ws{node.port(), std::string{api} + "/ws/outage-user"};
  REQUIRE(ws.upgraded());

  redis.stop();
  // Accepted while Redis is away, but not acknowledged: nothing is durable yet.
  ws.send_text(ws_batch("outage-user", 2, "outage-client", 1).dump());
  ws.send_text(ws_batch("outage-user", 2, "outage-client", 2).dump());
  CHECK(readyz_becomes(node, 503));
  CHECK(node_metric(node.port(), "redis_connection_status") == 0);
  CHECK_FALSE(ws.read_type("ack", 500ms));
  // Past the bound: a clear refusal at once, and that batch is never stored.
  ws.send_text(ws_batch("outage-user", 2, "outage-client", 3).dump());
  auto refused = ws.read_type("error", 5000ms);
  REQUIRE(refused);
  CHECK(json::parse(*refused)["error"] == "overloaded");

  redis.restart();  // the AOF brings back what was acknowledged before
  CHECK(readyz_becomes(node, 200));
  // What was held is committed now, and only now acknowledged.
  std::set<std::uint64_t> acked;
  for (int i = 0; i < 2; ++i) {
    auto ack = ws.read_type("ack", 10000ms);
    REQUIRE(ack);
    acked.insert(json::parse(*ack)["seq"].get<std::uint64_t>());
  }
  CHECK(acked == std::set<std::uint64_t>{1, 2});
  CHECK(profile_count(node.port(), "outage-user") == 5);
  CHECK(post(node, "outage-user") == 200);
  CHECK(profile_count(node.port(), "outage-user") == 6);
  CHECK(node_metric(node.port(), "redis_connection_status") == 1);
}

TEST_CASE("a bad REDIS_URL stops the start with exit 2, an unreachable Redis with exit 1") {
  auto bad = run_node_expecting_exit("--redis_url=http://nowhere");
  CHECK(bad.status == 2);
  CHECK_THAT(bad.output, Catch::Contains("REDIS_URL"));
  auto secret = run_node_expecting_exit("--redis_url=redis://:hunter2-secret@127.0.0.1:1/0");
  CHECK(secret.status == 1);
  CHECK_THAT(secret.output, Catch::Contains("redis"));
  CHECK(secret.output.find("hunter2-secret") == std::string::npos);
}
