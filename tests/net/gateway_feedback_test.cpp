// POST /feedback through the gateway of a real node: a person's reports move their state and
// raise its confidence (the per-user layer), reach their sockets, survive a kill, and bad
// reports change nothing.
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

http_response post_feedback(const node_process& node, const json& body,
                            const header_list& headers = {}) {
  return http_request(node.port(), "POST", std::string{api} + "/feedback", body.dump(), headers);
}

json profile_of(const node_process& node, std::string_view user) {
  auto res = http_request(node.port(), "GET", std::string{api} + "/profile/" + std::string{user});
  REQUIRE(res.status == 200);
  return json::parse(res.body);
}

void post_interactions(const node_process& node, std::string_view user, int n) {
  for (int i = 0; i < n; ++i) {
    REQUIRE(http_request(node.port(), "POST", std::string{api} + "/interaction",
                         rest_interaction(user).dump())
              .status
            == 200);
  }
}

} // namespace

TEST_CASE("feedback moves the person's state towards their reports, with growing confidence") {
  node_process node;
  post_interactions(node, "gina", 5);
  auto before = profile_of(node, "gina")["user_state"];
  ws_client ws{node.port(), std::string{api} + "/ws/gina"};
  REQUIRE(ws.upgraded());

  json report{{"user_id", "gina"}, {"dimension", "focus_level"}, {"value", 0.95},
              {"source", "self_report"}};
  auto res = post_feedback(node, report);
  REQUIRE(res.status == 200);
  auto first = json::parse(res.body);
  CHECK(first["dimension"] == "focus_level");
  CHECK(first["labels"] == 1);
  CHECK(first["offset"].get<double>() > 0);
  CHECK(first["model_value"].get<double>() == Approx(before["focus_level"].get<double>()));
  auto pushed = ws.read_type("user_state_update", 5s);
  REQUIRE(pushed);
  CHECK(json::parse(*pushed)["userState"]["focusLevel"].get<double>()
        > before["focus_level"].get<double>());

  for (int i = 0; i < 4; ++i) {
    REQUIRE(post_feedback(node, report).status == 200);
  }
  auto after = profile_of(node, "gina")["user_state"];
  CHECK(after["focus_level"].get<double>() > before["focus_level"].get<double>() + 0.2);
  CHECK(after["confidence"]["focus_level"].get<double>()
        > before["confidence"]["focus_level"].get<double>() + 0.3);
  CHECK(after["cognitive_load"] == before["cognitive_load"]);  // other dimensions untouched

  // More interactions re-run the model; the person's offset stays applied.
  post_interactions(node, "gina", 2);
  auto later = profile_of(node, "gina")["user_state"];
  CHECK(later["confidence"]["focus_level"].get<double>()
        > before["confidence"]["focus_level"].get<double>() + 0.3);

  // The reports are durable: a killed node comes back with them.
  node.kill();
  node.restart();
  auto restored = profile_of(node, "gina")["user_state"];
  CHECK(restored["focus_level"].get<double>() == Approx(later["focus_level"].get<double>()));
  auto sixth = json::parse(post_feedback(node, report).body);
  CHECK(sixth["labels"] == 6);
}

TEST_CASE("bad feedback gets a clear error and changes nothing") {
  node_process node;
  post_interactions(node, "hugo", 2);
  REQUIRE(post_feedback(node, {{"user_id", "hugo"}, {"dimension", "valence"}, {"value", -0.5}})
            .status
          == 200);
  auto before = profile_of(node, "hugo")["user_state"];

  auto res = post_feedback(node, {{"user_id", "hugo"}, {"dimension", "stress"}, {"value", 0.5}});
  CHECK(res.status == 400);
  check_error_body(res.body, "invalid_field", "dimension");
  res = post_feedback(node, {{"user_id", "hugo"}, {"dimension", "focus_level"}, {"value", 1.5}});
  CHECK(res.status == 400);
  check_error_body(res.body, "invalid_field", "value");
  res = post_feedback(node, {{"user_id", "hugo"}, {"dimension", "valence"}, {"value", -1.5}});
  CHECK(res.status == 400);
  res = post_feedback(node, {{"user_id", "hugo"}, {"dimension", "focus_level"}});
  CHECK(res.status == 400);
  check_error_body(res.body, "missing_field", "value");
  res = post_feedback(node, {{"user_id", "hugo"}, {"dimension", "focus_level"}, {"value", 0.5},
                             {"source", "rumour"}});
  CHECK(res.status == 400);
  check_error_body(res.body, "invalid_field", "source");
  res = post_feedback(node, {{"user_id", "hugo"}, {"dimension", "focus_level"}, {"value", 0.5}},
                      {{"Authorization", "Bearer " + token_for("mallory", "user")}});
  CHECK(res.status == 403);
  CHECK(http_request(node.port(), "GET", std::string{api} + "/feedback").status == 405);

  auto after = profile_of(node, "hugo")["user_state"];
  CHECK(after["emotional_state"] == before["emotional_state"]);
  CHECK(after["focus_level"] == before["focus_level"]);
  CHECK(after["confidence"] == before["confidence"]);
}

TEST_CASE("feedback needs consent to personalization like any processing") {
  node_process node{node_options::with_args({"--privacy.consent_mode=explicit"})};
  auto res = post_feedback(node, {{"user_id", "ines"}, {"dimension", "fatigue_level"},
                                  {"value", 0.9}});
  CHECK(res.status == 403);
  check_error_body(res.body, "consent_required");
}
