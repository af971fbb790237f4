// Turns a user state into UI adaptations: the spec's four adaptation tables.
#pragma once

#include "model/recommendation.hpp"
#include "model/user_state.hpp"

#include <string_view>
#include <vector>

namespace aia::model {

/// Thresholds and switches of the recommendation rules.
struct recommender_options {
  bool visual_adaptation = true;      ///< the spec's `features.enable_visual_adaptation`
  double ttl_seconds = 300;           ///< expires_at = state.updated_at + ttl_seconds
};

/// The recommendations for one user's state, ordered by confidence (highest first). Deterministic.
[[nodiscard]] std::vector<recommendation> recommend(std::string_view user_id, const user_state& s,
                                                    const recommender_options& opt = {});

} // namespace aia::model
