// The log of a real aia-node: JSON lines with an event name, and never a raw user id or payload.
#include "runtime/node.hpp"

#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/wire.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sstream>

using namespace aia::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

TEST_CASE("the node's debug log is JSON lines without user ids or payloads") {
  node_process node{node_options::with_args({"--log_level=debug"})};
  const std::string user = "alice.secret@example.org";
  const std::string element = "secret-element-42";
  const auto target = std::string{api} + "/interaction";

  // REST: accepted, refused, profile found and not found.
  auto body = rest_interaction(user);
  body["element_id"] = element;
  REQUIRE(http_request(node.port(), "POST", target, body.dump()).status == 200);
  body["timing_data"]["response_time"] = -1;
  REQUIRE(http_request(node.port(), "POST", target, body.dump()).status == 400);
  REQUIRE(http_request(node.port(), "GET", std::string{api} + "/profile/" + user).status == 200);
  REQUIRE(http_request(node.port(), "GET", std::string{api} + "/profile/ghost.secret").status
          == 404);

  // WebSocket: a batch, a bad message, a user mismatch, and a dropped socket.
  {
    ws_client ws{node.port(), ws_path(user)};
    REQUIRE(ws.upgraded());
    auto batch = ws_batch(user, 2);
    batch["interactions"][0]["elementId"] = element;
    ws.send_text(batch.dump());
    REQUIRE(ws.read_type("ack", 10s).has_value());
    ws.send_text(R"({"type":"interaction_batch","interactions":[{"userId":"mallory.secret"}]})");
    REQUIRE(ws.read_type("error", 10s).has_value());
    ws.send_text("{\"type\":\"secret-type\"}");
    REQUIRE(ws.read_type("error", 10s).has_value());
  }
  REQUIRE(node.terminate() == 0); // flushes the log

  auto log = node.stderr_text();
  REQUIRE_FALSE(log.empty());
  for (const char* secret :
       {"alice.secret", "secret-element-42", "ghost.secret", "mallory.secret", "secret-type"}) {
    INFO("secret " << secret);
    CHECK(log.find(secret) == std::string::npos);
  }
  std::istringstream lines{log};
  int n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    INFO("log line " << n << ": " << line);
    auto j = json::parse(line, nullptr, false);
    REQUIRE(j.is_object());
    CHECK(j.contains("ts"));
    CHECK(j.contains("level"));
    REQUIRE(j.contains("event"));
    CHECK(j["event"].is_string());
  }
  CHECK(log.find("\"event\":\"node.started\"") != std::string::npos);
}
