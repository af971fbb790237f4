// The node manager: one per node, published on the cluster port; keeps the membership.
#pragma once

#include <caf/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace aia::runtime {
class metrics_registry;
}

namespace aia::actors {

/// Who this node is in the cluster and whom to ask first.
struct node_manager_options {
  std::string name;                          ///< placement name, unique in the cluster
  std::string host;                          ///< where other nodes reach our cluster port
  std::uint16_t port = 0;                    ///< our cluster port (published by the caller)
  std::vector<std::string> seeds;            ///< host:port of other nodes' cluster ports
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds seed_retry{500}; ///< a seed not reached is tried again this often
};

/// Spawns the manager of this node. It joins the seeds (and every node it learns of, from them
/// or from the Redis registry) through CAF's middleman, monitors each member's manager, and
/// sends the router a (view_atom, cluster_view) whenever the live members change: at once when
/// a member's connection drops (kill -9), when a member says it leaves, or when the registry no
/// longer lists it (a hung node whose heartbeat stopped).
/// Protocol: actors/messages/cluster.hpp.
caf::actor spawn_node_manager(caf::actor_system& sys, node_manager_options opt,
                              caf::actor supervisor, caf::actor router,
                              runtime::metrics_registry& metrics);

} // namespace aia::actors
