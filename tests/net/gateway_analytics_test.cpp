// Analytics through the gateway of a real node: DP aggregates charged to the global budget before
// release (429 privacy_budget_exhausted with Retry-After once it is spent, and nothing released),
// only users who granted analytics counted, k-anonymous exports, Paillier sums at HIGH, and who
// may ask.
#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/wire.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <thread>

using namespace aia::test;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

header_list analyst() {
  return {{"Authorization", "Bearer " + token_for("ana", "analyst")}};
}

/// `n` users with a few interactions each; the first `consenting` grant analytics. Sessions
/// passivate fast (snapshot, stop), so the store holds every user's state.
void populate(const node_process& node, int n, int consenting) {
  for (int u = 0; u < n; ++u) {
    auto user = "learner-" + std::to_string(u);
    if (u < consenting) {
      REQUIRE(http_request(node.port(), "PUT", std::string{api} + "/consent/" + user,
                           R"({"analytics": true})")
                .status
              == 200);
    }
    for (int i = 0; i < 3; ++i) {
      REQUIRE(http_request(node.port(), "POST", std::string{api} + "/interaction",
                           rest_interaction(user).dump())
                .status
              == 200);
    }
  }
  // Wait until every session has passivated (its snapshot is durable).
  for (int i = 0; i < 100 && node_metric(node.port(), "sessions_active") > 0; ++i) {
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(node_metric(node.port(), "sessions_active") == 0);
}

http_response aggregate(const node_process& node, std::string_view query) {
  return http_request(node.port(), "GET",
                      std::string{api} + "/analytics/aggregate?" + std::string{query}, {},
                      analyst());
}

double remaining_global(const node_process& node) {
  auto s = json::parse(
    http_request(node.port(), "GET", std::string{api} + "/privacy/status").body);
  return s["global_budget"]["remaining_epsilon"].get<double>();
}

} // namespace

TEST_CASE("an aggregate releases every group of the public domain and charges the global budget") {
  node_process node{node_options::with_args(
    {"--session.idle_timeout=0.2", "--privacy.global_epsilon=0.25"})};
  populate(node, 12, 9);
  auto res = aggregate(node, "group_by=learning_style&metrics=focus_level,fatigue_level&epsilon=0.1");
  REQUIRE(res.status == 200);
  auto r = json::parse(res.body);
  CHECK(r["group_by"] == "learning_style");
  REQUIRE(r["groups"].size() == 5);
  for (const auto& g : r["groups"]) {
    CHECK(g["count"].get<double>() >= 0);
    CHECK(g["means"]["focus_level"].get<double>() >= 0);
    CHECK(g["means"]["focus_level"].get<double>() <= 1);
  }
  CHECK(r["users_excluded_no_consent"] == 3);
  CHECK(r["privacy"]["epsilon"] == Approx(0.1));
  CHECK(r["privacy"]["mechanism"] == "laplace");
  CHECK(r["privacy"]["homomorphic_sums"] == false);
  // The accountant reports the tightest composition (RDP may beat the plain sum slightly).
  CHECK(r["global_budget"]["spent_epsilon"].get<double>() == Approx(0.1).margin(0.002));
  CHECK(remaining_global(node) == Approx(0.15).margin(0.002));

  // A bad query is refused before anything is charged.
  CHECK(aggregate(node, "group_by=shoe_size").status == 400);
  CHECK(aggregate(node, "epsilon=-1").status == 400);
  CHECK(aggregate(node, "mechanism=laplace&delta=0.001").status == 400);
  CHECK(aggregate(node, "colour=red").status == 400);
  CHECK(aggregate(node, "epsilon=5").status == 400);  // above the level's epsilon
  CHECK(remaining_global(node) == Approx(0.15).margin(0.002));

  // Who may ask: analysts and admins, not users.
  auto user = header_list{{"Authorization", "Bearer " + token_for("learner-0", "user")}};
  CHECK(http_request(node.port(), "GET", std::string{api} + "/analytics/aggregate", {}, user)
          .status
        == 403);

  // The budget runs out: 0.1 more fits, the next is refused with 429 and nothing released.
  REQUIRE(aggregate(node, "epsilon=0.1").status == 200);
  auto refused = aggregate(node, "epsilon=0.1");
  REQUIRE(refused.status == 429);
  check_error_body(refused.body, "privacy_budget_exhausted");
  CHECK(refused.has_header("Retry-After"));
  CHECK(std::stoll(refused.header("Retry-After")) > 0);
  CHECK(std::stoll(refused.header("Retry-After")) <= 86400);
  CHECK(remaining_global(node) == Approx(0.05).margin(0.002));
  CHECK(node_metric(node.port(), R"(errors_total{reason="privacy_budget_exhausted"})") >= 1);
  CHECK(node_metric(node.port(), "privacy_budget_consumption_rate") == Approx(0.8).margin(0.01));
}

TEST_CASE("a Gaussian aggregate is accounted with its delta") {
  node_process node{node_options::with_args({"--session.idle_timeout=0.2"})};
  populate(node, 6, 6);
  auto res = aggregate(node, "group_by=none&mechanism=gaussian&epsilon=0.5&delta=0.000001");
  REQUIRE(res.status == 200);
  auto r = json::parse(res.body);
  CHECK(r["groups"].size() == 1);
  CHECK(r["groups"][0]["key"] == "all");
  CHECK(r["privacy"]["mechanism"] == "gaussian");
  CHECK(r["global_budget"]["spent_delta"].get<double>() > 0);
}

TEST_CASE("an anonymized export meets k and l or releases nothing") {
  node_process node{node_options::with_args({"--session.idle_timeout=0.2"})};
  populate(node, 14, 12);
  auto res = http_request(node.port(), "GET", std::string{api} + "/analytics/export", {},
                          analyst());
  REQUIRE(res.status == 200);
  auto r = json::parse(res.body);
  CHECK(r["k"] == 5);
  CHECK(r["l"] == 2);
  CHECK(r["records"] == 12);
  CHECK(r["users_excluded_no_consent"] == 2);
  CHECK(r["rows"].size() + r["suppressed"].get<std::size_t>() == 12);
  if (!r["rows"].empty()) {
    CHECK(r["achieved_k"].get<int>() >= 5);
    CHECK(r["achieved_l"].get<int>() >= 2);
  }
  for (const auto& row : r["rows"]) {
    CHECK_FALSE(row.contains("user_id"));
  }
  CHECK(http_request(node.port(), "GET", std::string{api} + "/analytics/export?k=2", {},
                     analyst())
          .status
        == 400);
  CHECK(http_request(node.port(), "GET", std::string{api} + "/analytics/export?k=x", {},
                     analyst())
          .status
        == 400);
  // Larger than the data: everything is suppressed, never a smaller class.
  auto big = json::parse(http_request(node.port(), "GET",
                                      std::string{api} + "/analytics/export?k=50", {}, analyst())
                           .body);
  CHECK(big["rows"].empty());
  CHECK(big["suppressed"] == 12);
}

TEST_CASE("at HIGH privacy the sums are added under Paillier encryption") {
  node_options o = node_options::with_args(
    {"--session.idle_timeout=0.2", "--privacy.consent_mode=implied"});
  o.env = {{"PRIVACY_LEVEL", "HIGH"}};
  node_process node{o};
  populate(node, 6, 6);
  auto res = aggregate(node, "epsilon=0.5");
  REQUIRE(res.status == 200);
  auto r = json::parse(res.body);
  CHECK(r["privacy"]["homomorphic_sums"] == true);
  CHECK(r["groups"].size() == 1);
}
