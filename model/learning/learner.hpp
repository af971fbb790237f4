// One learner's state as the node keeps it, and the engine that updates it and answers from it:
// mastery per skill (BKT), memory per item (FSRS), the next item (difficulty progression), the
// path to a goal (prerequisite graph), breaks and the preferred content modality.
#pragma once

#include "model/interaction.hpp"
#include "model/learning/bkt.hpp"
#include "model/learning/progression.hpp"
#include "model/learning/scheduler.hpp"
#include "model/learning/skill_graph.hpp"
#include "model/user_state.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <functional>
#include <unordered_map>
#include <vector>

namespace aia::model::learning {

// -- state -------------------------------------------------------------------------------------

/// What the learner did on one skill.
struct skill_record {
  std::string skill;
  float p_known = 0;      ///< BKT posterior after the latest answer
  std::uint32_t attempts = 0;
  std::uint32_t correct = 0;
  double last_at = 0;     ///< timestamp of the latest answer, seconds
};

/// The learner's memory of one item.
struct item_record {
  std::string item;
  std::string skill;
  memory_state memory;
  double last_review = 0; ///< timestamp of the latest answer, seconds
  std::uint32_t attempts = 0;
  std::uint32_t correct = 0;
};

/// Engagement with one content modality (learning_style order, multimodal last).
struct modality_record {
  double engaged_s = 0;   ///< dwell plus response time spent on content of this modality
  std::uint32_t answers = 0;
  std::uint32_t correct = 0;
};

/// A learner's whole state. Records are sorted by name; both lists are bounded (the least
/// recently used record goes first when full).
struct learner_state {
  std::vector<skill_record> skills;
  std::vector<item_record> items;
  std::array<modality_record, learning_style_count> modalities{};
  double block_start = 0;   ///< start of the current stretch of activity (no gap >= break_gap)
  double last_activity = 0; ///< timestamp of the latest interaction
  std::uint32_t answers = 0;

  [[nodiscard]] const skill_record* find_skill(std::string_view skill) const noexcept;
  [[nodiscard]] const item_record* find_item(std::string_view item) const noexcept;
  /// Approximate heap + inline bytes, for memory accounting.
  [[nodiscard]] std::size_t memory_bytes() const noexcept;
};

/// Compact binary form (msgpack) for session snapshots.
[[nodiscard]] std::vector<std::uint8_t> encode_learner(const learner_state& s);
/// Inverse of encode_learner(); nullopt on malformed input.
[[nodiscard]] std::optional<learner_state> decode_learner(const std::uint8_t* data,
                                                          std::size_t size);

// -- configuration -----------------------------------------------------------------------------

/// One item of the catalogue the next item is chosen from.
struct catalog_item {
  std::string id;
  std::string skill;
  /// Offset on the logit scale: p(correct) = sigmoid(logit(p_bkt) - difficulty); 0 = as hard as
  /// the skill's average item.
  double difficulty = 0;
  std::int8_t modality = -1; ///< learning_style index, -1 unknown
};

/// Settings of the engine (config section `learning`).
struct learning_config {
  bkt_params bkt{};            ///< for every skill not in skill_bkt
  /// Fitted parameters by skill name (the catalogue's `skills[].bkt`, e.g. written by
  /// `aia-eval kt --export-bkt`).
  std::map<std::string, bkt_params, std::less<>> skill_bkt;
  progression_config progression{};
  fsrs_params fsrs{};
  double target_recall = 0.9;  ///< reviews are due when predicted recall falls below this
  break_policy breaks{};
  double break_gap_s = 600;    ///< a pause this long ends a stretch of activity
  bool enabled = true;          ///< features.enable_adaptive_learning: false = learners stay
                                ///< as they are and the learning routes answer 404
  std::size_t max_skills = 512;
  std::size_t max_items = 2048;
};

// -- answers -----------------------------------------------------------------------------------

/// What one graded answer did.
struct answer_outcome {
  double p_predicted = 0; ///< p(correct) before the answer (for prediction accuracy)
  bool correct = false;
  double p_known = 0;     ///< the skill's mastery after it
};

/// The next step for a learner.
struct next_step {
  enum class kind : std::uint8_t { review, practice, none };
  kind what = kind::none;
  std::string item_id;    ///< empty when practising a skill without a catalogue
  std::string skill;
  double p_success = 0;   ///< predicted p(correct) of the item
  double recall = 0;      ///< for a review: predicted recall now
  bool in_band = false;
  success_band band{};
  std::string reason;     ///< a short human explanation
  break_suggestion pause{};
  double minutes_active = 0;
  /// 0.3..1: how much visual complexity to present; falls linearly with the load strain of
  /// progression_config (1 at or below load_onset, 0.3 at full load).
  double visual_complexity = 1;
};

/// Wire name of a next_step kind (`review`, `practice`, `none`).
[[nodiscard]] const char* to_string(next_step::kind k) noexcept;

/// A modality preference estimated from engagement and success (never a fixed type).
struct style_estimate {
  std::array<double, learning_style_count> scores{}; ///< sum 1
  learning_style primary = learning_style::multimodal;
  double confidence = 0; ///< 0 without evidence
  double evidence = 0;   ///< graded answers plus engaged minutes on content with a modality
};

/// One step of a learning path.
struct path_step {
  std::string skill;
  double p_known = 0;
  std::vector<std::string> prerequisites;
};

// -- the engine --------------------------------------------------------------------------------

/// Updates learners and answers from them. Immutable after construction and thread-safe.
class learning_engine {
public:
  learning_engine(learning_config cfg, skill_graph graph, std::vector<catalog_item> catalog);
  learning_engine() : learning_engine(learning_config{}, skill_graph{}, {}) {}

  /// Folds one interaction in: activity timing and modality engagement for any, plus mastery and
  /// memory for a graded answer (whose outcome is returned). Deterministic, so replaying a
  /// session's events rebuilds the same state.
  std::optional<answer_outcome> observe(learner_state& s, const interaction& x) const;

  /// p(known) of `skill` now (the prior for a skill never answered).
  [[nodiscard]] double mastery(const learner_state& s, std::string_view skill) const noexcept;
  /// Every skill answered so far, by name.
  [[nodiscard]] mastery_map mastery(const learner_state& s) const;
  /// p(correct) of an item of `skill` with `difficulty`.
  [[nodiscard]] double predict(const learner_state& s, std::string_view skill,
                               double difficulty = 0) const noexcept;
  /// The next step at time `now`: an overdue review first (lowest recall), else the item whose
  /// predicted success sits nearest the (strain-shifted) band among catalogue items not yet
  /// retained and whose prerequisites are mastered; without a catalogue, the same over skills.
  [[nodiscard]] next_step next(const learner_state& s, const learner_strain& strain,
                               double now) const;
  /// The unmastered skills on the way to `goal`, prerequisites first; nullopt if the goal is
  /// neither in the graph nor a skill the learner has answered.
  [[nodiscard]] std::optional<std::vector<path_step>> path(const learner_state& s,
                                                           std::string_view goal) const;
  /// The modality preference: engagement share weighted by success (Laplace-smoothed).
  [[nodiscard]] style_estimate style(const learner_state& s) const noexcept;
  /// When the learner should see `item` again for the target recall (seconds since the epoch);
  /// 0 for an item never answered.
  [[nodiscard]] double next_review_at(const learner_state& s, std::string_view item) const;

  /// The BKT parameters of `skill`: its fitted ones, else the common set.
  [[nodiscard]] const bkt_params& bkt_of(std::string_view skill) const noexcept;

  [[nodiscard]] const learning_config& config() const noexcept { return cfg_; }
  [[nodiscard]] const skill_graph& graph() const noexcept { return graph_; }
  [[nodiscard]] const std::vector<catalog_item>& catalog() const noexcept { return catalog_; }

private:
  /// The catalogue difficulty of `item`, 0 if it is not in the catalogue.
  [[nodiscard]] double difficulty_of(std::string_view item) const noexcept;

  learning_config cfg_;
  skill_graph graph_;
  std::vector<catalog_item> catalog_;
  /// Hashes strings and string views alike, so lookups by view allocate nothing.
  struct id_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  /// Catalogue index by item id.
  std::unordered_map<std::string, std::size_t, id_hash, std::equal_to<>> by_id_;
};

} // namespace aia::model::learning
