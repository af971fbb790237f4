// The adaptive-learning routes through the gateway of a real node: answers in (REST and
// WebSocket), next item, path and mastery out; refusals that change nothing; persistence across
// a kill; the modality preference in the user state; model_prediction_accuracy.
#include "tests/support/command.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/wire.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

using namespace aia::test;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

/// counting -> addition -> multiplication, two items each.
std::string write_catalog(const temp_dir& dir) {
  auto path = (dir.path() / "catalog.json").string();
  std::ofstream{path} << R"({
    "skills": ["counting", "addition", "multiplication"],
    "prerequisites": [{"before": "counting", "after": "addition"},
                      {"before": "addition", "after": "multiplication"}],
    "items": [
      {"id": "c1", "skill": "counting", "difficulty": -0.5, "modality": "visual"},
      {"id": "c2", "skill": "counting", "difficulty": 0.5},
      {"id": "a1", "skill": "addition", "modality": "reading_writing"},
      {"id": "a2", "skill": "addition", "difficulty": 1.0},
      {"id": "m1", "skill": "multiplication"},
      {"id": "m2", "skill": "multiplication", "difficulty": 0.7}
    ]})";
  return path;
}

std::string learning(std::string_view what, std::string_view user, std::string_view query = {}) {
  return std::string{api} + "/learning/" + std::string{what} + "/" + std::string{user}
         + std::string{query};
}

json answer_body(std::string_view user, std::string_view item, std::string_view skill,
                 bool correct) {
  return json{{"user_id", user}, {"item_id", item}, {"skill", skill},
              {"correct", correct}, {"response_time", 12.5}};
}

http_response post_answer(const node_process& node, const json& body) {
  return http_request(node.port(), "POST", std::string{api} + "/learning/answer", body.dump());
}

json get_json(const node_process& node, const std::string& target) {
  auto res = http_request(node.port(), "GET", target);
  INFO(target << " -> " << res.status << " " << res.body);
  REQUIRE(res.status == 200);
  return json::parse(res.body);
}

} // namespace

TEST_CASE("the learning routes pick items by prerequisites and band, and follow answers") {
  temp_dir dir;
  node_process node{node_options::with_args({"--learning.catalog_file=" + write_catalog(dir)})};

  // A new learner: counting first (addition needs it), an item in or near the band.
  auto next = get_json(node, learning("next", "alice"));
  CHECK(next["next"]["kind"] == "practice");
  CHECK(next["next"]["skill"] == "counting");
  CHECK(next["next"]["target_band"]["low"].get<double>() == Approx(0.70));
  CHECK(next["break"]["suggested"] == false);
  CHECK(next["presentation"]["visual_complexity"].get<double>() == Approx(1));

  // An answer: stored, acknowledged, folded in; the receipt carries the mastery and review.
  auto res = post_answer(node, answer_body("alice", "c1", "counting", true));
  REQUIRE(res.status == 200);
  auto r = json::parse(res.body);
  CHECK(r["accepted"] == true);
  CHECK(r["item_id"] == "c1");
  CHECK(r["mastery"]["skill"] == "counting");
  CHECK(r["mastery"]["attempts"] == 1);
  CHECK(r["mastery"]["p_known"].get<double>() > 0.3);
  CHECK(r["next_review_at"].get<double>() > static_cast<double>(now_ms()) / 1000);

  // The path to multiplication lists every unmastered prerequisite first.
  auto path = get_json(node, learning("path", "alice", "?goal=multiplication"));
  REQUIRE(path["steps"].size() == 3);
  CHECK(path["steps"][0]["skill"] == "counting");
  CHECK(path["steps"][2]["prerequisites"] == json::array({"addition"}));
  CHECK(path["complete"] == false);

  // Enough right answers master counting: the path is re-planned without it, and the next
  // item moves on to addition (the counting items are answered or retained).
  for (int i = 0; i < 12; ++i) {
    REQUIRE(post_answer(node, answer_body("alice", "c2", "counting", true)).status == 200);
  }
  auto mastery = get_json(node, learning("mastery", "alice"));
  REQUIRE(mastery["skills"].size() == 1);
  CHECK(mastery["skills"][0]["mastered"] == true);
  CHECK(mastery["answers"] == 13);
  auto replanned = get_json(node, learning("path", "alice", "?goal=multiplication"));
  REQUIRE(replanned["steps"].size() == 2);
  CHECK(replanned["steps"][0]["skill"] == "addition");
  auto later = get_json(node, learning("next", "alice"));
  CHECK(later["next"]["skill"] == "addition");

  // Answers also arrive as WebSocket interactions with learningData.
  ws_client ws{node.port(), std::string{api} + "/ws/alice"};
  REQUIRE(ws.upgraded());
  auto x = ws_interaction("alice", "answer");
  x["learningData"] = {{"itemId", "a1"}, {"skill", "addition"}, {"correct", 1},
                       {"modality", "reading_writing"}};
  ws.send_text(json{{"type", "interaction_batch"}, {"interactions", {x}}}.dump());
  REQUIRE(ws.read_type("ack", 5s));
  REQUIRE(ws.read_type("user_state_update", 5s));
  CHECK(get_json(node, learning("mastery", "alice"))["answers"] == 14);
  CHECK(node_metric(node.port(), "learning_answers_total") == 14);
}

TEST_CASE("bad learning requests get a clear error and change nothing") {
  node_process node;
  REQUIRE(post_answer(node, answer_body("bob", "q1", "fractions", false)).status == 200);
  auto before = get_json(node, learning("mastery", "bob"));

  auto missing = answer_body("bob", "q2", "fractions", true);
  missing.erase("skill");
  auto res = post_answer(node, missing);
  CHECK(res.status == 400);
  check_error_body(res.body, "missing_field", "skill");

  auto no_item = answer_body("bob", "q2", "fractions", true);
  no_item.erase("item_id");
  res = post_answer(node, no_item);
  CHECK(res.status == 400);
  check_error_body(res.body, "missing_field", "item_id");

  auto bad_grade = answer_body("bob", "q2", "fractions", true);
  bad_grade["correct"] = "yes";
  res = post_answer(node, bad_grade);
  CHECK(res.status == 400);
  check_error_body(res.body, "invalid_field", "correct");

  auto bad_modality = answer_body("bob", "q2", "fractions", true);
  bad_modality["modality"] = "telepathic";
  CHECK(post_answer(node, bad_modality).status == 400);

  auto negative_time = answer_body("bob", "q2", "fractions", true);
  negative_time["response_time"] = -1;
  CHECK(post_answer(node, negative_time).status == 400);

  CHECK(post_answer(node, json{{"user_id", "bob"}}).status == 400);
  CHECK(http_request(node.port(), "POST", std::string{api} + "/learning/answer", "{not json")
          .status
        == 400);

  // Grades belong to answers: learning_data with a grade on a click is refused.
  auto click = rest_interaction("bob", "click");
  click["learning_data"] = {{"item_id", "q3"}, {"skill", "fractions"}, {"correct", true}};
  res = http_request(node.port(), "POST", std::string{api} + "/interaction", click.dump());
  CHECK(res.status == 400);
  check_error_body(res.body, "invalid_field", "learning_data.correct");

  // Another user's token may neither answer nor look.
  res = http_request(node.port(), "POST", std::string{api} + "/learning/answer",
                     answer_body("bob", "q2", "fractions", true).dump(),
                     {{"Authorization", "Bearer " + token_for("mallory", "user")}});
  CHECK(res.status == 403);
  res = http_request(node.port(), "GET", learning("mastery", "bob"), {},
                     {{"Authorization", "Bearer " + token_for("mallory", "user")}});
  CHECK(res.status == 403);
  // The user's own token may.
  res = http_request(node.port(), "GET", learning("next", "bob"), {},
                     {{"Authorization", "Bearer " + token_for("bob", "user")}});
  CHECK(res.status == 200);

  res = http_request(node.port(), "GET", learning("path", "bob"));
  CHECK(res.status == 400);
  check_error_body(res.body, "missing_field", "goal");
  res = http_request(node.port(), "GET", learning("path", "bob", "?goal=astrophysics"));
  CHECK(res.status == 404);
  check_error_body(res.body, "not_found");
  CHECK(http_request(node.port(), "GET", learning("mastery", "bad%20id")).status == 400);
  CHECK(http_request(node.port(), "POST", learning("next", "bob")).status == 405);
  CHECK(http_request(node.port(), "GET", std::string{api} + "/learning/answer").status == 405);
  CHECK(http_request(node.port(), "GET", std::string{api} + "/learning/whatever/bob").status
        == 404);

  CHECK(get_json(node, learning("mastery", "bob")) ["answers"] == before["answers"]);
  CHECK(get_json(node, learning("mastery", "bob"))["skills"] == before["skills"]);
}

TEST_CASE("a learner survives a killed node (rebuilt from the acknowledged answers)") {
  node_process node;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(post_answer(node, answer_body("carol", "q" + std::to_string(i), "algebra", i != 2))
              .status
            == 200);
  }
  auto before = get_json(node, learning("mastery", "carol"));
  node.kill();
  node.restart();
  auto after = get_json(node, learning("mastery", "carol"));
  CHECK(after["answers"] == 5);
  REQUIRE(after["skills"].size() == 1);
  CHECK(after["skills"][0]["p_known"].get<double>()
        == Approx(before["skills"][0]["p_known"].get<double>()));
  CHECK(after["skills"][0]["correct"] == 4);
}

TEST_CASE("the learning style follows the modalities a learner engages with and succeeds on") {
  node_process node;
  for (int i = 0; i < 15; ++i) {
    auto v = answer_body("dana", "v" + std::to_string(i), "geometry", true);
    v["modality"] = "visual";
    REQUIRE(post_answer(node, v).status == 200);
    auto t = answer_body("dana", "t" + std::to_string(i), "geometry", i % 3 == 0);
    t["modality"] = "reading_writing";
    REQUIRE(post_answer(node, t).status == 200);
  }
  auto profile = get_json(node, std::string{api} + "/profile/dana");
  const auto& style = profile["user_state"]["learning_style"];
  CHECK(style["primary"] == "visual");
  CHECK(style["scores"]["visual"].get<double>() > style["scores"]["reading_writing"].get<double>());
  CHECK(style["confidence"].get<double>() > 0.3);
  auto next = get_json(node, learning("next", "dana"));
  CHECK(next["presentation"]["preferred_modality"] == "visual");
}

TEST_CASE("model_prediction_accuracy reports the live accuracy once enough answers are in") {
  node_process node;
  auto accuracy = [&] {
    auto res = http_request(node.port(), "GET", "/metrics");
    return metric_sample(res.body, "model_prediction_accuracy");
  };
  REQUIRE(accuracy());
  CHECK(std::isnan(*accuracy()));  // no answers yet: NaN, so LowModelAccuracy cannot fire
  // A learner who always answers right: after the first few, every prediction says "right".
  for (int i = 0; i < 60; ++i) {
    auto body = answer_body("erin", "q" + std::to_string(i), "s" + std::to_string(i % 3), true);
    REQUIRE(post_answer(node, body).status == 200);
  }
  REQUIRE(accuracy());
  CHECK(*accuracy() > 0.9);
  CHECK(*accuracy() <= 1.0);
}

TEST_CASE("learning can be switched off, and a bad catalogue stops the node at start") {
  node_process off{node_options::with_args({"--features.enable_adaptive_learning=false"})};
  auto res = http_request(off.port(), "GET", learning("next", "frank"));
  CHECK(res.status == 404);
  check_error_body(res.body, "not_found");

  temp_dir dir;
  auto cyclic = (dir.path() / "cyclic.json").string();
  std::ofstream{cyclic} << R"({"prerequisites": [{"before": "a", "after": "b"},
                                                  {"before": "b", "after": "a"}]})";
  auto r = run_node_expecting_exit("--learning.catalog_file=" + aia::test::quoted(cyclic));
  CHECK(r.status == 2);
  CHECK(r.output.find("learning.catalog_file") != std::string::npos);
  CHECK(r.output.find("cycle") != std::string::npos);
  auto broken = (dir.path() / "broken.json").string();
  std::ofstream{broken} << R"({"items": [{"id": "x"}]})";
  r = run_node_expecting_exit("--learning.catalog_file=" + aia::test::quoted(broken));
  CHECK(r.status == 2);
  CHECK(r.output.find("items[0].skill") != std::string::npos);
  r = run_node_expecting_exit(
    "--learning.target_success_low=0.9 --learning.target_success_high=0.8");
  CHECK(r.status == 2);
  CHECK(r.output.find("learning.target_success_high") != std::string::npos);
}
