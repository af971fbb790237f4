// Tests of the baseline state model, driven by synthetic interaction streams.
#include "model/state_model.hpp"

#include "synthetic_streams.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <numeric>

using namespace aia::model;
using namespace aia::model::testing;

namespace {

user_state predict_one(const std::vector<interaction>& xs, analysis_switches switches = {}) {
  const auto model = make_baseline_model(switches);
  std::vector<user_state> out;
  model->predict({window_of(xs).features()}, out);
  REQUIRE(out.size() == 1);
  return out[0];
}

bool in(double x, double lo, double hi) {
  return x >= lo && x <= hi; // false for NaN
}

/// Every field in its documented range, and the derived fields consistent.
void check_ranges(const user_state& s) {
  CHECK(in(s.emotion.valence, -1, 1));
  CHECK(in(s.emotion.arousal, -1, 1));
  CHECK(in(s.emotion.dominance, -1, 1));
  CHECK(in(s.emotion.activation, 0, 1));
  CHECK(in(s.cognitive_load, 0, 1));
  CHECK(s.cognitive_load_level == std::lround(1 + 4 * s.cognitive_load));
  CHECK(in(s.focus_level, 0, 1));
  CHECK(in(s.engagement_score, 0, 1));
  CHECK(in(s.fatigue_level, 0, 1));
  for (double p : s.style_scores) {
    CHECK(in(p, 0, 1));
  }
  CHECK(std::accumulate(s.style_scores.begin(), s.style_scores.end(), 0.0) == Approx(1));
  const auto& c = s.confidence;
  for (double x :
       {c.cognitive_load, c.focus_level, c.engagement_score, c.fatigue_level, c.learning_style}) {
    CHECK(in(x, 0, 1));
  }
  CHECK(in(c.emotional_state, 0, 0.6));
}

/// The steady user with one behaviour changed, to show that behaviour alone moves the output.
std::vector<interaction> steady_with(void (*change)(interaction&, std::size_t)) {
  auto xs = steady_user(120);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    change(xs[i], i);
  }
  return xs;
}

} // namespace

TEST_CASE("the baseline model names its version") {
  const auto model = make_baseline_model();
  CHECK(model->version() == "baseline-1.0.0");
  CHECK(predict_one(steady_user(10)).model_version == "baseline-1.0.0");
}

TEST_CASE("slower, more hesitant responses raise cognitive load") {
  const auto steady = predict_one(steady_user(120));
  SECTION("the hesitant user, all together") {
    const auto hesitant = predict_one(hesitant_user(120));
    CHECK(hesitant.cognitive_load > steady.cognitive_load + 0.4);
    CHECK(hesitant.cognitive_load_level >= 4);
    CHECK(steady.cognitive_load_level <= 2);
  }
  SECTION("longer response times alone") {
    const auto slow = steady_with([](interaction& x, std::size_t) { x.response_time *= 6; });
    CHECK(predict_one(slow).cognitive_load > steady.cognitive_load + 0.1);
  }
  SECTION("more variable response times alone") {
    const auto erratic = steady_with(
        [](interaction& x, std::size_t i) { x.response_time = i % 2 == 0 ? 0.3 : 3.0; });
    CHECK(predict_one(erratic).cognitive_load > steady.cognitive_load + 0.1);
  }
  SECTION("more hovers and idle events alone") {
    const auto hovering = steady_with([](interaction& x, std::size_t i) {
      x.type = i % 3 == 0 ? interaction_type::idle : i % 3 == 1 ? interaction_type::hover : x.type;
    });
    CHECK(predict_one(hovering).cognitive_load > steady.cognitive_load + 0.1);
  }
}

TEST_CASE("long sessions with slowing responses raise fatigue") {
  const auto long_slowing = predict_one(paced_user(400, 9, 1, 4)); // an hour, 1 s to 4 s
  const auto long_steady = predict_one(paced_user(400, 9, 1, 1));
  const auto short_slowing = predict_one(paced_user(60, 2, 1, 4)); // two minutes
  const auto short_steady = predict_one(paced_user(60, 2, 1, 1));
  CHECK(long_slowing.fatigue_level >= 0.6);
  CHECK(long_slowing.fatigue_level > long_steady.fatigue_level + 0.2);
  CHECK(long_slowing.fatigue_level > short_slowing.fatigue_level + 0.2);
  CHECK(long_steady.fatigue_level > short_steady.fatigue_level);
  CHECK(short_slowing.fatigue_level > short_steady.fatigue_level);
  CHECK(short_steady.fatigue_level < 0.3);
}

TEST_CASE("an inactive tab lowers focus") {
  const auto steady = predict_one(steady_user(120));
  SECTION("inactive tab and blur events together") {
    const auto distracted = predict_one(distracted_user(120));
    CHECK(distracted.focus_level < 0.3);
    CHECK(steady.focus_level > 0.6);
  }
  SECTION("tab_active false alone") {
    const auto away
        = steady_with([](interaction& x, std::size_t i) { x.tab_active = i % 2 == 0 ? 0 : 1; });
    CHECK(predict_one(away).focus_level < steady.focus_level - 0.2);
  }
  SECTION("blur and visibility_change events alone") {
    const auto blurred = steady_with([](interaction& x, std::size_t i) {
      x.type = i % 5 == 0   ? interaction_type::blur
               : i % 5 == 1 ? interaction_type::visibility_change
                            : x.type;
    });
    CHECK(predict_one(blurred).focus_level < steady.focus_level - 0.2);
  }
}

TEST_CASE("steady, frequent, varied interaction is more engaged than sparse idle use") {
  const auto steady = predict_one(steady_user(120));
  const auto sparse = predict_one(sparse_idle_user(120));
  CHECK(steady.engagement_score > 0.7);
  CHECK(sparse.engagement_score < 0.2);
  const auto monotonous = predict_one(single_type_user(120, interaction_type::scroll));
  CHECK(steady.engagement_score > monotonous.engagement_score);
}

TEST_CASE("the interaction mix shapes the learning style") {
  CHECK(predict_one(single_type_user(120, interaction_type::keypress)).primary_style
        == learning_style::reading_writing);
  CHECK(predict_one(single_type_user(120, interaction_type::scroll)).primary_style
        == learning_style::visual);
  CHECK(predict_one(single_type_user(120, interaction_type::click)).primary_style
        == learning_style::kinesthetic);
  CHECK(predict_one(steady_user(120)).primary_style == learning_style::multimodal);
}

TEST_CASE("outputs stay in range for extreme inputs") {
  SECTION("extreme streams") {
    stream_builder huge;
    stream_builder zero;
    for (int i = 0; i < 200; ++i) {
      huge.add(interaction_type::hover, 1e9, 1e12, 1e12).scroll_distance = 1e300;
      zero.add(interaction_type::click, 0, 0, 0);
    }
    check_ranges(predict_one(huge.events));
    check_ranges(predict_one(zero.events));
    check_ranges(predict_one(steady_user(10'000)));
    check_ranges(predict_one(hesitant_user(10'000)));
  }
  SECTION("hand-made feature vectors, including unusable numbers") {
    const auto model = make_baseline_model();
    std::vector<feature_vector> in(6);
    in[1].values.fill(1);
    in[2].values.fill(-1);
    in[3].values.fill(std::numeric_limits<double>::quiet_NaN());
    in[4].values.fill(std::numeric_limits<double>::infinity());
    in[5].values.fill(-1e300);
    std::vector<user_state> out;
    model->predict(in, out);
    REQUIRE(out.size() == in.size());
    for (const auto& s : out) {
      check_ranges(s);
    }
  }
}

TEST_CASE("identical input gives identical output") {
  const auto a = predict_one(hesitant_user(80));
  const auto b = predict_one(hesitant_user(80));
  CHECK(a.cognitive_load == b.cognitive_load);
  CHECK(a.fatigue_level == b.fatigue_level);
  CHECK(a.emotion.valence == b.emotion.valence);
  CHECK(a.style_scores == b.style_scores);
}

TEST_CASE("a batch gives the same states as its rows one by one") {
  const auto model = make_baseline_model();
  const std::vector<feature_vector> rows = {
      window_of(steady_user(100)).features(),    window_of(hesitant_user(100)).features(),
      window_of(distracted_user(50)).features(), window_of(sparse_idle_user(30)).features(),
      window_of(steady_user(2)).features(),
  };
  std::vector<user_state> batch;
  model->predict(rows, batch);
  REQUIRE(batch.size() == rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::vector<user_state> single;
    model->predict({rows[i]}, single);
    CHECK(single[0].cognitive_load == batch[i].cognitive_load);
    CHECK(single[0].focus_level == batch[i].focus_level);
    CHECK(single[0].engagement_score == batch[i].engagement_score);
    CHECK(single[0].fatigue_level == batch[i].fatigue_level);
    CHECK(single[0].emotion.arousal == batch[i].emotion.arousal);
    CHECK(single[0].style_scores == batch[i].style_scores);
    CHECK(single[0].confidence.focus_level == batch[i].confidence.focus_level);
  }
}

TEST_CASE("predict leaves the caller's fields alone and handles an empty batch") {
  const auto model = make_baseline_model();
  std::vector<user_state> out(1);
  out[0].updated_at = 42;
  out[0].interaction_count = 7;
  model->predict({window_of(steady_user(20)).features()}, out);
  CHECK(out[0].updated_at == 42);
  CHECK(out[0].interaction_count == 7);
  model->predict({}, out);
  CHECK(out.empty());
}

TEST_CASE("with few interactions the state stays near neutral and unsure") {
  const auto neutral = predict_one({});
  for (std::size_t n = 1; n < 5; ++n) {
    const auto s = predict_one(hesitant_user(n));
    CHECK(std::fabs(s.cognitive_load - neutral.cognitive_load) < 0.1);
    CHECK(std::fabs(s.engagement_score - neutral.engagement_score) < 0.1);
    CHECK(std::fabs(s.emotion.valence) < 0.1);
    CHECK(s.cognitive_load_level == 3);
    CHECK(s.confidence.cognitive_load < 0.1);
    CHECK(s.confidence.engagement_score < 0.15);
  }
  CHECK(neutral.confidence.focus_level == 0);
  CHECK(neutral.primary_style == learning_style::multimodal);
}

TEST_CASE("confidence grows with evidence and stays low for emotion") {
  const auto few = predict_one(steady_user(10));
  const auto some = predict_one(steady_user(60));
  const auto many = predict_one(steady_user(2000));
  CHECK(few.confidence.cognitive_load < some.confidence.cognitive_load);
  CHECK(some.confidence.cognitive_load < many.confidence.cognitive_load);
  CHECK(few.confidence.engagement_score < many.confidence.engagement_score);
  CHECK(many.confidence.engagement_score > 0.6);
  CHECK(many.confidence.emotional_state <= 0.6);
  CHECK(many.confidence.emotional_state < many.confidence.engagement_score);
  CHECK(many.confidence.learning_style <= 0.5);
}

TEST_CASE("a switched-off analysis reports its neutral value with zero confidence") {
  const auto xs = hesitant_user(120);
  const auto on = predict_one(xs);
  SECTION("emotional analysis") {
    const auto off = predict_one(xs, {.emotional_analysis = false});
    CHECK(off.emotion.valence == 0);
    CHECK(off.emotion.arousal == 0);
    CHECK(off.emotion.dominance == 0);
    CHECK(off.emotion.activation == 0.5);
    CHECK(off.confidence.emotional_state == 0);
    CHECK(on.confidence.emotional_state > 0);
    CHECK(off.cognitive_load == on.cognitive_load);
  }
  SECTION("cognitive load assessment") {
    const auto off = predict_one(xs, {.cognitive_load_assessment = false});
    CHECK(off.cognitive_load == predict_one({}).cognitive_load);
    CHECK(off.cognitive_load_level == 3);
    CHECK(off.confidence.cognitive_load == 0);
    CHECK(on.cognitive_load_level >= 4);
    CHECK(off.focus_level == on.focus_level);
  }
}
