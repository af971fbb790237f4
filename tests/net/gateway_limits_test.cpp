// Integration tests of the request rate limits through the real gateway: the 101st request in a
// minute is refused with 429 and Retry-After and the limit recovers; refused tokens are limited
// per address; a WebSocket over its message rate gets error frames, then a 1008 close; an address
// holds a bounded number of connections; slow clients and expired tokens are cut off.
#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/wire.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <thread>
#include <vector>

using namespace aia::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

header_list bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

std::string profile_target(std::string_view user) {
  return std::string{api} + "/profile/" + std::string{user};
}

} // namespace

TEST_CASE("the 101st request of a minute is 429 with Retry-After, and the limit recovers") {
  node_process node{node_options::with_args({"--limits.requests_per_minute=100"})};
  http_connection c{node.port()};
  auto alice = bearer(token_for("alice"));
  for (int i = 0; i < 100; ++i) {
    auto r = c.request("GET", profile_target("alice"), {}, alice);
    REQUIRE(r.status == 404);  // allowed (alice has no profile yet)
  }
  auto refused = c.request("GET", profile_target("alice"), {}, alice);
  CHECK(refused.status == 429);
  check_error_body(refused.body, "rate_limited");
  auto retry = std::stoi(refused.header("Retry-After"));
  CHECK(retry >= 1);
  CHECK(retry <= 2);  // 100 a minute: one request back every 0.6 s
  // Another subject has its own budget.
  CHECK(c.request("GET", profile_target("bob"), {}, bearer(token_for("bob"))).status == 404);
  // Nothing refused was applied.
  auto post = http_request(node.port(), "POST", std::string{api} + "/interaction",
                           rest_interaction("alice").dump(), alice);
  CHECK(post.status == 429);
  std::this_thread::sleep_for(std::chrono::seconds{retry});
  CHECK(c.request("GET", profile_target("alice"), {}, alice).status == 404);
  CHECK(node_metric(node.port(), R"(errors_total{reason="rate_limited"})") >= 2);
  CHECK(node_metric(node.port(), "interactions_total") == 0);
}

TEST_CASE("requests without a valid token are limited per address") {
  node_process node{node_options::with_args({"--limits.ip_requests_per_minute=5"})};
  http_connection c{node.port()};
  for (int i = 0; i < 5; ++i) {
    REQUIRE(c.request("GET", profile_target("alice"), {}, bearer("bad.token.here")).status == 401);
  }
  auto r = c.request("GET", profile_target("alice"), {}, {{"Authorization", ""}});
  CHECK(r.status == 429);
  CHECK_FALSE(r.header("Retry-After").empty());
  // A valid token is not held back by the address's refusals.
  CHECK(c.request("GET", profile_target("alice"), {}, bearer(token_for("alice"))).status == 404);
}

TEST_CASE("a WebSocket over its message rate gets error frames, then a 1008 close") {
  node_process node{node_options::with_args({"--limits.ws_messages_per_minute=10"})};
  ws_client ws{node.port(), ws_path("alice")};
  REQUIRE(ws.upgraded());
  for (int i = 0; i < 10; ++i) {
    ws.send_text(R"({"type":"ping"})");
    REQUIRE(ws.read_type("pong", 10s).has_value());
  }
  ws.send_text(R"({"type":"ping"})");
  auto err = ws.read_type("error", 10s);
  REQUIRE(err.has_value());
  CHECK(json::parse(*err).at("error") == "rate_limited");
  // One that keeps on is closed with a policy violation.
  for (int i = 0; i < 40 && ws.is_open(); ++i) {
    try {
      ws.send_text(R"({"type":"ping"})");
    } catch (const std::exception&) {
      break;  // the server closed while we were sending
    }
  }
  CHECK(ws.wait_closed(10s));
  CHECK(ws.close_code() == 1008);
}

TEST_CASE("an address holds a bounded number of connections, and the next one is told why") {
  node_process node{node_options::with_args({"--limits.connections_per_ip=4"})};
  std::vector<std::unique_ptr<http_connection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<http_connection>(node.port()));
    REQUIRE(held.back()->get("/healthz").status == 200);
  }
  ws_client ws{node.port(), ws_path("alice")};  // a WebSocket keeps its slot after the upgrade
  REQUIRE(ws.upgraded());

  http_connection over{node.port()};
  auto refused = over.post(std::string{api} + "/interaction", rest_interaction("alice").dump());
  CHECK(refused.status == 429);
  check_error_body(refused.body, "rate_limited");
  CHECK_THAT(refused.body, Catch::Contains("connections"));
  CHECK(over.closed_by_server(5s));
  ws_client ws_over{node.port(), ws_path("alice")};
  CHECK(ws_over.handshake_status() == 429);

  // Closing one frees its slot.
  held.pop_back();
  bool admitted = false;
  std::unique_ptr<http_connection> again;
  for (int i = 0; i < 50 && !admitted; ++i) {  // the node sees the close asynchronously
    again = std::make_unique<http_connection>(node.port());
    admitted = again->get("/healthz").status == 200;
    if (!admitted) {
      std::this_thread::sleep_for(100ms);
    }
  }
  REQUIRE(admitted);
  // Read the metrics on the admitted connection: a new one might come before the node has
  // seen the last refused one close, and be refused itself.
  auto metrics = again->get("/metrics").body;
  CHECK(metric_sample(metrics, R"(connections_refused_total{reason="connections_per_ip"})")
        >= 2);
  CHECK(metric_sample(metrics, "interactions_total") == 0);
}

TEST_CASE("a client that dribbles its request is cut off at the idle timeout") {
  node_process node{node_options::with_args({"--gateway.idle_timeout=1"})};
  http_connection slow{node.port(), 10s};
  auto started = std::chrono::steady_clock::now();
  bool cut = false;
  // A header line every 300 ms: each byte is within any per-read timeout, the request never ends.
  for (int i = 0; i < 20 && !cut; ++i) {
    try {
      slow.write_raw(i == 0 ? "GET /healthz HTTP/1.1\r\n" : "X-Slow: 1\r\n");
    } catch (const std::runtime_error&) {
      cut = true;
    }
    cut = cut || slow.closed_by_server(300ms);
  }
  CHECK(cut);
  CHECK(std::chrono::steady_clock::now() - started < 4s);
  // Others are served meanwhile and after.
  CHECK(http_request(node.port(), "GET", "/healthz").status == 200);
}

TEST_CASE("a WebSocket whose token expires is closed with 1008 at its next message") {
  // leeway 0: the token is valid for 2 s exactly.
  node_process node{node_options::with_args({"--auth.leeway=0"})};
  ws_client ws{node.port(), ws_path("alice"), 15s,
               bearer(token_for("alice", "user", 2))};
  REQUIRE(ws.upgraded());
  ws.send_text(R"({"type":"ping"})");
  REQUIRE(ws.read_type("pong", 10s).has_value());
  std::this_thread::sleep_for(2500ms);
  ws.send_text(spec_ws_batch("alice").dump());
  auto err = ws.read_type("error", 10s);
  REQUIRE(err.has_value());
  CHECK(json::parse(*err).at("error") == "unauthorized");
  CHECK(ws.wait_closed(10s));
  CHECK(ws.close_code() == 1008);
  CHECK(node_metric(node.port(), "interactions_total") == 0);
}
