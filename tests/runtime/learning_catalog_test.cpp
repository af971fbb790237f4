// Tests of the learning catalogue reader and the engine a node builds from its config.
#include "runtime/learning_catalog.hpp"

#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace aia;

namespace {

std::string write(const test::temp_dir& dir, const std::string& text) {
  auto path = (dir.path() / "catalog.json").string();
  std::ofstream{path} << text;
  return path;
}

std::string error_of(const std::string& path) {
  auto r = runtime::read_learning_catalog(path);
  REQUIRE(std::holds_alternative<std::string>(r));
  return std::get<std::string>(r);
}

} // namespace

TEST_CASE("the example catalogue shipped in config/ loads") {
  auto r = runtime::read_learning_catalog(std::string{AIA_SOURCE_DIR}
                                          + "/config/learning-catalog.example.json");
  REQUIRE(std::holds_alternative<runtime::learning_catalog>(r));
  const auto& c = std::get<runtime::learning_catalog>(r);
  CHECK(c.graph.skills().size() == 4);
  CHECK(c.graph.prerequisites("multiplication") == std::vector<std::string>{"addition"});
  REQUIRE(c.items.size() == 7);
  CHECK(c.items[0].difficulty == -1.0);
  CHECK(c.items[0].modality == static_cast<std::int8_t>(model::learning_style::visual));
}

TEST_CASE("a bad catalogue is refused with the file and the element at fault") {
  test::temp_dir dir;
  CHECK(error_of((dir.path() / "absent.json").string()).find("cannot be read")
        != std::string::npos);
  CHECK(error_of(write(dir, "{oops")).find("not valid JSON") != std::string::npos);
  CHECK(error_of(write(dir, "[1]")).find("JSON object") != std::string::npos);
  CHECK(error_of(write(dir, R"({"items": [{"id": "a", "skill": "s"}, {"id": "a", "skill": "s"}]})"))
          .find("items[1].id") != std::string::npos);
  CHECK(error_of(write(dir, R"({"items": [{"id": "a", "skill": "s", "difficulty": 99}]})"))
          .find("items[0].difficulty") != std::string::npos);
  CHECK(error_of(write(dir, R"({"items": [{"id": "a", "skill": "s", "modality": "smell"}]})"))
          .find("items[0].modality") != std::string::npos);
  CHECK(error_of(write(dir, R"({"prerequisites": [{"before": "a"}]})"))
          .find("prerequisites[0].after") != std::string::npos);
  auto cycle = error_of(write(dir, R"({"prerequisites": [{"before": "a", "after": "b"},
                                                          {"before": "b", "after": "a"}]})"));
  CHECK(cycle.find("cycle") != std::string::npos);
  CHECK(cycle.find("catalog.json") != std::string::npos);
}

TEST_CASE("skills may carry fitted BKT parameters, which the engine then uses") {
  test::temp_dir dir;
  auto path = write(dir, R"({"skills": ["counting",
      {"id": "addition", "bkt": {"init": 0.4, "learn": 0.2, "guess": 0.15, "slip": 0.08}},
      {"id": "fractions", "bkt": {"init": 0.1, "learn": 0.05, "guess": 0.2, "slip": 0.1,
                                 "forget": 0.02}}],
    "items": [{"id": "f1", "skill": "fractions"}]})");
  auto r = runtime::read_learning_catalog(path);
  REQUIRE(std::holds_alternative<runtime::learning_catalog>(r));
  const auto& c = std::get<runtime::learning_catalog>(r);
  CHECK(c.graph.skills().size() == 3);
  REQUIRE(c.skill_bkt.size() == 2);
  CHECK(c.skill_bkt.at("addition").learn == 0.2);
  CHECK(c.skill_bkt.at("addition").forget == 0);
  CHECK(c.skill_bkt.at("fractions").forget == 0.02);
  runtime::node_config cfg;
  cfg.learning.catalog_file = path;
  auto e = runtime::make_learning_engine(cfg);
  CHECK(e->bkt_of("addition").slip == 0.08);
  CHECK(e->bkt_of("counting").slip == cfg.learning.bkt_slip);
  CHECK(e->mastery(model::learning::learner_state{}, "fractions") == 0.1);
}

TEST_CASE("bad BKT parameters in a catalogue are refused naming the skill and the parameter") {
  test::temp_dir dir;
  auto skill = [&](const std::string& bkt) {
    return error_of(write(dir, R"({"skills": [{"id": "s", "bkt": )" + bkt + "}]}"));
  };
  CHECK(skill(R"({"init": 0.3, "learn": 0.1, "guess": 0.2})").find("skills[0].bkt.slip: is required")
        != std::string::npos);
  CHECK(skill(R"({"init": 1.0, "learn": 0.1, "guess": 0.2, "slip": 0.1})")
          .find("skills[0].bkt.init") != std::string::npos);
  CHECK(skill(R"({"init": 0.3, "learn": 0, "guess": 0.2, "slip": 0.1})")
          .find("skills[0].bkt.learn") != std::string::npos);
  CHECK(skill(R"({"init": 0.3, "learn": 0.1, "guess": "x", "slip": 0.1})")
          .find("skills[0].bkt.guess") != std::string::npos);
  CHECK(skill(R"({"init": 0.3, "learn": 0.1, "guess": 0.6, "slip": 0.5})")
          .find("guess + slip must be below 1") != std::string::npos);
  CHECK(skill(R"({"init": 0.3, "learn": 0.1, "guess": 0.2, "slip": 0.1, "forget": -0.1})")
          .find("skills[0].bkt.forget") != std::string::npos);
  CHECK(skill("[0.3]").find("skills[0].bkt: must be an object") != std::string::npos);
  CHECK(error_of(write(dir, R"({"skills": [{"bkt": {}}]})")).find("skills[0].id: is required")
        != std::string::npos);
  CHECK(error_of(write(dir, R"({"skills": [{"id": "s", "bkt": {"init": 0.3, "learn": 0.1,
        "guess": 0.2, "slip": 0.1}}, {"id": "s", "bkt": {"init": 0.3, "learn": 0.1, "guess": 0.2,
        "slip": 0.1}}]})")).find("skills[1].id") != std::string::npos);
}

TEST_CASE("the node's engine takes the learning settings") {
  runtime::node_config cfg;
  cfg.learning.target_success_low = 0.6;
  cfg.learning.target_success_high = 0.75;
  cfg.learning.bkt_guess = 0.25;
  cfg.features.enable_adaptive_learning = false;
  auto e = runtime::make_learning_engine(cfg);
  CHECK(e->config().progression.band.low == 0.6);
  CHECK(e->config().bkt.guess == 0.25);
  CHECK_FALSE(e->config().enabled);
  cfg.learning.catalog_file = "/nonexistent/catalog.json";
  CHECK_THROWS_AS(runtime::make_learning_engine(cfg), std::invalid_argument);
}
