// Tests of difficulty progression: band, prerequisites, strain, ties and no eligible item.
#include "model/learning/progression.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace aia::model::learning;

namespace {

skill_graph graph() {
  auto r
      = skill_graph::from_edges({{"addition", "multiplication"}, {"multiplication", "division"}});
  REQUIRE(std::holds_alternative<skill_graph>(r));
  return std::get<skill_graph>(std::move(r));
}

const mastery_map beginner{{"addition", 0.6}};
const mastery_map adder{{"addition", 0.97}, {"multiplication", 0.4}};

std::size_t chosen(const progression_result& r) {
  REQUIRE(std::holds_alternative<item_choice>(r));
  return std::get<item_choice>(r).index;
}

progression_errc refused(const progression_result& r) {
  REQUIRE(std::holds_alternative<progression_errc>(r));
  return std::get<progression_errc>(r);
}

} // namespace

TEST_CASE("the item nearest the centre of the band is chosen") {
  const std::vector<candidate_item> items{{"hard", "addition", 0.40},
                                          {"edge", "addition", 0.71},
                                          {"mid", "addition", 0.78},
                                          {"easy", "addition", 0.98}};
  const auto r = choose_next(items, beginner, graph(), {});
  CHECK(chosen(r) == 2);
  const auto& c = std::get<item_choice>(r);
  CHECK(c.in_band);
  CHECK(c.p_success == 0.78);
  CHECK(c.band.low == Approx(0.70));
  CHECK(c.band.high == Approx(0.85));
}

TEST_CASE("an item with an unmastered prerequisite is never chosen") {
  const std::vector<candidate_item> items{{"mul-1", "multiplication", 0.775},
                                          {"add-1", "addition", 0.95}};
  SECTION("even when it sits in the band and the alternative does not") {
    const auto r = choose_next(items, beginner, graph(), {});
    CHECK(chosen(r) == 1);
    CHECK_FALSE(std::get<item_choice>(r).in_band);
  }
  SECTION("once the prerequisite is mastered it is chosen") {
    CHECK(chosen(choose_next(items, adder, graph(), {})) == 0);
  }
  SECTION("the mastery threshold is configurable") {
    progression_config cfg;
    cfg.mastery_threshold = 0.5;
    CHECK(chosen(choose_next(items, beginner, graph(), {}, cfg)) == 0);
  }
  SECTION("only direct prerequisites are checked") {
    const std::vector<candidate_item> div{{"div-1", "division", 0.8}};
    CHECK(refused(choose_next(div, adder, graph(), {}))
          == progression_errc::prerequisites_unmastered);
    const mastery_map m{{"addition", 0.2}, {"multiplication", 0.99}};
    CHECK(chosen(choose_next(div, m, graph(), {})) == 0);
  }
  SECTION("a skill unknown to the graph has no prerequisites") {
    const std::vector<candidate_item> other{{"geo-1", "geometry", 0.8}};
    CHECK(chosen(choose_next(other, {}, graph(), {})) == 0);
  }
}

TEST_CASE("high load or fatigue lowers difficulty by raising the success band") {
  const std::vector<candidate_item> items{{"normal", "addition", 0.77},
                                          {"easier", "addition", 0.88}};
  CHECK(chosen(choose_next(items, beginner, graph(), {0.3, 0.2})) == 0);
  SECTION("full load shifts the band by max_shift") {
    const auto r = choose_next(items, beginner, graph(), {1.0, 0.0});
    CHECK(chosen(r) == 1);
    CHECK(std::get<item_choice>(r).band.low == Approx(0.80));
    CHECK(std::get<item_choice>(r).band.high == Approx(0.95));
  }
  SECTION("high fatigue does the same") {
    CHECK(chosen(choose_next(items, beginner, graph(), {0.0, 1.0})) == 1);
  }
  SECTION("the mapping is monotone and starts at the onsets") {
    CHECK(effective_band({0.6, 0.5}).low == Approx(0.70));
    CHECK(effective_band({0.8, 0.0}).low == Approx(0.75));
    CHECK(effective_band({0.0, 0.75}).low == Approx(0.75));
    CHECK(effective_band({0.8, 0.75}).low == Approx(0.75)); // the larger strain, not the sum
    CHECK(effective_band({0.9, 0.0}).low > effective_band({0.8, 0.0}).low);
  }
  SECTION("the band is capped") {
    progression_config cfg;
    cfg.max_shift = 0.5;
    CHECK(effective_band({1, 1}, cfg).high == Approx(0.97));
  }
}

TEST_CASE("ties go to the easier item, then the less mastered skill, then the first") {
  const auto g = graph();
  SECTION("equal distance from the centre: the easier item") {
    const std::vector<candidate_item> items{{"harder", "addition", 0.725},
                                            {"easier", "addition", 0.825}};
    CHECK(chosen(choose_next(items, beginner, g, {})) == 1);
  }
  SECTION("equal distance outside the band: the easier item") {
    const std::vector<candidate_item> items{{"low", "addition", 0.6}, {"high", "addition", 0.95}};
    CHECK(chosen(choose_next(items, beginner, g, {})) == 1);
  }
  SECTION("equal prediction: the skill with lower mastery") {
    const std::vector<candidate_item> items{{"add", "addition", 0.8},
                                            {"mul", "multiplication", 0.8}};
    CHECK(chosen(choose_next(items, adder, g, {})) == 1);
  }
  SECTION("everything equal: the earlier candidate") {
    const std::vector<candidate_item> items{{"x", "addition", 0.8}, {"y", "addition", 0.8}};
    CHECK(chosen(choose_next(items, beginner, g, {})) == 0);
  }
}

TEST_CASE("no eligible item returns none with a reason") {
  const auto g = graph();
  SECTION("no candidates") {
    CHECK(refused(choose_next({}, beginner, g, {})) == progression_errc::no_candidates);
  }
  SECTION("every prerequisite unmastered") {
    const std::vector<candidate_item> items{{"m", "multiplication", 0.8}, {"d", "division", 0.8}};
    const auto code = refused(choose_next(items, beginner, g, {}));
    CHECK(code == progression_errc::prerequisites_unmastered);
    CHECK(std::string{to_string(code)} == "prerequisites_unmastered");
  }
  SECTION("only invalid predictions") {
    const std::vector<candidate_item> items{{"n", "addition", std::nan("")},
                                            {"o", "addition", 1.2}};
    CHECK(refused(choose_next(items, beginner, g, {})) == progression_errc::invalid_predictions);
  }
  SECTION("nothing in band when out-of-band items are not allowed") {
    progression_config cfg;
    cfg.allow_outside_band = false;
    const std::vector<candidate_item> items{{"hard", "addition", 0.3}};
    CHECK(refused(choose_next(items, beginner, g, {}, cfg)) == progression_errc::none_in_band);
  }
}

TEST_CASE("predictions can come from a function") {
  const std::vector<candidate_item> items{{"a1", "addition", 0}, {"a2", "addition", 0}};
  const auto r = choose_next(items, beginner, graph(), {}, {},
                             [](const candidate_item& c) { return c.id == "a2" ? 0.8 : 0.5; });
  CHECK(chosen(r) == 1);
  CHECK(std::get<item_choice>(r).p_success == 0.8);
}
