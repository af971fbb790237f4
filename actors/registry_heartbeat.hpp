// The registry heartbeat: a detached actor (hiredis blocks) beating into the Redis registry.
#pragma once

#include <caf/fwd.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace aia::runtime {
class cluster_registry;
}

namespace aia::actors {

/// What the heartbeat registers and how often.
struct heartbeat_options {
  std::string name;                         ///< this node's placement name
  std::string address;                      ///< host:port of its cluster port
  std::chrono::milliseconds interval{500};  ///< between beats
  std::chrono::milliseconds ttl{2000};      ///< a node silent this long expires
};

/// Spawns the heartbeat (detached: its own thread). Every interval it registers this node and
/// sends the manager (registry_atom, std::vector<registry_entry>) with the live nodes; while
/// Redis does not answer it sends nothing, so membership then rests on the cluster connections
/// alone. (leave_atom) -> bool unregisters this node at once (before a clean stop).
caf::actor spawn_registry_heartbeat(caf::actor_system& sys,
                                    std::shared_ptr<runtime::cluster_registry> registry,
                                    heartbeat_options opt, caf::actor manager);

} // namespace aia::actors
