// Synthetic interaction streams for the model tests: deterministic users with a known behaviour.
#pragma once

#include "model/features.hpp"
#include "model/interaction.hpp"

#include <cstddef>
#include <vector>

namespace aia::model::testing {

/// Builds a stream event by event; time advances by each event's gap.
struct stream_builder {
  double t = 1'700'000'000; ///< seconds since the epoch
  double session_ms = 0;    ///< reported session_duration; follows the timestamps
  std::vector<interaction> events;

  /// Appends one event `gap` seconds after the previous one.
  interaction& add(interaction_type type, double gap, double response_time = absent,
                   double dwell_time = absent) {
    t += gap;
    session_ms += gap * 1000;
    interaction x;
    x.timestamp = t;
    x.user_id = "user123";
    x.type = type;
    x.response_time = response_time;
    x.dwell_time = dwell_time;
    x.device = device_type::desktop;
    x.tab_active = 1;
    x.session_duration = session_ms;
    events.push_back(x);
    return events.back();
  }
};

/// A cycling pattern in 0..1 with no randomness: 0, 1/k, 2/k, ... (k prime keeps cycles apart).
inline double wobble(std::size_t i, std::size_t k = 7) {
  return static_cast<double>(i % k) / static_cast<double>(k - 1);
}

/// Quick, steady, varied interaction: the engaged, focused, unloaded user.
inline std::vector<interaction> steady_user(std::size_t n) {
  stream_builder s;
  constexpr interaction_type mix[]
      = {interaction_type::click, interaction_type::scroll, interaction_type::keypress,
         interaction_type::input, interaction_type::answer, interaction_type::navigation,
         interaction_type::click, interaction_type::hover};
  for (std::size_t i = 0; i < n; ++i) {
    auto& x = s.add(mix[i % 8], 1.5 + wobble(i), 0.9 + 0.2 * wobble(i, 5), 3 + wobble(i, 3));
    if (x.type == interaction_type::scroll) {
      x.scroll_distance = 300;
    }
  }
  return s.events;
}

/// Slow, variable responses with hovering and idling: the overloaded user.
inline std::vector<interaction> hesitant_user(std::size_t n) {
  stream_builder s;
  constexpr interaction_type mix[]
      = {interaction_type::hover,    interaction_type::hover,    interaction_type::click,
         interaction_type::keypress, interaction_type::keypress, interaction_type::hover,
         interaction_type::idle,     interaction_type::answer};
  for (std::size_t i = 0; i < n; ++i) {
    s.add(mix[i % 8], 6 + 10 * wobble(i), 4 + 14 * wobble(i, 5), 8 + 10 * wobble(i, 3));
  }
  return s.events;
}

/// Clicks, answers, scrolls and keypresses at a steady pace (`gap` seconds), with response times
/// moving linearly from `rt_start` to `rt_end` seconds over the stream.
inline std::vector<interaction> paced_user(std::size_t n, double gap, double rt_start,
                                           double rt_end) {
  stream_builder s;
  constexpr interaction_type mix[]
      = {interaction_type::click, interaction_type::answer, interaction_type::scroll,
         interaction_type::click, interaction_type::keypress};
  for (std::size_t i = 0; i < n; ++i) {
    const double f = n > 1 ? static_cast<double>(i) / static_cast<double>(n - 1) : 0.0;
    const double rt = (rt_start + (rt_end - rt_start) * f) * (0.9 + 0.2 * wobble(i, 5));
    s.add(mix[i % 5], gap * (0.8 + 0.4 * wobble(i)), rt);
  }
  return s.events;
}

/// The steady user with the page often out of sight: tab inactive on every other event, and
/// regular `blur` and `visibility_change` events.
inline std::vector<interaction> distracted_user(std::size_t n) {
  auto xs = steady_user(n);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    xs[i].tab_active = i % 2 == 0 ? 0 : 1;
    if (i % 6 == 0) {
      xs[i].type = interaction_type::blur;
    } else if (i % 6 == 3) {
      xs[i].type = interaction_type::visibility_change;
    }
  }
  return xs;
}

/// A scroll now and then, a minute or two apart, with `idle` events in between.
inline std::vector<interaction> sparse_idle_user(std::size_t n) {
  stream_builder s;
  for (std::size_t i = 0; i < n; ++i) {
    s.add(i % 3 == 0 ? interaction_type::idle : interaction_type::scroll, 60 + 60 * wobble(i));
  }
  return s.events;
}

/// Mostly one interaction type (every fourth event a click), at a steady pace.
inline std::vector<interaction> single_type_user(std::size_t n, interaction_type type) {
  stream_builder s;
  for (std::size_t i = 0; i < n; ++i) {
    auto& x = s.add(i % 4 == 3 ? interaction_type::click : type, 2 + wobble(i), 1.5, 6);
    x.scroll_distance = type == interaction_type::scroll ? 800 : absent;
  }
  return s.events;
}

/// Folds a stream into a fresh window.
inline feature_window window_of(const std::vector<interaction>& xs, std::size_t capacity = 64) {
  feature_window w{capacity};
  for (const auto& x : xs) {
    w.add(x);
  }
  return w;
}

} // namespace aia::model::testing
