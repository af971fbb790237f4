// What the learning routes show of a learner: learning_reply built from the session's state.
#pragma once

#include "actors/learning_types.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace aia::model {
struct user_state;
} // namespace aia::model

namespace aia::model::learning {
class learning_engine;
struct learner_state;
} // namespace aia::model::learning

namespace aia::actors {

/// Why a learning query has no answer.
enum class learning_refusal : std::uint8_t {
  unknown_query = 1, ///< `what` is none of mastery, next, path, item
  unknown_skill,     ///< a path goal neither in the graph nor answered
};

/// Answers `q` for `user` from the learner and the user's current state (its cognitive load and
/// fatigue shift the difficulty band and suggest breaks) at time `now` (seconds since the epoch).
[[nodiscard]] std::optional<learning_reply>
make_learning_reply(const model::learning::learning_engine& engine,
                    const model::learning::learner_state& learner, const model::user_state& state,
                    const std::string& user, const learning_query& q, double now,
                    learning_refusal* why = nullptr);

} // namespace aia::actors
