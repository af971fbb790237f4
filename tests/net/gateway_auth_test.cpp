// Integration tests of authentication and roles through the real gateway: every refusal with its
// status and reason, nothing stored on a refusal, the WebSocket token carriers, /metrics access,
// and a node that refuses to start without a key.
#include "tests/support/command.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/wire.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/wait.h>

using namespace aia::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string interaction_target = std::string{api} + "/interaction";

std::string profile_target(std::string_view user) {
  return std::string{api} + "/profile/" + std::string{user};
}

header_list bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }
const header_list no_token{{"Authorization", ""}};

http_response post_as(std::uint16_t port, const header_list& auth, std::string_view user) {
  return http_request(port, "POST", interaction_target, rest_interaction(user).dump(), auth);
}

/// The response is a 401 whose reason contains `reason`, with a WWW-Authenticate challenge.
void check_unauthorized(const http_response& r, std::string_view reason) {
  INFO("body: " << r.body);
  CHECK(r.status == 401);
  CHECK(r.header("WWW-Authenticate").rfind("Bearer", 0) == 0);
  check_error_body(r.body, "unauthorized");
  CHECK_THAT(r.body, Catch::Contains(std::string{reason}));
}

void check_forbidden(const http_response& r) {
  INFO("body: " << r.body);
  CHECK(r.status == 403);
  check_error_body(r.body, "forbidden");
}

} // namespace

TEST_CASE("API routes without a valid token are 401 with the reason, and nothing is stored") {
  node_process node;
  auto port = node.port();
  check_unauthorized(post_as(port, no_token, "alice"), "bearer token is required");
  check_unauthorized(post_as(port, {{"Authorization", "Basic YWxpY2U6cHc="}}, "alice"),
                     "bearer token is required");
  check_unauthorized(post_as(port, bearer("not.a.jwt"), "alice"), "malformed");
  check_unauthorized(post_as(port, bearer(token_for("alice", "user", -3600)), "alice"),
                     "expired");
  check_unauthorized(post_as(port, bearer(token_for("alice", "user", 3600, R"("nbf":4000000000)")),
                             "alice"),
                     "not yet valid");
  check_unauthorized(post_as(port, bearer(token_for("alice", "user", 3600, R"("aud":"other")")),
                             "alice"),
                     "audience");
  check_unauthorized(post_as(port, bearer(token_for("alice", "user", 3600, R"("iss":"evil")")),
                             "alice"),
                     "issuer");
  // alg "none": a token with no signature at all.
  auto good = token_for("alice");
  auto payload = good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1);
  check_unauthorized(post_as(port, bearer("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + payload + "."),
                             "alice"),
                     "algorithm");
  // A valid token's signature on another payload.
  auto other = token_for("mallory", "admin");
  auto forged = good.substr(0, good.find('.') + 1)
                + other.substr(other.find('.') + 1, other.rfind('.') - other.find('.') - 1)
                + good.substr(good.rfind('.'));
  check_unauthorized(post_as(port, bearer(forged), "mallory"), "signature");
  // Unknown routes under the API base need a token too; health and readiness never do.
  check_unauthorized(http_request(port, "GET", std::string{api} + "/nothing", {}, no_token),
                     "bearer token is required");
  CHECK(http_request(port, "GET", "/healthz", {}, no_token).status == 200);
  CHECK(http_request(port, "GET", "/readyz", {}, no_token).status == 200);
  CHECK(profile_count(port, "alice") == -1);
  CHECK(node_metric(port, "interactions_total") == 0);
  CHECK(node_metric(port, R"(errors_total{reason="unauthorized"})") >= 9);
}

TEST_CASE("a user token acts on its own user only, and an analyst reads no profile, and admin all") {
  node_process node;
  auto port = node.port();
  auto alice = bearer(token_for("alice", "user"));
  REQUIRE(post_as(port, alice, "alice").status == 200);
  check_forbidden(post_as(port, alice, "bob"));
  CHECK(http_request(port, "GET", profile_target("alice"), {}, alice).status == 200);
  check_forbidden(http_request(port, "GET", profile_target("bob"), {}, alice));

  auto analyst = bearer(token_for("ann", "analyst"));
  check_forbidden(http_request(port, "GET", profile_target("alice"), {}, analyst));
  check_forbidden(post_as(port, analyst, "ann"));

  auto admin = bearer(token_for("root", "admin"));
  CHECK(http_request(port, "GET", profile_target("alice"), {}, admin).status == 200);
  CHECK(post_as(port, admin, "bob").status == 200);

  // No role claim is the least privilege (user); an unknown role is refused outright.
  auto plain = bearer(token_for("carol", ""));
  CHECK(post_as(port, plain, "carol").status == 200);
  check_forbidden(post_as(port, plain, "bob"));
  check_forbidden(post_as(port, bearer(token_for("dave", "superuser")), "dave"));

  CHECK(profile_count(port, "bob") == 1);  // the admin's write only
  CHECK(profile_count(port, "carol") == 1);
  CHECK(profile_count(port, "alice") == 1);
  CHECK(node_metric(port, R"(errors_total{reason="forbidden"})") >= 6);
}

TEST_CASE("a WebSocket upgrade needs a token for that user, by header, subprotocol or query") {
  node_process node;
  auto port = node.port();
  auto alice = token_for("alice");
  SECTION("no token: 401 before any upgrade") {
    ws_client ws{port, ws_path("alice"), 10s, no_token};
    CHECK_FALSE(ws.upgraded());
    CHECK(ws.handshake_status() == 401);
    check_error_body(ws.handshake_body(), "unauthorized");
  }
  SECTION("another user's socket: 403") {
    ws_client ws{port, ws_path("bob"), 10s, bearer(alice)};
    CHECK_FALSE(ws.upgraded());
    CHECK(ws.handshake_status() == 403);
  }
  SECTION("Authorization header") {
    ws_client ws{port, ws_path("alice"), 10s, bearer(alice)};
    REQUIRE(ws.upgraded());
    ws.send_text(ws_batch("alice", 1).dump());
    CHECK(ws.read_type("user_state_update", 10s).has_value());
  }
  SECTION("query parameter") {
    ws_client ws{port, ws_path("alice") + "?token=" + alice, 10s, no_token};
    REQUIRE(ws.upgraded());
    ws.send_text(R"({"type":"ping"})");
    CHECK(ws.read_type("pong", 10s).has_value());
  }
  SECTION("subprotocols \"bearer, <token>\", answered with the subprotocol bearer") {
    http_connection c{port};
    auto r = c.send_raw("GET " + ws_path("alice") + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: bearer, "
                        + alice + "\r\n\r\n");
    CHECK(r.status == 101);
    CHECK(r.header("Sec-WebSocket-Protocol") == "bearer");
  }
}

TEST_CASE("/metrics is open by default and for analyst or admin tokens when so configured") {
  SECTION("default: open") {
    node_process node;
    CHECK(http_request(node.port(), "GET", "/metrics", {}, no_token).status == 200);
  }
  SECTION("auth.metrics = token") {
    node_process node{node_options::with_args({"--auth.metrics=token"})};
    auto port = node.port();
    CHECK(http_request(port, "GET", "/metrics", {}, no_token).status == 401);
    check_forbidden(http_request(port, "GET", "/metrics", {}, bearer(token_for("alice"))));
    CHECK(http_request(port, "GET", "/metrics", {}, bearer(token_for("ann", "analyst"))).status
          == 200);
  }
}

TEST_CASE("/metrics can be served open on a separate operator address, token-only on the API "
          "port") {
  node_process node{node_options::with_args({"--gateway.metrics_address=127.0.0.1:0"})};
  auto out = node.stdout_text();
  constexpr std::string_view marker = "aia-node: metrics on http://127.0.0.1:";
  auto at = out.find(marker);
  REQUIRE(at != std::string::npos);
  auto metrics_port = static_cast<std::uint16_t>(std::stoi(out.substr(at + marker.size())));
  REQUIRE(metrics_port != node.port());

  auto open = http_request(metrics_port, "GET", "/metrics", {}, {{"Authorization", ""}});
  CHECK(open.status == 200);
  CHECK_THAT(open.body, Catch::Contains("# TYPE websocket_connections_active gauge"));
  CHECK(http_request(metrics_port, "GET", "/healthz", {}, {{"Authorization", ""}}).status == 200);
  // Nothing else is served there, not even with a token.
  CHECK(http_request(metrics_port, "GET", std::string{api} + "/profile/user123").status == 404);
  CHECK(http_request(metrics_port, "POST", std::string{api} + "/interaction",
                     std::string{spec_rest_interaction})
          .status
        == 404);
  ws_client ws{metrics_port, ws_path("user123")};
  CHECK_FALSE(ws.upgraded());

  CHECK(http_request(node.port(), "GET", "/metrics", {}, {{"Authorization", ""}}).status == 401);
  CHECK(http_request(node.port(), "GET", "/metrics").status == 200);  // admin token
  CHECK(node_metric(metrics_port, "interactions_total") == 0);
}

TEST_CASE("a refusal never echoes the token or the secret") {
  node_process node;
  auto token = token_for("alice", "user", -3600);  // expired beyond the leeway
  auto r = post_as(node.port(), bearer(token), "alice");
  REQUIRE(r.status == 401);
  CHECK(r.body.find(token) == std::string::npos);
  CHECK(r.body.find(std::string{test_secret}) == std::string::npos);
  auto log = node.stderr_text();
  CHECK(log.find(token.substr(token.rfind('.') + 1)) == std::string::npos);
  CHECK(log.find(std::string{test_secret}) == std::string::npos);
}


TEST_CASE("without any key (and not in development mode) the node refuses to start") {
  auto bare = run_node_expecting_exit("", false);
  CHECK(bare.status == 2);
  CHECK_THAT(bare.output, Catch::Contains("auth") && Catch::Contains("--dev"));
  auto bad_key = run_node_expecting_exit("--auth.pem_keys=k1:RS256:/nonexistent.pem", false);
  CHECK(bad_key.status == 2);
  CHECK_THAT(bad_key.output, Catch::Contains("auth.pem_keys"));
}

TEST_CASE("development mode prints working tokens for the demo user and an admin") {
  node_options opt;
  opt.trust_test_key = false;
  opt.args = {"--dev"};
  node_process node{opt};
  auto out = node.stdout_text();
  auto line_after = [&out](std::string_view marker) {
    auto p = out.find(marker);
    REQUIRE(p != std::string::npos);
    auto start = out.find('\n', p) + 1;
    return out.substr(start, out.find('\n', start) - start);
  };
  auto user = line_after("token for user123 (role user)");
  auto admin = line_after("token for admin (role admin)");
  auto body = std::string{spec_rest_interaction};
  auto r = http_request(node.port(), "POST", interaction_target, body, bearer(user));
  CHECK(r.status == 200);
  check_forbidden(http_request(node.port(), "GET", profile_target("bob"), {}, bearer(user)));
  CHECK(http_request(node.port(), "GET", profile_target("user123"), {}, bearer(admin)).status
        == 200);
  // The test key is not trusted in this node.
  check_unauthorized(post_as(node.port(), bearer(token_for("user123")), "user123"), "key");
}
