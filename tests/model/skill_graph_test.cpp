// Tests of the prerequisite DAG: construction, cycles, learning paths and inference.
#include "model/learning/skill_graph.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

using namespace aia::model::learning;

namespace {

skill_graph build(const std::vector<skill_edge>& edges,
                  const std::vector<std::string>& skills = {}) {
  auto r = skill_graph::from_edges(edges, skills);
  REQUIRE(std::holds_alternative<skill_graph>(r));
  return std::get<skill_graph>(std::move(r));
}

/// counting -> addition -> multiplication -> division; addition -> subtraction -> division.
skill_graph arithmetic() {
  return build({{"counting", "addition"},
                {"addition", "multiplication"},
                {"addition", "subtraction"},
                {"multiplication", "division"},
                {"subtraction", "division"}});
}

std::ptrdiff_t pos(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) - v.begin();
}

bool has_edge(const skill_graph& g, const std::string& a, const std::string& b) {
  const auto pre = g.prerequisites(b);
  return std::find(pre.begin(), pre.end(), a) != pre.end();
}

} // namespace

TEST_CASE("a graph lists its skills, edges and direct prerequisites") {
  const auto g = arithmetic();
  CHECK(g.skills().size() == 5);
  CHECK(g.edges().size() == 5);
  CHECK(g.contains("division"));
  CHECK_FALSE(g.contains("calculus"));
  CHECK(g.prerequisites("division") == std::vector<std::string>{"multiplication", "subtraction"});
  CHECK(g.prerequisites("counting").empty());
  CHECK(g.prerequisites("calculus").empty());
}

TEST_CASE("duplicate edges are ignored and isolated skills kept") {
  const auto g = build({{"a", "b"}, {"a", "b"}}, {"z"});
  CHECK(g.edges().size() == 1);
  CHECK(g.skills() == std::vector<std::string>{"z", "a", "b"});
}

TEST_CASE("the topological order puts every prerequisite first") {
  const auto g = arithmetic();
  const auto order = g.topological_order();
  REQUIRE(order.size() == 5);
  for (const auto& e : g.edges()) {
    CHECK(pos(order, e.before) < pos(order, e.after));
  }
  SECTION("ties follow first-named order") {
    CHECK(order
          == std::vector<std::string>{"counting", "addition", "multiplication", "subtraction",
                                      "division"});
  }
}

TEST_CASE("cycles are refused with the cycle spelled out") {
  auto r = skill_graph::from_edges({{"a", "b"}, {"b", "c"}, {"c", "a"}, {"x", "a"}});
  REQUIRE(std::holds_alternative<skill_graph_error>(r));
  const auto& err = std::get<skill_graph_error>(r);
  CHECK(err.code == skill_graph_errc::cycle);
  CHECK(err.skills.size() == 4);
  CHECK(err.skills.front() == err.skills.back());
  CHECK(err.message() == "prerequisite cycle: a -> b -> c -> a");
  CHECK(std::string{to_string(err.code)} == "cycle");
  SECTION("a self-loop and an empty name are refused too") {
    auto self = skill_graph::from_edges({{"a", "a"}});
    REQUIRE(std::holds_alternative<skill_graph_error>(self));
    CHECK(std::get<skill_graph_error>(self).code == skill_graph_errc::self_loop);
    auto empty = skill_graph::from_edges({{"", "a"}});
    REQUIRE(std::holds_alternative<skill_graph_error>(empty));
    CHECK(std::get<skill_graph_error>(empty).code == skill_graph_errc::empty_name);
  }
}

TEST_CASE("the path to a goal respects prerequisites and skips mastered skills") {
  const auto g = arithmetic();
  SECTION("a beginner needs every ancestor, prerequisites first") {
    const auto path = g.path_to("division", {});
    CHECK(path
          == std::vector<std::string>{"counting", "addition", "multiplication", "subtraction",
                                      "division"});
  }
  SECTION("mastered skills are skipped") {
    const mastery_map m{{"counting", 0.99}, {"addition", 0.97}, {"multiplication", 0.5}};
    CHECK(g.path_to("division", m)
          == std::vector<std::string>{"multiplication", "subtraction", "division"});
  }
  SECTION("only the goal's ancestors are included") {
    CHECK(g.path_to("multiplication", {})
          == std::vector<std::string>{"counting", "addition", "multiplication"});
  }
  SECTION("the search stops at a mastered skill") {
    const mastery_map m{{"addition", 0.99}};
    CHECK(g.path_to("subtraction", m) == std::vector<std::string>{"subtraction"});
  }
  SECTION("a mastered or unknown goal needs nothing") {
    CHECK(g.path_to("division", {{"division", 0.96}}).empty());
    CHECK(g.path_to("calculus", {}).empty());
  }
  SECTION("the path is re-planned as mastery changes") {
    mastery_map m;
    auto path = g.path_to("division", m);
    while (!path.empty()) {
      m[path.front()] = 0.99; // learn the first skill of the current plan
      const auto next = g.path_to("division", m);
      CHECK(next.size() == path.size() - 1);
      path = next;
    }
  }
  SECTION("the threshold is configurable") {
    const mastery_map m{{"counting", 0.9}};
    CHECK(g.path_to("addition", m, 0.95).size() == 2);
    CHECK(g.path_to("addition", m, 0.85).size() == 1);
  }
}

TEST_CASE("inference finds prerequisites from order and conditional success") {
  // Synthetic learners: a -> b -> c. Mastering a prerequisite makes the next skill likely right.
  std::mt19937_64 rng{7};
  std::uniform_real_distribution<double> u{0, 1};
  std::vector<std::vector<skill_response>> learners;
  for (int l = 0; l < 60; ++l) {
    std::vector<skill_response> seq;
    bool previous_mastered = true;
    const double ability = 0.5 + 0.5 * u(rng);
    for (const std::string skill : {"a", "b", "c"}) {
      const double p = previous_mastered ? 0.9 : 0.3;
      int hits = 0;
      for (int k = 0; k < 4; ++k) {
        const bool ok = u(rng) < p * ability + (1 - ability) * 0.2;
        hits += ok ? 1 : 0;
        seq.push_back({skill, ok});
      }
      previous_mastered = hits >= 3;
    }
    learners.push_back(seq);
  }
  const auto g = infer_skill_graph(learners);
  CHECK(g.skills() == std::vector<std::string>{"a", "b", "c"});
  CHECK(has_edge(g, "a", "b"));
  CHECK(has_edge(g, "b", "c"));
  SECTION("the transitive edge is reduced away") {
    CHECK_FALSE(has_edge(g, "a", "c"));
  }
}

TEST_CASE("inference adds no edge without a success lift or enough learners") {
  std::vector<std::vector<skill_response>> learners;
  for (int l = 0; l < 20; ++l) {
    // a always first, but b's success does not depend on a.
    learners.push_back({{"a", l % 2 == 0}, {"a", l % 3 == 0}, {"b", l % 2 == 1}, {"b", true}});
  }
  CHECK(infer_skill_graph(learners).edges().empty());
  inference_config strict;
  strict.min_learners = 100;
  CHECK(infer_skill_graph(learners, strict).edges().empty());
  CHECK(infer_skill_graph({}).skills().empty());
}
