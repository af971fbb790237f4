// The layout of feature_vector: index, name and typical value of each feature, shared by the
// feature window (which reports the typical value while it lacks evidence) and the state models.
#pragma once

#include "model/features.hpp"

#include <array>
#include <cstddef>
#include <string_view>

namespace aia::model::detail {

/// Index of each feature in feature_vector::values.
enum feature : std::size_t {
  response_time_mean,    ///< log-scaled EWMA of response_time, 0..1 (1 = 60 s)
  response_time_std,     ///< EWMA standard deviation of log(1 + response_time), 0..1
  response_time_trend,   ///< recent minus long-term log response time, tanh-squashed, -1..1
  response_time_drift,   ///< recent log response time minus this session's first ones, -1..1
  dwell_time_mean,       ///< log-scaled EWMA of dwell_time, 0..1 (1 = 300 s)
  dwell_time_std,        ///< EWMA standard deviation of log(1 + dwell_time), 0..1
  dwell_time_trend,      ///< recent minus long-term log dwell time, -1..1
  gap_mean,              ///< log-scaled EWMA of the gap between events, 0..1 (1 = 300 s)
  gap_std,               ///< EWMA standard deviation of log(1 + gap), 0..1
  scroll_distance,       ///< log-scaled EWMA of |scroll_distance|, 0..1 (1 = 10000 px)
  scroll_speed,          ///< log-scaled EWMA of scroll pixels per second, 0..1 (1 = 20000 px/s)
  device_mobile,         ///< 1 if the latest reported device is a phone
  device_tablet,         ///< 1 if the latest reported device is a tablet
  tab_inactive_fraction, ///< recent events reporting tab_active false / those reporting it
  blur_fraction,         ///< recent `blur` and `visibility_change` events / recent events
  session_duration,      ///< log-scaled session length, 0..1 (1 = 4 h)
  event_rate,            ///< log-scaled recent events per minute, 0..1 (1 = 120/min)
  click_rate,            ///< log-scaled recent clicks per minute, 0..1 (1 = 120/min)
  burst_fraction,        ///< recent events less than 0.3 s after the previous one
  idle_fraction,         ///< recent `idle` events or events after a gap above 30 s
  keypress_input_ratio,  ///< keypress / (keypress + input): editing and correcting
  hover_click_ratio,     ///< hover / (hover + click): looking without acting
  type_entropy,          ///< normalised Shannon entropy of the recent interaction types
  mix_click,             ///< share of clicks among recent events
  mix_scroll,            ///< share of scrolls
  mix_text,              ///< share of keypress + input
  mix_navigation,        ///< share of navigation + focus
  mix_answer,            ///< share of answer + submit
  evidence,              ///< log-scaled number of interactions, 0..1 (1 = 1000)
  timing_support,        ///< log-scaled number of timing samples, 0..1 (1 = 1000)
  feature_end,
};

static_assert(feature_end == feature_count, "feature_count must match the layout");

/// Upper bound of a window's ring capacity: keeps one window a few KiB at most.
inline constexpr std::size_t max_ring_capacity = 4096;

/// Reference count at which `evidence` and `timing_support` reach 1.
inline constexpr double evidence_reference = 1000;

/// Name and typical value (a moderately active desktop user) of one feature.
struct feature_info {
  std::string_view name;
  double typical;
};

/// The features in index order. The window reports `typical` for a feature it has no data for, and
/// the models measure every feature as a deviation from it, so missing data reads as neutral.
inline constexpr std::array<feature_info, feature_count> feature_table = {{
    {"response_time_mean", 0.267}, // 2 s
    {"response_time_std", 0.3},
    {"response_time_trend", 0},
    {"response_time_drift", 0},
    {"dwell_time_mean", 0.314}, // 5 s
    {"dwell_time_std", 0.4},
    {"dwell_time_trend", 0},
    {"gap_mean", 0.243}, // 3 s
    {"gap_std", 0.5},
    {"scroll_distance", 0.62}, // 300 px
    {"scroll_speed", 0.63},    // 500 px/s
    {"device_mobile", 0},
    {"device_tablet", 0},
    {"tab_inactive_fraction", 0},
    {"blur_fraction", 0.02},
    {"session_duration", 0.44}, // 10 min
    {"event_rate", 0.63},       // 20 per minute
    {"click_rate", 0.41},       // 6 per minute
    {"burst_fraction", 0.1},
    {"idle_fraction", 0.05},
    {"keypress_input_ratio", 0.5},
    {"hover_click_ratio", 0.3},
    {"type_entropy", 0.6},
    {"mix_click", 0.3},
    {"mix_scroll", 0.2},
    {"mix_text", 0.2},
    {"mix_navigation", 0.1},
    {"mix_answer", 0.05},
    {"evidence", 0},
    {"timing_support", 0},
}};

} // namespace aia::model::detail
