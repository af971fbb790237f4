// Tests of the recommender: the spec's four adaptation tables, confidence, order and switches.
#include "model/recommender.hpp"

#include "model/state_model.hpp"
#include "synthetic_streams.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

using namespace aia::model;

namespace {

/// A calm, typical state that should trigger nothing, with solid confidence everywhere.
user_state neutral_state() {
  user_state s;
  s.cognitive_load = 0.4;
  s.cognitive_load_level = 3;
  s.focus_level = 0.65;
  s.engagement_score = 0.6;
  s.fatigue_level = 0.2;
  s.confidence = {0.3, 0.8, 0.8, 0.8, 0.8, 0.4};
  s.updated_at = 1'700'000'000;
  return s;
}

user_state with_load(double load) {
  auto s = neutral_state();
  s.cognitive_load = load;
  s.cognitive_load_level = static_cast<int>(std::lround(1 + 4 * load));
  return s;
}

const recommendation* find(const std::vector<recommendation>& rs, recommendation_type t) {
  const auto it = std::find_if(rs.begin(), rs.end(), [t](const auto& r) { return r.type == t; });
  return it == rs.end() ? nullptr : &*it;
}

const parameter* param(const recommendation& r, std::string_view name) {
  const auto it = std::find_if(r.parameters.begin(), r.parameters.end(),
                               [name](const auto& p) { return p.name == name; });
  return it == r.parameters.end() ? nullptr : &*it;
}

double number(const recommendation& r, std::string_view name) {
  const auto* p = param(r, name);
  REQUIRE(p != nullptr);
  CHECK(p->type == parameter::kind::number);
  return p->number;
}

bool flag_set(const recommendation& r, std::string_view name) {
  const auto* p = param(r, name);
  return p != nullptr && p->type == parameter::kind::flag && p->number == 1;
}

/// The single recommendation of type `t` for `s`; fails the test if there is not exactly one.
recommendation only(const user_state& s, recommendation_type t, recommender_options opt = {}) {
  const auto rs = recommend("user123", s, opt);
  REQUIRE(rs.size() == 1);
  REQUIRE(rs[0].type == t);
  return rs[0];
}

} // namespace

TEST_CASE("a neutral state triggers nothing") {
  CHECK(recommend("user123", neutral_state()).empty());
  SECTION("nor one just short of every threshold") {
    auto s = with_load(0.62); // level 3
    s.focus_level = 0.41;
    s.engagement_score = 0.41;
    s.fatigue_level = 0.59;
    CHECK(recommend("user123", s).empty());
  }
}

TEST_CASE("high cognitive load reduces cognitive load within the spec's ranges") {
  const auto level = GENERATE(4, 5);
  const double load = level == 4 ? 0.7 : 1.0;
  const auto r = only(with_load(load), recommendation_type::reduce_cognitive_load);
  CHECK(r.id == "user123:reduce_cognitive_load");
  CHECK(r.reason == "cognitive load " + std::to_string(level) + "/5");
  CHECK(number(r, "animation_speed") >= 0.5);
  CHECK(number(r, "animation_speed") <= 0.8);
  CHECK((number(r, "max_colors") == 3 || number(r, "max_colors") == 4));
  CHECK(number(r, "information_density") >= 0.3);
  CHECK(number(r, "information_density") <= 0.4);
  CHECK(number(r, "click_target_scale") >= 1.2);
  CHECK(number(r, "click_target_scale") <= 1.5);
  CHECK(number(r, "visual_complexity") < 1);
  CHECK(flag_set(r, "simplified_navigation"));
}

TEST_CASE("higher load slows animations further and enlarges targets more") {
  const auto mild = only(with_load(0.65), recommendation_type::reduce_cognitive_load);
  const auto severe = only(with_load(0.98), recommendation_type::reduce_cognitive_load);
  CHECK(number(severe, "animation_speed") < number(mild, "animation_speed"));
  CHECK(number(severe, "click_target_scale") > number(mild, "click_target_scale"));
  CHECK(number(severe, "max_colors") <= number(mild, "max_colors"));
  CHECK(number(severe, "animation_speed") == Approx(0.5).margin(0.02));
  CHECK(number(mild, "animation_speed") == Approx(0.8).margin(0.05));
}

TEST_CASE("low focus improves focus") {
  auto s = neutral_state();
  s.focus_level = 0.2;
  const auto r = only(s, recommendation_type::improve_focus);
  CHECK(number(r, "highlight_intensity") == Approx(1.2));
  CHECK(number(r, "contrast_boost") >= 1.1);
  CHECK(number(r, "contrast_boost") <= 1.3);
  CHECK(flag_set(r, "show_progress"));
  CHECK(flag_set(r, "attention_cues"));
  CHECK(flag_set(r, "reduce_distractions"));
  CHECK(r.reason == "focus level 0.20 below 0.40");
}

TEST_CASE("high fatigue mitigates fatigue") {
  auto s = neutral_state();
  s.fatigue_level = 0.8;
  const auto r = only(s, recommendation_type::mitigate_fatigue);
  CHECK(flag_set(r, "suggest_break"));
  CHECK(flag_set(r, "reduce_interactions"));
  CHECK(number(r, "ui_scale") >= 1.1);
  CHECK(number(r, "ui_scale") <= 1.25);
  CHECK(number(r, "transition_speed") < 1);
  CHECK(number(r, "transition_speed") >= 0.6);
  const auto* scheme = param(r, "color_scheme");
  REQUIRE(scheme != nullptr);
  CHECK(scheme->type == parameter::kind::text);
  CHECK(scheme->text == "soft");
}

TEST_CASE("low engagement boosts engagement") {
  auto s = neutral_state();
  s.engagement_score = 0.1;
  const auto r = only(s, recommendation_type::boost_engagement);
  CHECK(number(r, "interactive_elements_multiplier") == Approx(1.5));
  CHECK(flag_set(r, "gamification"));
  CHECK(flag_set(r, "show_progress"));
  CHECK(flag_set(r, "achievement_feedback"));
  CHECK(flag_set(r, "dynamic_content"));
}

TEST_CASE("a recommendation is never more confident than the state behind it") {
  auto s = with_load(0.9);
  s.focus_level = 0.1;
  s.fatigue_level = 0.95;
  s.engagement_score = 0.05;
  const auto conf = GENERATE(0.1, 0.5, 1.0);
  s.confidence = {0.3, conf, conf, conf, conf, 0.4};
  const auto rs = recommend("user123", s);
  REQUIRE(rs.size() == 4);
  for (const auto& r : rs) {
    CHECK(r.confidence > 0);
    CHECK(r.confidence <= conf);
  }
}

TEST_CASE("confidence grows with the distance past the threshold") {
  const double mild = only(with_load(0.65), recommendation_type::reduce_cognitive_load).confidence;
  const double severe
      = only(with_load(0.98), recommendation_type::reduce_cognitive_load).confidence;
  CHECK(mild < severe);
  CHECK(mild >= 0.4); // state confidence 0.8, just past the threshold: about half of it
  SECTION("and vanishes with the state's confidence") {
    auto s = with_load(0.98);
    s.confidence.cognitive_load = 0;
    CHECK(recommend("user123", s).empty());
  }
}

TEST_CASE("recommendations are ordered by confidence, deterministically") {
  auto s = with_load(0.7); // barely past the threshold
  s.focus_level = 0.05;    // far past
  s.fatigue_level = 0.7;
  s.engagement_score = 0.3;
  const auto rs = recommend("user123", s);
  REQUIRE(rs.size() == 4);
  CHECK(rs[0].type == recommendation_type::improve_focus);
  for (std::size_t i = 1; i < rs.size(); ++i) {
    CHECK(rs[i - 1].confidence >= rs[i].confidence);
  }
  const auto again = recommend("user123", s);
  for (std::size_t i = 0; i < rs.size(); ++i) {
    CHECK(again[i].id == rs[i].id);
    CHECK(again[i].confidence == rs[i].confidence);
  }
}

TEST_CASE("ids, reasons and expiry follow the user and the state") {
  auto s = neutral_state();
  s.engagement_score = 0.2;
  const auto r = only(s, recommendation_type::boost_engagement, {.ttl_seconds = 120});
  CHECK(r.id == "user123:boost_engagement");
  CHECK(r.reason == "engagement score 0.20 below 0.40");
  CHECK(r.expires_at == s.updated_at + 120);
  s.fatigue_level = 0.75;
  const auto both = recommend("user123", s);
  const auto* fatigue = find(both, recommendation_type::mitigate_fatigue);
  REQUIRE(fatigue != nullptr);
  CHECK(fatigue->reason == "fatigue level 0.75 at or above 0.60");
}

TEST_CASE("without visual adaptation only non-visual parameters remain") {
  auto s = with_load(0.9);
  s.focus_level = 0.1;
  s.fatigue_level = 0.9;
  s.engagement_score = 0.1;
  const auto rs = recommend("user123", s, {.visual_adaptation = false});
  REQUIRE(rs.size() == 4);
  const std::set<std::string> visual
      = {"animation_speed",   "max_colors",          "click_target_scale",
         "visual_complexity", "highlight_intensity", "contrast_boost",
         "ui_scale",          "color_scheme",        "transition_speed"};
  for (const auto& r : rs) {
    CHECK_FALSE(r.parameters.empty());
    for (const auto& p : r.parameters) {
      CHECK(visual.count(p.name) == 0);
    }
  }
  const auto* fatigue = find(rs, recommendation_type::mitigate_fatigue);
  REQUIRE(fatigue != nullptr);
  CHECK(flag_set(*fatigue, "suggest_break"));
  CHECK(flag_set(*fatigue, "reduce_interactions"));
  CHECK(param(*find(rs, recommendation_type::reduce_cognitive_load), "simplified_navigation"));
}

TEST_CASE("every parameter name is a snake_case wire name") {
  auto s = with_load(1.0);
  s.focus_level = 0;
  s.fatigue_level = 1;
  s.engagement_score = 0;
  for (const auto& r : recommend("user123", s)) {
    for (const auto& p : r.parameters) {
      CHECK(p.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos);
    }
  }
}

TEST_CASE("a hesitant user's stream ends in a cognitive-load recommendation") {
  using namespace aia::model::testing;
  const auto model = make_baseline_model();
  std::vector<user_state> out;
  model->predict({window_of(hesitant_user(150)).features(), window_of(steady_user(150)).features()},
                 out);
  const auto hesitant = recommend("user123", out[0]);
  const auto* load = find(hesitant, recommendation_type::reduce_cognitive_load);
  REQUIRE(load != nullptr);
  CHECK(load->confidence <= out[0].confidence.cognitive_load);
  CHECK(recommend("user123", out[1]).empty());
}
