// Consent through the gateway: GET and PUT /consent/{user_id}, interactions refused with 403
// consent_required (and nothing stored) without consent to personalization, in implied and
// explicit mode, over REST and WebSocket, durable across a restart, and bad input refused; the
// privacy status route.
#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/wire.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace aia::test;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

std::string consent_path(std::string_view user) {
  return std::string{api} + "/consent/" + std::string{user};
}

http_response put_consent(const node_process& node, std::string_view user, std::string body,
                          const header_list& headers = {}) {
  return http_request(node.port(), "PUT", consent_path(user), std::move(body), headers);
}

json get_consent(const node_process& node, std::string_view user) {
  auto res = http_request(node.port(), "GET", consent_path(user));
  REQUIRE(res.status == 200);
  return json::parse(res.body);
}

int post(const node_process& node, std::string_view user) {
  return http_request(node.port(), "POST", std::string{api} + "/interaction",
                      rest_interaction(user).dump())
    .status;
}

} // namespace

TEST_CASE("in implied mode a user counts as consenting until withdrawn, and a withdrawal stops processing at once") {
  node_process node;
  auto c = get_consent(node, "alice");
  CHECK(c["version"] == 0);
  CHECK(c["mode"] == "implied");
  CHECK(c["consent"]["personalization"] == true);
  CHECK(c["consent"]["analytics"] == false);
  CHECK(c["recorded"].empty());
  CHECK(c["updated_at"].is_null());
  REQUIRE(post(node, "alice") == 200);

  auto res = put_consent(node, "alice", R"({"personalization": false, "analytics": true})");
  REQUIRE(res.status == 200);
  auto after = json::parse(res.body);
  CHECK(after["version"] == 1);
  CHECK(after["consent"]["personalization"] == false);
  CHECK(after["consent"]["analytics"] == true);
  CHECK(after["history"].size() == 1);
  CHECK(after["history"][0]["source"].is_string());

  auto refused = http_request(node.port(), "POST", std::string{api} + "/interaction",
                              rest_interaction("alice").dump());
  CHECK(refused.status == 403);
  check_error_body(refused.body, "consent_required");
  ws_client ws{node.port(), std::string{api} + "/ws/alice"};
  REQUIRE(ws.upgraded());
  ws.send_text(ws_batch("alice", 2, "alice-client", 1).dump());
  auto err = ws.read_type("error", 5000ms);
  REQUIRE(err);
  CHECK(json::parse(*err)["error"] == "consent_required");
  CHECK(profile_count(node.port(), "alice") == 1);  // nothing of the refused ones was applied
  CHECK(node_metric(node.port(), "unconsented_processing_attempts") == 3);
  CHECK(node_metric(node.port(), R"(errors_total{reason="consent_required"})") >= 2);

  // Purposes not named stay as they are.
  REQUIRE(put_consent(node, "alice", R"({"personalization": true})").status == 200);
  auto again = get_consent(node, "alice");
  CHECK(again["version"] == 2);
  CHECK(again["consent"]["analytics"] == true);
  CHECK(post(node, "alice") == 200);
  CHECK(profile_count(node.port(), "alice") == 2);
}

TEST_CASE("in explicit mode nothing is processed or stored before the user's grant") {
  node_process node{node_options::with_args({"--privacy.level=HIGH"})};
  CHECK(get_consent(node, "bob")["mode"] == "explicit");
  CHECK(post(node, "bob") == 403);
  CHECK(profile_count(node.port(), "bob") == -1);  // no profile: nothing was stored
  // The user grants it with their own token.
  auto own = header_list{{"Authorization", "Bearer " + token_for("bob", "user")}};
  REQUIRE(put_consent(node, "bob", R"({"personalization": true})", own).status == 200);
  CHECK(post(node, "bob") == 200);
  CHECK(profile_count(node.port(), "bob") == 1);
  CHECK(get_consent(node, "bob")["history"][0]["source"] == "user");
}

TEST_CASE("a consent change is durable: it holds after a restart") {
  node_process node;
  REQUIRE(put_consent(node, "carol", R"({"personalization": false, "marketing": false})").status
          == 200);
  REQUIRE(node.terminate() == 0);
  node.restart();
  auto c = get_consent(node, "carol");
  CHECK(c["version"] == 1);
  CHECK(c["recorded"]["marketing"] == false);
  CHECK(post(node, "carol") == 403);
  node.kill();  // and after a crash
  node.restart();
  CHECK(post(node, "carol") == 403);
}

TEST_CASE("bad consent changes are refused with a reason and change nothing") {
  node_process node;
  auto check_refused = [&](std::string body, int status, std::string_view code,
                           std::string_view field = {}) {
    INFO(body);
    auto res = put_consent(node, "dave", std::move(body));
    CHECK(res.status == status);
    check_error_body(res.body, code, field);
  };
  check_refused("{}", 400, "invalid_field");
  check_refused(R"({"sale": true})", 400, "invalid_field", "sale");
  check_refused(R"({"analytics": "yes"})", 400, "invalid_field", "analytics");
  check_refused(R"([true])", 400, "invalid_field");
  check_refused("{not json", 400, "invalid_json");
  CHECK(get_consent(node, "dave")["version"] == 0);

  // Another user's consent is not a user's business; an analyst's neither.
  auto other = header_list{{"Authorization", "Bearer " + token_for("erin", "user")}};
  CHECK(put_consent(node, "dave", R"({"analytics": true})", other).status == 403);
  auto analyst = header_list{{"Authorization", "Bearer " + token_for("ana", "analyst")}};
  CHECK(http_request(node.port(), "GET", consent_path("dave"), {}, analyst).status == 403);
  CHECK(http_request(node.port(), "DELETE", consent_path("dave")).status == 405);
  CHECK(get_consent(node, "dave")["version"] == 0);
}

TEST_CASE("GET /privacy/status shows the level, its settings and the global budget") {
  node_process node;
  auto res = http_request(node.port(), "GET", std::string{api} + "/privacy/status");
  REQUIRE(res.status == 200);
  auto s = json::parse(res.body);
  CHECK(s["privacy_level"] == "STANDARD");
  CHECK(s["epsilon"] == 1.0);
  CHECK(s["delta"] == 1e-5);
  CHECK(s["consent_mode"] == "implied");
  CHECK(s["budget_reset"] == "daily");
  CHECK(s["global_budget"]["epsilon"] == 10.0);
  CHECK(s["global_budget"]["remaining_epsilon"] == 10.0);
  CHECK(s["global_budget"]["releases"] == 0);
  auto analyst = header_list{{"Authorization", "Bearer " + token_for("ana", "analyst")}};
  CHECK(http_request(node.port(), "GET", std::string{api} + "/privacy/status", {}, analyst).status
        == 200);
  auto user = header_list{{"Authorization", "Bearer " + token_for("alice", "user")}};
  CHECK(http_request(node.port(), "GET", std::string{api} + "/privacy/status", {}, user).status
        == 403);

  node_options max;
  max.env = {{"PRIVACY_LEVEL", "MAXIMUM"}};
  node_process strict{max};
  auto m = json::parse(
    http_request(strict.port(), "GET", std::string{api} + "/privacy/status").body);
  CHECK(m["privacy_level"] == "MAXIMUM");
  CHECK(m["epsilon"] == 0.1);
  CHECK(m["delta"] == 1e-7);
  CHECK(m["consent_mode"] == "explicit");
}
