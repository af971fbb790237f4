// What the node knows about one user: the body of GET /profile/{user_id}.
#pragma once

#include "model/interaction.hpp"
#include "model/recommendation.hpp"
#include "model/user_state.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace aia::model {

/// One user's profile.
struct user_profile {
  std::string user_id;
  user_state state;
  std::vector<recommendation> recommendations;
  std::uint64_t interaction_count = 0;
  std::array<std::uint64_t, interaction_type_count> counts_by_type{};
  double first_seen = 0;  ///< seconds since the epoch (first interaction's timestamp)
  double last_seen = 0;   ///< seconds since the epoch (latest interaction's timestamp)
};

} // namespace aia::model
