// The store writer: a detached actor that owns the blocking store backend and group-commits.
#pragma once

#include "runtime/store.hpp"

#include <caf/fwd.hpp>

#include <atomic>
#include <chrono>
#include <memory>

namespace aia::runtime {
class metrics_registry;
} // namespace aia::runtime

namespace aia::actors {

/// Settings of the store writer.
struct store_writer_options {
  std::size_t group_commit_max = 512;  ///< events per transaction at most
  /// Under a steady stream of writes, how long a transaction waits for more (0 = never).
  std::chrono::microseconds commit_delay{0};
  /// While idle, how often the writer probes the backend (runtime::store::check).
  std::chrono::milliseconds probe_interval{1000};
  /// While the backend is away, writes wait for it (unanswered) up to this many events; past
  /// it they are refused with store_unavailable.
  std::size_t outage_buffer = 100000;
  /// While the backend is away, how often the waiting writes are tried again.
  std::chrono::milliseconds outage_retry{200};
  /// Set by the writer: the backend took the last commit or answered the last probe. The node
  /// is not ready while it is false.
  std::shared_ptr<std::atomic<bool>> available = std::make_shared<std::atomic<bool>>(true);
};

/// Spawns the store writer on its own thread. It takes every write waiting in its mailbox into
/// one transaction (group commit) and answers each write only after that transaction is durable;
/// while the backend does not answer (Redis down), writes wait for it, bounded by
/// outage_buffer, and are committed when it is back;
/// loads are answered in mailbox order, so a load sees every write acknowledged before it.
/// Protocol: actors/messages/store.hpp. Stops on an exit message. A backend other than the
/// embedded one also gets the gauge `<backend>_connection_status` (1 up, 0 down).
caf::actor spawn_store_writer(caf::actor_system& sys, std::shared_ptr<runtime::store> backend,
                              store_writer_options opt, runtime::metrics_registry& metrics);

} // namespace aia::actors
