// The analyzer: micro-batched user-state inference over a shared, immutable model.
#pragma once

#include "model/fwd.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <cstddef>
#include <memory>

namespace aia::runtime {
class metrics_registry;
} // namespace aia::runtime

namespace aia::actors {

/// Micro-batching settings (the spec's real_time section).
struct analyzer_options {
  std::size_t batch_size = 16;                     ///< rows per inference call at most
  std::chrono::microseconds max_wait{100'000};     ///< a row never waits longer than this
};

/// Spawns one analyzer. Rows (analyze_atom, feature_vector) are collected into a micro-batch that
/// runs when it is full, when every request already in the mailbox has been taken (so light load
/// is not delayed), or after max_wait at the latest. Protocol: actors/messages/analyzer.hpp.
caf::actor spawn_analyzer(caf::actor_system& sys, std::shared_ptr<const model::state_model> m,
                          analyzer_options opt, runtime::metrics_registry& metrics);

} // namespace aia::actors
