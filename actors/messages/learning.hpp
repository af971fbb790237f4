// The learning domain's protocol (model/learning served by the session actor).
//
//   (learn_atom, std::string user, learning_query) -> learning_reply   via router and supervisor
//                                        to the user's session; error unknown_skill for a path
//                                        goal that is neither in the graph nor answered,
//                                        consent_required without consent to personalization
//
// Answers themselves are interactions (type `answer` with `learning_data`): they are stored,
// acknowledged and folded in like every other interaction (actors/messages/session.hpp).
#pragma once

#include "actors/learning_types.hpp"

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

namespace aia::actors {

using learn_atom = caf::atom_constant<caf::atom("learn")>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, learning_query& x) {
  return f(caf::meta::type_name("learning_query"), x.what, x.arg, x.skill);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, skill_view& x) {
  return f(caf::meta::type_name("skill_view"), x.skill, x.p_known, x.attempts, x.correct,
           x.last_at, x.prerequisites);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, learning_reply& x) {
  return f(caf::meta::type_name("learning_reply"), x.user_id, x.what, x.as_of, x.answers,
           x.mastery_threshold, x.skills, x.kind, x.item_id, x.skill, x.reason, x.p_success,
           x.recall, x.in_band, x.band_low, x.band_high, x.take_break, x.break_minutes,
           x.break_reason, x.minutes_active, x.visual_complexity, x.item_attempts,
           x.item_correct, x.stability_days, x.item_difficulty, x.last_review, x.next_review_at,
           x.preferred_modality, x.modality_scores, x.modality_confidence, x.goal);
}

} // namespace aia::actors
