// Tests of the per-user feedback layer: Gaussian offsets, ranges, confidence, encoding.
#include "model/state/feedback_layer.hpp"

#include <catch2/catch.hpp>

using namespace aia::model;
using namespace aia::model::state;

TEST_CASE("reports move a person's state towards what they say, more with each report") {
  feedback_layer layer;
  feedback_state s;
  user_state model_out;
  model_out.cognitive_load = 0.3;
  model_out.confidence.cognitive_load = 0.2;
  // The person keeps saying their load is 0.8 while the model says 0.3.
  layer.observe(s, state_dimension::cognitive_load, 0.3, 0.8, 100);
  auto once = layer.apply(s, model_out);
  // Prior and report variances are equal: the first report moves half-way.
  CHECK(once.cognitive_load == Approx(0.55));
  for (int i = 0; i < 9; ++i) {
    layer.observe(s, state_dimension::cognitive_load, 0.3, 0.8, 101 + i);
  }
  auto ten = layer.apply(s, model_out);
  CHECK(ten.cognitive_load > once.cognitive_load);
  CHECK(ten.cognitive_load == Approx(0.3 + 0.5 * 10.0 / 11.0));
  CHECK(ten.cognitive_load_level == 4);
  CHECK(ten.confidence.cognitive_load > once.confidence.cognitive_load);
  CHECK(once.confidence.cognitive_load > model_out.confidence.cognitive_load);
  CHECK(s.offsets[2].labels == 10);
  CHECK(s.version == 10);
  // Other dimensions are untouched.
  CHECK(ten.focus_level == model_out.focus_level);
  CHECK(ten.confidence.focus_level == model_out.confidence.focus_level);
}

TEST_CASE("outputs stay in range, and emotion uses its own -1..1 scale") {
  feedback_layer layer;
  feedback_state s;
  user_state out;
  out.emotion.valence = 0.9;
  for (int i = 0; i < 20; ++i) {
    layer.observe(s, state_dimension::valence, -0.9, 5.0, i);  // an out-of-range report is clamped
    layer.observe(s, state_dimension::fatigue_level, 0.0, 1.0, i);
  }
  auto applied = layer.apply(s, out);
  CHECK(applied.emotion.valence <= 1.0);
  CHECK(applied.fatigue_level <= 1.0);
  CHECK(applied.fatigue_level > 0.8);
  CHECK(layer.prior_variance(state_dimension::valence)
        == Approx(4 * layer.prior_variance(state_dimension::focus_level)));
  // Emotion's confidence needs both valence and arousal reports.
  CHECK(applied.confidence.emotional_state == out.confidence.emotional_state);
  layer.observe(s, state_dimension::arousal, 0, 0.2, 30);
  CHECK(layer.apply(s, out).confidence.emotional_state > out.confidence.emotional_state);
}

TEST_CASE("no reports, no change") {
  feedback_layer layer;
  user_state out;
  out.focus_level = 0.42;
  out.cognitive_load_level = 2;
  out.confidence.focus_level = 0.3;
  auto same = layer.apply(feedback_state{}, out);
  CHECK(same.focus_level == 0.42);
  CHECK(same.cognitive_load_level == 2);
  CHECK(same.confidence.focus_level == 0.3);
}

TEST_CASE("feedback state survives encoding, and malformed bytes are refused") {
  feedback_layer layer;
  feedback_state s;
  layer.observe(s, state_dimension::engagement_score, 0.5, 0.9, 1.8e9);
  auto bytes = s.encode();
  auto back = feedback_state::decode(bytes.data(), bytes.size());
  REQUIRE(back);
  CHECK(back->version == 1);
  CHECK(back->offsets[4].mean == s.offsets[4].mean);
  CHECK(back->offsets[4].variance == s.offsets[4].variance);
  CHECK(back->offsets[0].variance == -1);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    CHECK_FALSE(feedback_state::decode(bytes.data(), n));
  }
  CHECK(parse_state_dimension("fatigue_level") == state_dimension::fatigue_level);
  CHECK_FALSE(parse_state_dimension("stress"));
}
