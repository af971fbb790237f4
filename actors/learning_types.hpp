// Plain data of the learning domain, free of CAF, so the gateway can use it without actor headers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace aia::actors {

/// What to ask of a learner (see learning_query::what).
struct learning_query {
  /// `mastery` (every skill), `next` (the next step), `path` (to the goal in `arg`) or `item`
  /// (the memory of the item in `arg`).
  std::string what;
  std::string arg;
  std::string skill; ///< for `item`: also show this skill's mastery (the item may be unknown)
};

/// One skill of a learner as the routes show it.
struct skill_view {
  std::string skill;
  double p_known = 0;
  std::uint32_t attempts = 0;
  std::uint32_t correct = 0;
  double last_at = 0;                     ///< seconds since the epoch; 0 if never answered
  std::vector<std::string> prerequisites; ///< direct ones, from the skill graph (paths only)
};

/// The answer to a learning_query; the fields of the query's kind are filled.
struct learning_reply {
  std::string user_id;
  std::string what;
  double as_of = 0;                  ///< seconds since the epoch
  std::uint32_t answers = 0;         ///< graded answers folded in so far
  double mastery_threshold = 0;
  std::vector<skill_view> skills;    ///< mastery: every skill; path: the steps; item: its skill
  // next
  std::string kind;                  ///< `review`, `practice` or `none`
  std::string item_id;
  std::string skill;
  std::string reason;
  double p_success = 0;
  double recall = 0;
  bool in_band = false;
  double band_low = 0;
  double band_high = 0;
  bool take_break = false;
  double break_minutes = 0;
  std::string break_reason;
  double minutes_active = 0;
  double visual_complexity = 1;
  // item
  std::uint32_t item_attempts = 0;
  std::uint32_t item_correct = 0;
  double stability_days = 0;
  double item_difficulty = 0;        ///< FSRS difficulty, 1..10
  double last_review = 0;
  double next_review_at = 0;
  // every kind: the modality preference
  std::string preferred_modality;
  std::vector<double> modality_scores; ///< in learning_style order
  double modality_confidence = 0;
  // path
  std::string goal;
};

} // namespace aia::actors
