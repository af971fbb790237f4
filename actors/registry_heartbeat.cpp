// Beats into the Redis registry and tells the node manager who is alive.
#include "actors/registry_heartbeat.hpp"

#include "actors/messages/cluster.hpp"
#include "runtime/cluster_registry.hpp"
#include "runtime/log.hpp"

#include <caf/all.hpp>

namespace aia::actors {

namespace {

struct heartbeat_state {
  static inline const char* name = "registry_heartbeat";
  bool reachable = true;  ///< whether the last beat reached Redis (logs each change once)
  bool left = false;      ///< unregistered for good: beat no more
  /// After Redis was away, every node's registration looks stale until it beats again: the
  /// registry's word on who is down is not taken until then.
  std::chrono::steady_clock::time_point trusted_from{};
};

caf::behavior heartbeat(caf::stateful_actor<heartbeat_state>* self,
                        std::shared_ptr<runtime::cluster_registry> registry,
                        heartbeat_options opt, caf::actor manager) {
  self->send(self, tick_atom::value);
  return {
    [=](tick_atom) {
      if (self->state.left) {
        return;
      }
      auto r = registry->beat(opt.name, opt.address, opt.ttl);
      if (auto* live = std::get_if<std::vector<runtime::registered_node>>(&r)) {
        auto now = std::chrono::steady_clock::now();
        if (!self->state.reachable) {
          log::info("cluster.registry_reachable");
          self->state.trusted_from = now + opt.ttl;
        }
        self->state.reachable = true;
        if (now < self->state.trusted_from) {
          self->delayed_send(self, opt.interval, tick_atom::value);
          return;
        }
        std::vector<registry_entry> out;
        for (auto& n : *live) {
          out.push_back({std::move(n.name), std::move(n.address)});
        }
        self->send(manager, registry_atom::value, std::move(out));
      } else if (self->state.reachable) {
        self->state.reachable = false;
        log::warn("cluster.registry_unreachable",
                  {{"reason", std::get<runtime::store_error>(r).message}});
      }
      self->delayed_send(self, opt.interval, tick_atom::value);
    },
    [=](leave_atom) {
      self->state.left = true;
      registry->leave(opt.name);
      return true;
    },
  };
}

} // namespace

caf::actor spawn_registry_heartbeat(caf::actor_system& sys,
                                    std::shared_ptr<runtime::cluster_registry> registry,
                                    heartbeat_options opt, caf::actor manager) {
  return sys.spawn<caf::detached>(heartbeat, std::move(registry), std::move(opt),
                                  std::move(manager));
}

} // namespace aia::actors
