// The learning routes' JSON (snake_case, as every REST body). No Beast, no CAF.
#pragma once

#include "actors/learning_types.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace aia::net {

/// GET /learning/mastery, /learning/next and /learning/path: the reply of its kind.
[[nodiscard]] std::string rest_learning(const actors::learning_reply& r);

/// What POST /learning/answer stored, for its reply.
struct answer_receipt {
  std::string user_id;
  std::uint64_t seq = 0;
  bool duplicate = false;
  bool correct = false;
  double processing_time_ms = 0;
};

/// POST /learning/answer: the receipt plus the skill's mastery and the item's next review, from
/// an `item` query made after the answer was folded in.
[[nodiscard]] std::string rest_learning_answer(const answer_receipt& a,
                                               const actors::learning_reply& item);

} // namespace aia::net
