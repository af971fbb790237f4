// CAF inspectors for the model's domain types, so actor messages can carry them (and cross nodes).
#pragma once

#include "model/features.hpp"
#include "model/interaction.hpp"
#include "model/profile.hpp"
#include "model/recommendation.hpp"
#include "model/user_state.hpp"

#include <caf/meta/type_name.hpp>

namespace aia::model {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, interaction& x) {
  return f(caf::meta::type_name("interaction"), x.timestamp, x.user_id, x.type, x.element_id,
           x.response_time, x.dwell_time, x.scroll_distance, x.device, x.tab_active,
           x.session_duration, x.client_id, x.seq, x.item_id, x.skill, x.correct, x.modality);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, feature_vector& x) {
  return f(caf::meta::type_name("feature_vector"), x.values);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, emotional_state& x) {
  return f(caf::meta::type_name("emotional_state"), x.valence, x.arousal, x.dominance,
           x.activation);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, state_confidence& x) {
  return f(caf::meta::type_name("state_confidence"), x.emotional_state, x.cognitive_load,
           x.focus_level, x.engagement_score, x.fatigue_level, x.learning_style);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, user_state& x) {
  return f(caf::meta::type_name("user_state"), x.emotion, x.cognitive_load,
           x.cognitive_load_level, x.focus_level, x.engagement_score, x.fatigue_level,
           x.style_scores, x.primary_style, x.confidence, x.model_version, x.updated_at,
           x.interaction_count);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, parameter& x) {
  return f(caf::meta::type_name("parameter"), x.name, x.type, x.number, x.text);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, recommendation& x) {
  return f(caf::meta::type_name("recommendation"), x.id, x.type, x.reason, x.confidence,
           x.parameters, x.expires_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, user_profile& x) {
  return f(caf::meta::type_name("user_profile"), x.user_id, x.state, x.recommendations,
           x.interaction_count, x.counts_by_type, x.first_seen, x.last_seen);
}

} // namespace aia::model
