// FSRS-4.5 memory model and the break rule (formulas and sources in scheduler.hpp).
#include "model/learning/scheduler.hpp"

#include <algorithm>
#include <cmath>

namespace aia::model::learning {

namespace {

constexpr double decay = -0.5;
constexpr double factor = 19.0 / 81.0; // (0.9^(1/decay) - 1): R(S, S) = 0.9

double clean(double x) noexcept {
  return std::isnan(x) || x < 0 ? 0.0 : x;
}

double clamp_difficulty(double d) noexcept {
  return std::clamp(d, 1.0, 10.0);
}

double initial_difficulty(const fsrs_params& p, int g) noexcept {
  return p.w[4] - (g - 3) * p.w[5];
}

double retrievability(double t_days, double s_days) noexcept {
  return std::pow(1 + factor * t_days / s_days, decay);
}

} // namespace

// -- memory model ----------------------------------------------------------------------------

double recall_probability(const memory_state& s, double elapsed_s, const fsrs_params& p) noexcept {
  if (s.reviews == 0) {
    return 0;
  }
  const auto stability = std::max(s.stability_days, p.min_stability_days);
  return retrievability(clean(elapsed_s) / seconds_per_day, stability);
}

memory_state review(const memory_state& s, rating g, double elapsed_s,
                    const fsrs_params& p) noexcept {
  const int gi = std::clamp(static_cast<int>(g), 1, 4);
  memory_state out = s;
  out.reviews = s.reviews + 1;
  if (gi == 1) {
    ++out.lapses;
  }
  // First review: the initial stability and difficulty of the rating.
  if (s.reviews == 0) {
    out.stability_days = std::max(p.w[static_cast<std::size_t>(gi - 1)], p.min_stability_days);
    out.difficulty = clamp_difficulty(initial_difficulty(p, gi));
    return out;
  }
  const auto stability = std::max(s.stability_days, p.min_stability_days);
  const auto difficulty = clamp_difficulty(s.difficulty);
  const auto r = retrievability(clean(elapsed_s) / seconds_per_day, stability);
  // Difficulty moves with the rating and reverts towards the initial difficulty of "good".
  const auto moved = difficulty - p.w[6] * (gi - 3);
  out.difficulty = clamp_difficulty(p.w[7] * initial_difficulty(p, 3) + (1 - p.w[7]) * moved);
  if (gi == 1) {
    // Lapse: post-lapse stability, never above the stability before the lapse.
    const auto forget = p.w[11] * std::pow(difficulty, -p.w[12])
                        * (std::pow(stability + 1, p.w[13]) - 1) * std::exp(p.w[14] * (1 - r));
    out.stability_days = std::max(std::min(forget, stability), p.min_stability_days);
    return out;
  }
  // Recall: the harder the item and the higher R was, the smaller the gain.
  const auto hard_penalty = gi == 2 ? p.w[15] : 1.0;
  const auto easy_bonus = gi == 4 ? p.w[16] : 1.0;
  const auto gain = std::exp(p.w[8]) * (11 - difficulty) * std::pow(stability, -p.w[9])
                    * (std::exp(p.w[10] * (1 - r)) - 1) * hard_penalty * easy_bonus;
  out.stability_days = std::max(stability * (gain + 1), p.min_stability_days);
  return out;
}

memory_state review(const memory_state& s, bool correct, double elapsed_s,
                    const fsrs_params& p) noexcept {
  return review(s, correct ? rating::good : rating::again, elapsed_s, p);
}

double next_review(const memory_state& s, double target_recall, const fsrs_params& p) noexcept {
  if (s.reviews == 0) {
    return 0;
  }
  const auto r = std::isnan(target_recall) ? 0.9 : std::clamp(target_recall, 0.5, 0.99);
  const auto stability = std::max(s.stability_days, p.min_stability_days);
  const auto days = stability / factor * (std::pow(r, 1 / decay) - 1);
  return std::min(days, p.max_interval_days) * seconds_per_day;
}

// -- breaks ----------------------------------------------------------------------------------

const char* to_string(break_reason r) noexcept {
  switch (r) {
  case break_reason::none:
    return "none";
  case break_reason::severe_fatigue:
    return "severe_fatigue";
  case break_reason::high_fatigue:
    return "high_fatigue";
  case break_reason::long_block:
    return "long_block";
  case break_reason::block:
    return "block";
  }
  return "none";
}

break_suggestion suggest_break(double fatigue, double minutes_active,
                               const break_policy& p) noexcept {
  const auto f = clean(fatigue);
  const auto m = clean(minutes_active);
  if (f >= p.severe_fatigue) {
    return {true, p.long_break_min, break_reason::severe_fatigue};
  }
  if (f >= p.high_fatigue) {
    return {true, 2 * p.short_break_min, break_reason::high_fatigue};
  }
  if (m >= p.max_block_min) {
    return {true, 2 * p.short_break_min, break_reason::long_block};
  }
  if (m >= p.block_min && f >= p.moderate_fatigue) {
    return {true, p.short_break_min, break_reason::block};
  }
  return {};
}

} // namespace aia::model::learning
