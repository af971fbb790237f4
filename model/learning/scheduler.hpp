// Presentation timing: an FSRS-4.5 memory model per learner-item pair, plus a break rule.
#pragma once

#include <array>
#include <cstdint>

namespace aia::model::learning {

// -- memory model ----------------------------------------------------------------------------
//
// FSRS-4.5 (Ye, Su & Cao, KDD 2022 "A stochastic shortest path algorithm for optimizing spaced
// repetition scheduling"; formulas and weights as in open-spaced-repetition/fsrs4anki wiki,
// "The Algorithm", v4.5). Time t and stability S are in days; G is the rating 1..4.
//   retrievability   R(t, S) = (1 + F t / S)^C,  C = -0.5, F = 19/81, so R(S, S) = 0.9
//                    (FSRS-4 used C = -1, F = 1/9: R = (1 + t / (9 S))^-1.)
//   interval         I(r, S) = S / F * (r^(1/C) - 1)              (solves R(I, S) = r)
//   first review     S0(G) = w[G-1],  D0(G) = w4 - (G - 3) w5,   D clamped to 1..10
//   difficulty       D' = w7 D0(3) + (1 - w7) (D - w6 (G - 3))     (mean reversion)
//   recall (G >= 2)  S' = S (e^w8 (11 - D) S^-w9 (e^(w10 (1 - R)) - 1) h b + 1),
//                    h = w15 if G = 2 else 1, b = w16 if G = 4 else 1
//   lapse (G = 1)    S' = min(S, w11 D^-w12 ((S + 1)^w13 - 1) e^(w14 (1 - R)))
// A binary outcome maps correct -> good (3), incorrect -> again (1).

/// The four FSRS ratings.
enum class rating : std::uint8_t { again = 1, hard = 2, good = 3, easy = 4 };

/// FSRS-4.5 parameters; the defaults are the published FSRS-4.5 default weights.
struct fsrs_params {
  std::array<double, 17> w{0.4872, 1.4003, 3.7145, 13.8206, 5.1618, 1.2298, 0.8975, 0.031, 1.6474,
                           0.1367, 1.0461, 2.1072, 0.0793,  0.3246, 1.587,  0.2272, 2.8755};
  double min_stability_days = 0.01; ///< floor, about 15 minutes
  double max_interval_days = 36500; ///< FSRS's default maximum interval (100 years)
};

/// One learner's memory of one item. `reviews == 0` means never reviewed.
struct memory_state {
  double stability_days = 0; ///< S: days until R falls to 0.9
  double difficulty = 0;     ///< D: 1 (easy) .. 10 (hard)
  std::uint32_t reviews = 0;
  std::uint32_t lapses = 0;
};

inline constexpr double seconds_per_day = 86400;

/// Probability of recall `elapsed_s` seconds after the latest review; 0 if never reviewed.
[[nodiscard]] double recall_probability(const memory_state& s, double elapsed_s,
                                        const fsrs_params& p = {}) noexcept;

/// The state after a review rated `g`, `elapsed_s` seconds after the previous one (ignored on the
/// first review). A negative or NaN elapsed time reads as 0.
[[nodiscard]] memory_state review(const memory_state& s, rating g, double elapsed_s,
                                  const fsrs_params& p = {}) noexcept;

/// Binary form of review(): correct -> good, incorrect -> again.
[[nodiscard]] memory_state review(const memory_state& s, bool correct, double elapsed_s,
                                  const fsrs_params& p = {}) noexcept;

/// Seconds after the latest review at which recall falls to `target_recall` (clamped to
/// 0.5..0.99), capped at `max_interval_days`; 0 if never reviewed (present now).
[[nodiscard]] double next_review(const memory_state& s, double target_recall = 0.9,
                                 const fsrs_params& p = {}) noexcept;

// -- breaks ----------------------------------------------------------------------------------
//
// The rule, first match wins (minutes_active = time on task since the latest break):
//   1. fatigue >= severe_fatigue (0.85)                    -> break of long_break_min (15)
//   2. fatigue >= high_fatigue (0.7)                       -> break of short_break_min x 2 (10)
//   3. minutes_active >= max_block_min (50)                -> break of short_break_min x 2 (10)
//   4. minutes_active >= block_min (25), fatigue >= 0.4    -> break of short_break_min (5)
//   5. otherwise no break.
// Sources/assumptions: the vigilance decrement appears after ~20-30 min on task (Mackworth 1948;
// Warm, Parasuraman & Matthews 2008); brief breaks restore performance (Ariga & Lleras 2011);
// 25/5 blocks are the Pomodoro convention (Cirillo), 50/10 the common long-block variant. The
// fatigue thresholds are on the 0..1 `fatigue_level` scale of user_state and are assumptions.

/// Thresholds of the break rule above.
struct break_policy {
  double block_min = 25;
  double max_block_min = 50;
  double moderate_fatigue = 0.4;
  double high_fatigue = 0.7;
  double severe_fatigue = 0.85;
  double short_break_min = 5;
  double long_break_min = 15;
};

/// Why a break is (not) suggested: the rule that matched.
enum class break_reason : std::uint8_t { none, severe_fatigue, high_fatigue, long_block, block };

/// Wire name of a break reason (`none`, `severe_fatigue`, `high_fatigue`, `long_block`, `block`).
[[nodiscard]] const char* to_string(break_reason r) noexcept;

/// The break rule's answer.
struct break_suggestion {
  bool take_break = false;
  double minutes = 0; ///< suggested length; 0 when no break
  break_reason reason = break_reason::none;
};

/// Applies the break rule; NaN or negative inputs read as 0.
[[nodiscard]] break_suggestion suggest_break(double fatigue, double minutes_active,
                                             const break_policy& p = {}) noexcept;

} // namespace aia::model::learning
