// The baseline model's weights: which feature moves which output, and how strongly. Documented in
// model/README.md; every weight applies to a feature's deviation from its typical value.
#pragma once

#include "model/detail/feature_layout.hpp"

#include <array>
#include <cstddef>

namespace aia::model::detail {

/// The rows of the baseline model's weight matrix.
enum output : std::size_t {
  out_valence,
  out_arousal,
  out_dominance,
  out_activation,
  out_cognitive_load,
  out_focus,
  out_engagement,
  out_fatigue,
  out_style_visual, ///< the five learning-style logits, in learning_style order
  out_style_auditory,
  out_style_kinesthetic,
  out_style_reading_writing,
  out_style_multimodal,
  output_count,
};

/// One non-zero entry of the weight matrix.
struct weight {
  output row;
  feature column;
  double value;
};

/// The non-zero weights. Features are 0..1 (trends -1..1), so a weight of 4 moves the output's
/// logit by at most 4; the squashing in state_model.cpp maps logits to the output ranges.
inline constexpr std::array baseline_weights = {
    // Cognitive load: slow, variable, hesitant responses (long waits, hovering without clicking,
    // idling, retyping). Slow responses are the best-supported behavioural marker of load.
    weight{out_cognitive_load, response_time_mean, 4.0},
    weight{out_cognitive_load, response_time_std, 3.0},
    weight{out_cognitive_load, response_time_trend, 0.8},
    weight{out_cognitive_load, dwell_time_mean, 0.5},
    weight{out_cognitive_load, hover_click_ratio, 2.0},
    weight{out_cognitive_load, idle_fraction, 1.0},
    weight{out_cognitive_load, keypress_input_ratio, 1.0},
    weight{out_cognitive_load, gap_std, 0.5},
    // Focus: the page out of sight (inactive tab, blur, visibility changes), idling, erratic pace,
    // skimming and hopping between pages.
    weight{out_focus, tab_inactive_fraction, -5.0},
    weight{out_focus, blur_fraction, -6.0},
    weight{out_focus, idle_fraction, -2.0},
    weight{out_focus, gap_std, -1.0},
    weight{out_focus, response_time_std, -1.0},
    weight{out_focus, scroll_speed, -0.5},
    weight{out_focus, mix_navigation, -1.0},
    // Engagement: frequent, steady, varied interaction; penalised by idling and long gaps.
    weight{out_engagement, event_rate, 3.0},
    weight{out_engagement, click_rate, 1.0},
    weight{out_engagement, type_entropy, 2.5},
    weight{out_engagement, mix_answer, 1.0},
    weight{out_engagement, idle_fraction, -3.0},
    weight{out_engagement, gap_mean, -2.0},
    weight{out_engagement, tab_inactive_fraction, -1.5},
    // Fatigue: time on task, and responses getting slower than they were at the session's start.
    weight{out_fatigue, session_duration, 4.0},
    weight{out_fatigue, response_time_drift, 3.0},
    weight{out_fatigue, response_time_trend, 1.0},
    weight{out_fatigue, dwell_time_trend, 1.0},
    weight{out_fatigue, response_time_mean, 1.5},
    weight{out_fatigue, idle_fraction, 1.0},
    weight{out_fatigue, event_rate, -0.5},
    // Emotion: deliberately weak heuristics (the signal is weak; confidence stays low).
    // Valence: fewer corrections, less idling and hesitation, more variety.
    weight{out_valence, keypress_input_ratio, -1.0},
    weight{out_valence, idle_fraction, -0.5},
    weight{out_valence, response_time_trend, -0.5},
    weight{out_valence, hover_click_ratio, -0.5},
    weight{out_valence, type_entropy, 0.5},
    // Arousal: fast, bursty input and fast scrolling.
    weight{out_arousal, event_rate, 1.5},
    weight{out_arousal, burst_fraction, 1.5},
    weight{out_arousal, scroll_speed, 1.0},
    weight{out_arousal, gap_mean, -1.0},
    // Dominance: decisive acting (clicks without hovering first, quick responses).
    weight{out_dominance, hover_click_ratio, -1.5},
    weight{out_dominance, response_time_mean, -1.5},
    weight{out_dominance, click_rate, 1.0},
    // Activation: overall activity level.
    weight{out_activation, event_rate, 1.5},
    weight{out_activation, burst_fraction, 1.0},
    weight{out_activation, idle_fraction, -1.5},
    weight{out_activation, gap_mean, -1.0},
    // Learning styles (VARK-like, from the interaction mix only: a weak proxy).
    weight{out_style_visual, mix_scroll, 3.0},
    weight{out_style_visual, scroll_distance, 1.0},
    weight{out_style_visual, hover_click_ratio, 1.0},
    weight{out_style_auditory, dwell_time_mean, 1.5},
    weight{out_style_auditory, event_rate, -1.0},
    weight{out_style_kinesthetic, mix_click, 3.0},
    weight{out_style_kinesthetic, mix_answer, 2.0},
    weight{out_style_kinesthetic, click_rate, 1.0},
    weight{out_style_reading_writing, mix_text, 4.0},
    weight{out_style_reading_writing, dwell_time_mean, 1.0},
    weight{out_style_reading_writing, scroll_speed, -1.0},
    weight{out_style_multimodal, type_entropy, 3.0},
};

} // namespace aia::model::detail
