// Placement-based routing of the session protocol to the owner node's supervisor.
#include "actors/session_router.hpp"

#include "actors/messages/cluster.hpp"
#include "actors/messages/learning.hpp"
#include "actors/messages/privacy.hpp"
#include "actors/messages/session.hpp"
#include "runtime/log.hpp"
#include "runtime/placement.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <unordered_map>

namespace aia::actors {

namespace {

struct router_state {
  static inline const char* name = "session_router";
  runtime::placement placement;
  std::unordered_map<std::string, caf::actor> supervisors;  ///< by member name
  /// Local connections and the users they follow (their subscriptions live at the owner).
  std::unordered_map<std::string, std::vector<caf::actor>> subscribers;
  std::unordered_map<caf::actor_addr, std::string> by_connection;
};

using router_ptr = caf::stateful_actor<router_state>*;

/// The supervisor of the owner of `user` (the local one while the view is empty).
const caf::actor& owner_of(router_ptr self, const caf::actor& local, const std::string& user) {
  auto& st = self->state;
  if (st.placement.empty()) {
    return local;
  }
  auto i = st.supervisors.find(st.placement.owner(user));
  return i != st.supervisors.end() ? i->second : local;
}

void on_view(router_ptr self, const caf::actor& local, cluster_view& v) {
  auto& st = self->state;
  std::vector<std::string> names;
  std::unordered_map<std::string, caf::actor> sups;
  for (auto& m : v.members) {
    names.push_back(m.name);
    sups.emplace(m.name, m.name == v.self ? local : m.supervisor);
  }
  runtime::placement next{names};
  std::size_t moved = 0;
  for (auto& [user, conns] : st.subscribers) {
    auto before = st.placement.empty() ? v.self : st.placement.owner(user);
    const auto& after = next.owner(user);
    if (before == after) {
      continue;
    }
    ++moved;
    auto old_sup = st.supervisors.find(before);
    auto& new_sup = sups[after];
    for (auto& conn : conns) {
      if (old_sup != st.supervisors.end() && sups.count(before) > 0) {
        self->send(old_sup->second, unsubscribe_atom::value, user, conn);
      }
      self->send(new_sup, subscribe_atom::value, user, conn);
      self->send(conn, moved_atom::value, user);
    }
  }
  st.placement = std::move(next);
  st.supervisors = std::move(sups);
  log::info("cluster.view", {{"members", static_cast<std::uint64_t>(names.size())},
                             {"subscribed_users_moved", static_cast<std::uint64_t>(moved)}});
  self->send(local, view_atom::value, std::move(v));
}

caf::behavior session_router(router_ptr self, std::string self_name, caf::actor local) {
  self->state.placement = runtime::placement{{self_name}};
  self->state.supervisors.emplace(self_name, local);
  self->set_down_handler([self, local](caf::down_msg& dm) {
    auto& st = self->state;
    auto i = st.by_connection.find(dm.source);
    if (i == st.by_connection.end()) {
      return;
    }
    auto user = i->second;
    st.by_connection.erase(i);
    auto u = st.subscribers.find(user);
    if (u == st.subscribers.end()) {
      return;
    }
    auto& conns = u->second;
    conns.erase(std::remove_if(conns.begin(), conns.end(),
                               [&](const caf::actor& a) { return a.address() == dm.source; }),
                conns.end());
    if (conns.empty()) {
      st.subscribers.erase(u);
    }
  });
  return {
    [self, local](submit_atom a, interaction_batch& b) -> caf::result<caf::message> {
      const auto& dst = owner_of(self, local, b.user_id);
      return self->delegate(dst, a, std::move(b));
    },
    [self, local](profile_atom a, std::string& user) -> caf::result<caf::message> {
      const auto& dst = owner_of(self, local, user);
      return self->delegate(dst, a, std::move(user));
    },
    [self, local](feedback_atom a, std::string& user,
                  feedback_update& u) -> caf::result<caf::message> {
      const auto& dst = owner_of(self, local, user);
      return self->delegate(dst, a, std::move(user), std::move(u));
    },
    [self, local](learn_atom a, std::string& user, learning_query& q) -> caf::result<caf::message> {
      const auto& dst = owner_of(self, local, user);
      return self->delegate(dst, a, std::move(user), std::move(q));
    },
    [self, local](consent_atom a, std::string& user) -> caf::result<caf::message> {
      const auto& dst = owner_of(self, local, user);
      return self->delegate(dst, a, std::move(user));
    },
    [self, local](consent_atom a, std::string& user,
                  consent_update& u) -> caf::result<caf::message> {
      const auto& dst = owner_of(self, local, user);
      return self->delegate(dst, a, std::move(user), std::move(u));
    },
    [self, local](erase_user_atom a, std::string& user) -> caf::result<caf::message> {
      const auto& dst = owner_of(self, local, user);
      return self->delegate(dst, a, std::move(user));
    },
    // A budget has one keeper in the cluster, the owner of its name (the global budget is the
    // owner of "#global"), so concurrent spends on any node never overspend it.
    [self, local](spend_atom a, spend_request& r) -> caf::result<caf::message> {
      const auto& dst = owner_of(self, local, r.budget);
      return self->delegate(dst, a, std::move(r));
    },
    [self, local](budget_atom a, std::string& budget) -> caf::result<caf::message> {
      const auto& dst = owner_of(self, local, budget);
      return self->delegate(dst, a, std::move(budget));
    },
    [self, local](subscribe_atom a, const std::string& user, const caf::actor& conn) {
      auto& st = self->state;
      st.subscribers[user].push_back(conn);
      st.by_connection.emplace(conn.address(), user);
      self->monitor(conn);
      self->send(owner_of(self, local, user), a, user, conn);
    },
    [self, local](unsubscribe_atom a, const std::string& user, const caf::actor& conn) {
      auto& st = self->state;
      if (auto u = st.subscribers.find(user); u != st.subscribers.end()) {
        auto& conns = u->second;
        conns.erase(std::remove(conns.begin(), conns.end(), conn), conns.end());
        if (conns.empty()) {
          st.subscribers.erase(u);
        }
      }
      st.by_connection.erase(conn.address());
      self->demonitor(conn);
      self->send(owner_of(self, local, user), a, user, conn);
    },
    [self, local](view_atom, cluster_view& v) { on_view(self, local, v); },
  };
}

} // namespace

caf::actor spawn_session_router(caf::actor_system& sys, std::string self_name,
                                caf::actor supervisor) {
  return sys.spawn(session_router, std::move(self_name), std::move(supervisor));
}

} // namespace aia::actors
