// Cluster membership: join through the middleman, monitor every member, publish the view.
#include "actors/node_manager.hpp"

#include "actors/messages/cluster.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace aia::actors {

namespace {

struct manager_state {
  static inline const char* name = "node_manager";
  member self_member;
  std::map<std::string, member> members;   ///< every live member but this node, by name
  std::set<std::string> connecting;        ///< addresses with a connect on its way
  std::set<std::string> pending_seeds;     ///< seeds not joined yet
};

using manager_ptr = caf::stateful_actor<manager_state>*;

struct manager_env {
  node_manager_options opt;
  caf::actor router;
  runtime::gauge* size;
  runtime::counter* downs;
};

std::string address_of(const member& m) {
  return m.host + ":" + std::to_string(m.port);
}

/// Splits host:port; false if it is not one.
bool split_address(const std::string& a, std::string& host, std::uint16_t& port) {
  auto colon = a.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return false;
  }
  host = a.substr(0, colon);
  try {
    auto p = std::stoul(a.substr(colon + 1));
    if (p == 0 || p > 65535) {
      return false;
    }
    port = static_cast<std::uint16_t>(p);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

cluster_view view_of(manager_ptr self) {
  cluster_view v;
  v.self = self->state.self_member.name;
  v.members.push_back(self->state.self_member);
  for (auto& [name, m] : self->state.members) {
    v.members.push_back(m);
  }
  return v;
}

void publish_view(manager_ptr self, const manager_env& env) {
  env.size->set(static_cast<double>(self->state.members.size() + 1));
  self->send(env.router, view_atom::value, view_of(self));
}

void join(manager_ptr self, const manager_env& env, const caf::actor& peer);

/// Adds a member learnt of (from its own join, a join reply, or a peer); false if known.
bool add_member(manager_ptr self, const manager_env& env, const member& m) {
  auto& st = self->state;
  if (m.name == st.self_member.name || !m.manager) {
    return false;
  }
  auto i = st.members.find(m.name);
  if (i != st.members.end()) {
    if (i->second.manager == m.manager) {
      return false;
    }
    // The same name on a new manager: the node restarted before we saw it go.
    self->demonitor(i->second.manager);
    st.members.erase(i);
  }
  st.members.emplace(m.name, m);
  st.pending_seeds.erase(address_of(m));
  self->monitor(m.manager);
  log::info("cluster.member_up", {{"node", m.name}, {"address", address_of(m)}});
  // It may not know us yet (we heard of it from a third node): introduce ourselves.
  join(self, env, m.manager);
  return true;
}

void add_members(manager_ptr self, const manager_env& env, const std::vector<member>& ms) {
  bool changed = false;
  for (const auto& m : ms) {
    changed = add_member(self, env, m) || changed;
  }
  if (changed) {
    publish_view(self, env);
  }
}

void remove_member(manager_ptr self, const manager_env& env, const std::string& name,
                   const char* why) {
  auto i = self->state.members.find(name);
  if (i == self->state.members.end()) {
    return;
  }
  self->demonitor(i->second.manager);
  self->state.members.erase(i);
  env.downs->inc();
  log::warn("cluster.member_down", {{"node", name}, {"reason", std::string{why}}});
  publish_view(self, env);
}

/// Sends our join to a peer's manager and takes in the members it answers with.
void join(manager_ptr self, const manager_env& env, const caf::actor& peer) {
  self->request(peer, env.opt.connect_timeout, join_atom::value, self->state.self_member)
    .then([self, env](std::vector<member>& ms) { add_members(self, env, ms); },
          [](caf::error& err) {
            log::debug("cluster.join_failed", {{"errc", caf::to_string(err)}});
          });
}

/// Connects to the cluster port at `address` (asynchronously, through the middleman actor)
/// and joins the manager published there.
void connect(manager_ptr self, const manager_env& env, const std::string& address) {
  auto& st = self->state;
  std::string host;
  std::uint16_t port = 0;
  if (address == address_of(st.self_member) || st.connecting.count(address) > 0
      || !split_address(address, host, port)) {
    return;
  }
  for (auto& [name, m] : st.members) {
    if (address_of(m) == address) {
      st.pending_seeds.erase(address);
      return;
    }
  }
  st.connecting.insert(address);
  auto mm = self->home_system().middleman().actor_handle();
  self->request(mm, env.opt.connect_timeout, caf::connect_atom::value, host, port)
    .then(
      [self, env, address](const caf::node_id&, caf::strong_actor_ptr& p,
                           const std::set<std::string>&) {
        self->state.connecting.erase(address);
        auto peer = caf::actor_cast<caf::actor>(p);
        if (peer) {
          join(self, env, peer);
        }
      },
      [self, address](caf::error& err) {
        self->state.connecting.erase(address);
        log::debug("cluster.connect_failed",
                   {{"address", address}, {"errc", caf::to_string(err)}});
      });
}

caf::behavior node_manager(manager_ptr self, manager_env env, caf::actor supervisor) {
  auto& st = self->state;
  st.self_member = member{env.opt.name, env.opt.host, env.opt.port,
                          caf::actor_cast<caf::actor>(self), std::move(supervisor)};
  st.pending_seeds.insert(env.opt.seeds.begin(), env.opt.seeds.end());
  st.pending_seeds.erase(address_of(st.self_member));
  self->set_down_handler([self, env](caf::down_msg& dm) {
    for (auto& [name, m] : self->state.members) {
      if (m.manager.address() == dm.source) {
        auto n = name;  // remove_member erases the entry `name` refers to
        remove_member(self, env, n, "connection lost");
        return;
      }
    }
  });
  publish_view(self, env);
  self->send(self, retry_atom::value);
  return {
    [self, env](join_atom, member& m) -> std::vector<member> {
      if (add_member(self, env, m)) {
        publish_view(self, env);
      }
      return view_of(self).members;
    },
    [self, env](leave_atom, const std::string& name) {
      remove_member(self, env, name, "left");
    },
    [self, env](leave_atom) -> bool {
      for (auto& [name, m] : self->state.members) {
        self->send(m.manager, leave_atom::value, self->state.self_member.name);
      }
      return true;
    },
    [self, env](registry_atom, const std::vector<registry_entry>& live) {
      // Connect to nodes we have not met; declare down members the registry lost (their
      // heartbeat stopped although their connection may still look open).
      std::set<std::string> names;
      for (const auto& e : live) {
        names.insert(e.name);
        if (e.name != self->state.self_member.name && self->state.members.count(e.name) == 0) {
          connect(self, env, e.address);
        }
      }
      std::vector<std::string> lost;
      for (auto& [name, m] : self->state.members) {
        if (names.count(name) == 0) {
          lost.push_back(name);
        }
      }
      for (const auto& name : lost) {
        remove_member(self, env, name, "heartbeat expired");
      }
    },
    [self, env](retry_atom) {
      for (const auto& seed : self->state.pending_seeds) {
        connect(self, env, seed);
      }
      if (!self->state.pending_seeds.empty()) {
        self->delayed_send(self, env.opt.seed_retry, retry_atom::value);
      }
    },
    [self](members_atom) { return view_of(self); },
  };
}

} // namespace

caf::actor spawn_node_manager(caf::actor_system& sys, node_manager_options opt,
                              caf::actor supervisor, caf::actor router,
                              runtime::metrics_registry& metrics) {
  manager_env env{std::move(opt), std::move(router),
                  &metrics.get_gauge("cluster_members", "Live nodes of the cluster, this one "
                                                        "included"),
                  &metrics.get_counter("cluster_member_down_total",
                                       "Members declared down (connection lost, left, or "
                                       "heartbeat expired)")};
  return sys.spawn(node_manager, std::move(env), std::move(supervisor));
}

} // namespace aia::actors
