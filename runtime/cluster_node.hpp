// The cluster side of a node: the published node manager, the session router in front of the
// supervisor, and the Redis registry heartbeat. CAF's io headers stay in the .cpp.
#pragma once

#include "runtime/config.hpp"
#include "runtime/metrics.hpp"

#include <caf/fwd.hpp>

#include <cstdint>
#include <memory>

namespace aia::runtime {

/// This node's membership of a cluster (cfg.cluster.port != 0).
class cluster_node {
public:
  /// Spawns the router in front of `supervisor` and the node manager, publishes the manager on
  /// the cluster port (CAF's middleman must be loaded) and starts joining the seeds and the
  /// nodes the registry lists. Throws std::runtime_error if the port cannot be opened.
  cluster_node(caf::actor_system& sys, const node_config& cfg, caf::actor supervisor,
               metrics_registry& metrics);
  ~cluster_node();
  cluster_node(const cluster_node&) = delete;
  cluster_node& operator=(const cluster_node&) = delete;

  /// The actor the gateway talks to: it routes each user to its owner's supervisor.
  [[nodiscard]] const caf::actor& router() const noexcept;

  /// The node manager (admin console, tests).
  [[nodiscard]] const caf::actor& manager() const noexcept;

  /// Tells every member and the registry that this node leaves, so they take over its users
  /// at once (bounded wait). Idempotent.
  void leave();

  /// Stops the cluster actors (after the sessions are drained).
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The name a node has in placement: cluster.node_name, else cluster.host:cluster.port.
[[nodiscard]] std::string cluster_node_name(const node_config& cfg);

} // namespace aia::runtime
