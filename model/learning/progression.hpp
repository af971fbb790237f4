// Difficulty progression: picks the next item so its predicted success sits in a target band.
#pragma once

#include "model/learning/skill_graph.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

namespace aia::model::learning {

/// One item the learner could be given next. `p_success` comes from a knowledge-tracing model.
struct candidate_item {
  std::string id;
  std::string skill;
  double p_success = 0; ///< predicted probability of a correct answer, 0..1
};

/// A band of predicted success probabilities, inclusive.
struct success_band {
  double low = 0.70;
  double high = 0.85;
};

/// Settings of choose_next().
///
/// Default band 0.70-0.85: practice is most efficient at a moderate error rate ("85% rule",
/// Wilson et al. 2019, Nat. Commun. 10:4646; desirable difficulties, Bjork 1994), while success
/// well below 0.7 discourages novices (zone of proximal development, Vygotsky).
///
/// Strain mapping (an assumption, following cognitive load theory, Sweller 1988: lower intrinsic
/// load when working memory is taxed or the learner is tired):
///   load_strain    = clamp((cognitive_load - load_onset) / (1 - load_onset), 0, 1)
///   fatigue_strain = clamp((fatigue - fatigue_onset) / (1 - fatigue_onset), 0, 1)
///   shift          = max_shift * max(load_strain, fatigue_strain)
///   band           = [low + shift, high + shift], each capped at max_high
/// So a higher band of success means easier items. Defaults: onsets 0.6 and 0.5, max_shift 0.1:
/// a fully loaded or exhausted learner gets items with 0.80-0.95 predicted success.
struct progression_config {
  success_band band{};
  double mastery_threshold = 0.95; ///< a prerequisite counts as mastered at or above this
  double load_onset = 0.6;
  double fatigue_onset = 0.5;
  double max_shift = 0.10;
  double max_high = 0.97;
  bool allow_outside_band = true; ///< if no item is in band, take the nearest one
};

/// The learner's transient state, both 0..1 (user_state::cognitive_load, fatigue_level).
struct learner_strain {
  double cognitive_load = 0;
  double fatigue = 0;
};

/// The success band after the strain mapping above.
[[nodiscard]] success_band effective_band(const learner_strain& s,
                                          const progression_config& cfg = {}) noexcept;

/// The chosen item.
struct item_choice {
  std::size_t index = 0; ///< into the candidates given
  double p_success = 0;
  bool in_band = true; ///< false when the nearest out-of-band item was taken
  success_band band;   ///< the band used
};

/// Why no item was chosen.
enum class progression_errc : std::uint8_t {
  no_candidates = 1,        ///< the candidate list was empty
  invalid_predictions,      ///< every prediction was NaN or outside 0..1
  prerequisites_unmastered, ///< every valid item has an unmastered prerequisite skill
  none_in_band,             ///< eligible items exist, none in band, allow_outside_band is false
};

/// Wire name of a code (`prerequisites_unmastered`, ...).
[[nodiscard]] const char* to_string(progression_errc code) noexcept;

using progression_result = std::variant<item_choice, progression_errc>;

/// Chooses the next item.
///  1. Items with a NaN or out-of-range prediction are skipped.
///  2. Items with a direct prerequisite skill (in `graph`) below mastery_threshold are never
///     chosen; a skill the graph does not know has no prerequisites.
///  3. Among eligible items in the effective band, the one nearest the band's centre wins; if none
///     is in band, the nearest to the band (when allowed).
///  4. Ties go to the easier item (higher p_success), then to the skill with lower mastery (more
///     to gain), then to the earlier candidate.
[[nodiscard]] progression_result choose_next(const std::vector<candidate_item>& items,
                                             const mastery_map& mastery, const skill_graph& graph,
                                             const learner_strain& strain,
                                             const progression_config& cfg = {});

/// As above, with p_success taken from `predict(item)` instead of the items' field.
[[nodiscard]] progression_result
choose_next(std::vector<candidate_item> items, const mastery_map& mastery, const skill_graph& graph,
            const learner_strain& strain, const progression_config& cfg,
            const std::function<double(const candidate_item&)>& predict);

} // namespace aia::model::learning
