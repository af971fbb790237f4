// A session's durable summary: what a rehydrated session starts from before replaying events.
#pragma once

#include "actors/dedupe.hpp"
#include "model/features.hpp"
#include "model/interaction.hpp"
#include "model/learning/learner.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace aia::actors {

/// Everything a session needs besides its events after `last_seq`.
struct session_snapshot {
  std::uint64_t last_seq = 0;            ///< log position covered
  std::uint64_t interaction_count = 0;
  std::array<std::uint64_t, model::interaction_type_count> counts_by_type{};
  double first_seen = 0;
  double last_seen = 0;
  double state_updated_at = 0;           ///< when the state was last computed (server time)
  model::feature_window window;
  dedupe_table dedupe;
  model::learning::learner_state learner; ///< mastery, memory and modality engagement
};

/// Encodes a snapshot (msgpack).
[[nodiscard]] std::vector<std::uint8_t> encode_snapshot(const session_snapshot& s);

/// Decodes encode_snapshot()'s output; nullopt for malformed bytes. `ring_capacity` is used if
/// the window cannot be restored.
[[nodiscard]] std::optional<session_snapshot> decode_snapshot(const std::uint8_t* data,
                                                              std::size_t size);

} // namespace aia::actors
