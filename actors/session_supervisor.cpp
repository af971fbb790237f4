// One-for-one supervision of the user sessions of a node, with passivation and draining.
#include "actors/session_supervisor.hpp"

#include "actors/messages/cluster.hpp"
#include "actors/messages/learning.hpp"
#include "actors/messages/privacy.hpp"
#include "actors/messages/session.hpp"
#include "actors/messages/store.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"
#include "runtime/placement.hpp"
#include "runtime/wall_clock.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <unordered_map>

namespace aia::actors {

namespace {

using clock = std::chrono::steady_clock;

struct user_entry {
  caf::actor session;                  ///< invalid while the user has no live session
  std::uint64_t delegated = 0;         ///< messages routed to the current session
  std::vector<caf::actor> subscribers;
  std::deque<clock::time_point> restarts;
};

/// An erasure under way: who waits for its receipt, and what it found so far.
struct erasure_job {
  std::vector<caf::typed_response_promise<erasure_receipt>> waiters;
  erasure_receipt receipt;
};

struct supervisor_state {
  static inline const char* name = "session_supervisor";
  std::unordered_map<std::string, user_entry> users;
  std::unordered_map<caf::actor_addr, std::string> by_session;
  std::unordered_map<caf::actor_addr, std::string> by_connection;
  supervisor_stats stats;
  bool draining = false;
  std::vector<caf::response_promise> drain_waiters;
  std::unordered_map<std::string, erasure_job> erasing;  ///< by user
};

using supervisor_ptr = caf::stateful_actor<supervisor_state>*;

struct supervisor_env {
  session_deps deps;
  supervisor_options opt;
  runtime::gauge* active;
};

void update_gauge(supervisor_ptr self, const supervisor_env& env) {
  self->state.stats.active_sessions = self->state.by_session.size();
  env.active->set(static_cast<double>(self->state.by_session.size()));
}

/// The live session of `user`, spawned (and rehydrated) if there is none.
user_entry& ensure_session(supervisor_ptr self, const supervisor_env& env,
                           const std::string& user) {
  auto& e = self->state.users[user];
  if (!e.session) {
    e.session = spawn_session(self, user, env.deps, e.subscribers);
    e.delegated = 0;
    self->state.by_session.emplace(e.session.address(), user);
    ++self->state.stats.spawned;
    update_gauge(self, env);
  }
  ++e.delegated;
  return e;
}

/// Forgets a user entirely once it has neither a session nor subscribers.
void maybe_forget(supervisor_ptr self, const std::string& user) {
  auto i = self->state.users.find(user);
  if (i != self->state.users.end() && !i->second.session && i->second.subscribers.empty()) {
    self->state.users.erase(i);
  }
}

void finish_drain_if_done(supervisor_ptr self) {
  auto& st = self->state;
  if (st.draining && st.by_session.empty()) {
    for (auto& rp : st.drain_waiters) {
      rp.deliver(true);
    }
    st.drain_waiters.clear();
  }
}

/// Answers everyone waiting for the erasure of `user` and ends it.
void finish_erasure(supervisor_ptr self, const std::string& user, const caf::error& err) {
  auto i = self->state.erasing.find(user);
  if (i == self->state.erasing.end()) {
    return;
  }
  auto job = std::move(i->second);
  self->state.erasing.erase(i);
  job.receipt.completed_at = runtime::wall_seconds();
  for (auto& rp : job.waiters) {
    if (err) {
      rp.deliver(err);
    } else {
      rp.deliver(job.receipt);
    }
  }
}

/// The user has no live session here: the accountant forgets its budget (once its writes in
/// flight are done, so none lands after the erasure), then the store erases everything. The
/// store writer runs requests in order, so every write a stopped session sent is done first.
void erase_stored(supervisor_ptr self, const supervisor_env& env, const std::string& user) {
  auto erase_store = [self, env, user] {
    self->request(env.deps.store, caf::infinite, erase_atom::value, user)
      .then(
        [self, user](runtime::erase_counts& n) {
          if (auto i = self->state.erasing.find(user); i != self->state.erasing.end()) {
            auto& r = i->second.receipt;
            r.events = n.events;
            r.snapshots = n.snapshots;
            r.records = n.records;
          }
          finish_erasure(self, user, caf::error{});
        },
        [self, user](caf::error& err) {
          log::error("session.erase_failed", {{"errc", caf::to_string(err)}});
          finish_erasure(self, user, make_error(session_errc::store_failed));
        });
  };
  if (!env.opt.accountant) {
    return erase_store();
  }
  self->request(env.opt.accountant, caf::infinite, forget_atom::value, user)
    .then(
      [self, user, erase_store](bool) {
        if (auto i = self->state.erasing.find(user); i != self->state.erasing.end()) {
          i->second.receipt.budget_forgotten = true;
        }
        erase_store();
      },
      [self, user](caf::error& err) {
        log::error("session.erase_forget_failed", {{"errc", caf::to_string(err)}});
        finish_erasure(self, user, make_error(session_errc::store_failed));
      });
}

/// Starts (or joins) the erasure of `user`.
caf::result<erasure_receipt> erase_user(supervisor_ptr self, const supervisor_env& env,
                                        const std::string& user) {
  auto& st = self->state;
  auto rp = self->make_response_promise<erasure_receipt>();
  auto [job, fresh] = st.erasing.try_emplace(user);
  job->second.waiters.push_back(rp);
  if (!fresh) {
    return rp;
  }
  job->second.receipt.user_id = user;
  job->second.receipt.node = env.opt.node_name;
  job->second.receipt.requested_at = runtime::wall_seconds();
  auto u = st.users.find(user);
  if (u != st.users.end() && u->second.session) {
    // The session finishes its batches in flight and stops; its down message erases the rest.
    job->second.receipt.session_stopped = true;
    ++u->second.delegated;
    self->send(u->second.session, erase_user_atom::value);
  } else {
    erase_stored(self, env, user);
  }
  return rp;
}

/// A request for a user being erased: refused for now (clients retry, and then meet no data).
bool refused_while_erasing(supervisor_ptr self, const std::string& user) {
  return self->state.draining || self->state.erasing.count(user) > 0;
}

/// A budget request for a user (or the global budget) this node keeps.
template <class... Ts>
caf::result<caf::message> to_accountant(supervisor_ptr self, const supervisor_env& env,
                                        Ts&&... xs) {
  if (!env.opt.accountant) {
    return caf::result<caf::message>{make_error(session_errc::not_found)};
  }
  return self->delegate(env.opt.accountant, std::forward<Ts>(xs)...);
}

/// A session went down: passivated (normal) or crashed (restart, bounded).
void on_session_down(supervisor_ptr self, const supervisor_env& env, const std::string& user,
                     const caf::error& reason) {
  auto& st = self->state;
  auto i = st.users.find(user);
  if (i == st.users.end()) {
    return;
  }
  auto& e = i->second;
  e.session = caf::actor{};
  if (st.erasing.count(user) > 0) {
    erase_stored(self, env, user);  // stopped for the erasure: never restarted from the store
    maybe_forget(self, user);
    return;
  }
  if (reason && reason != caf::exit_reason::normal && !st.draining) {
    auto now = clock::now();
    while (!e.restarts.empty() && now - e.restarts.front() > env.opt.restart_window) {
      e.restarts.pop_front();
    }
    log::warn("session.crashed", {{"errc", caf::to_string(reason)}});
    if (!e.subscribers.empty()
        && e.restarts.size() < static_cast<std::size_t>(env.opt.max_restarts)) {
      e.restarts.push_back(now);
      ++st.stats.restarted;
      ensure_session(self, env, user);
      --e.delegated;  // the restart itself routed nothing
      return;
    }
  }
  maybe_forget(self, user);
}

void on_down(supervisor_ptr self, const supervisor_env& env, caf::down_msg& dm) {
  auto& st = self->state;
  if (auto i = st.by_session.find(dm.source); i != st.by_session.end()) {
    auto user = i->second;
    st.by_session.erase(i);
    update_gauge(self, env);
    on_session_down(self, env, user, dm.reason);
    finish_drain_if_done(self);
    return;
  }
  if (auto i = st.by_connection.find(dm.source); i != st.by_connection.end()) {
    auto user = i->second;
    st.by_connection.erase(i);
    auto u = st.users.find(user);
    if (u == st.users.end()) {
      return;
    }
    auto& subs = u->second.subscribers;
    auto conn = std::find_if(subs.begin(), subs.end(),
                             [&](const caf::actor& a) { return a.address() == dm.source; });
    if (conn != subs.end()) {
      if (u->second.session) {
        ++u->second.delegated;
        self->send(u->second.session, unsubscribe_atom::value, user, *conn);
      }
      subs.erase(conn);
    }
    maybe_forget(self, user);
  }
}

/// The cluster's members changed: hand off every session this node no longer owns (it
/// snapshots and stops; whatever reaches it meanwhile is refused as shutting_down, which the
/// connections retry at the new owner) and forget its subscriptions, which the routers move.
void on_view(supervisor_ptr self, const cluster_view& v) {
  auto& st = self->state;
  std::vector<std::string> names;
  for (const auto& m : v.members) {
    names.push_back(m.name);
  }
  runtime::placement p{std::move(names)};
  std::vector<std::string> gone;
  for (auto& [user, e] : st.users) {
    if (p.owner(user) == v.self) {
      continue;
    }
    for (auto& conn : e.subscribers) {
      st.by_connection.erase(conn.address());
      self->demonitor(conn);
    }
    e.subscribers.clear();
    if (e.session) {
      ++st.stats.handed_off;
      self->send(e.session, drain_atom::value);
    } else {
      gone.push_back(user);
    }
  }
  for (const auto& user : gone) {
    maybe_forget(self, user);
  }
}

caf::behavior supervisor(supervisor_ptr self, supervisor_env env) {
  self->set_down_handler([self, env](caf::down_msg& dm) { on_down(self, env, dm); });
  return {
    [self, env](submit_atom, interaction_batch& b) -> caf::result<caf::message> {
      if (refused_while_erasing(self, b.user_id)) {
        return caf::result<caf::message>{make_error(session_errc::shutting_down)};
      }
      auto& e = ensure_session(self, env, b.user_id);
      return self->delegate(e.session, submit_atom::value, std::move(b));
    },
    [self, env](profile_atom, const std::string& user) -> caf::result<caf::message> {
      if (refused_while_erasing(self, user)) {
        return caf::result<caf::message>{make_error(session_errc::shutting_down)};
      }
      auto& e = ensure_session(self, env, user);
      return self->delegate(e.session, profile_atom::value, user);
    },
    [self, env](feedback_atom a, std::string& user,
                feedback_update& u) -> caf::result<caf::message> {
      if (refused_while_erasing(self, user)) {
        return caf::result<caf::message>{make_error(session_errc::shutting_down)};
      }
      auto& e = ensure_session(self, env, user);
      return self->delegate(e.session, a, std::move(user), std::move(u));
    },
    [self, env](learn_atom a, std::string& user, learning_query& q) -> caf::result<caf::message> {
      if (refused_while_erasing(self, user)) {
        return caf::result<caf::message>{make_error(session_errc::shutting_down)};
      }
      auto& e = ensure_session(self, env, user);
      return self->delegate(e.session, a, std::move(user), std::move(q));
    },
    [self, env](consent_atom a, std::string& user) -> caf::result<caf::message> {
      if (refused_while_erasing(self, user)) {
        return caf::result<caf::message>{make_error(session_errc::shutting_down)};
      }
      auto& e = ensure_session(self, env, user);
      return self->delegate(e.session, a, std::move(user));
    },
    [self, env](consent_atom a, std::string& user,
                consent_update& u) -> caf::result<caf::message> {
      if (refused_while_erasing(self, user)) {
        return caf::result<caf::message>{make_error(session_errc::shutting_down)};
      }
      auto& e = ensure_session(self, env, user);
      return self->delegate(e.session, a, std::move(user), std::move(u));
    },
    [self, env](subscribe_atom, const std::string& user, caf::actor& conn) {
      auto& st = self->state;
      // No session while the user is erased: the next one, spawned after, gets the socket.
      bool erasing = st.erasing.count(user) > 0;
      auto& e = erasing ? st.users[user] : ensure_session(self, env, user);
      e.subscribers.push_back(conn);
      st.by_connection.emplace(conn.address(), user);
      self->monitor(conn);
      if (!erasing) {
        self->send(e.session, subscribe_atom::value, user, conn);
      }
    },
    [self, env](erase_user_atom, const std::string& user) -> caf::result<erasure_receipt> {
      if (self->state.draining) {
        return make_error(session_errc::shutting_down);
      }
      return erase_user(self, env, user);
    },
    [self, env](spend_atom a, spend_request& r) -> caf::result<caf::message> {
      return to_accountant(self, env, a, std::move(r));
    },
    [self, env](budget_atom a, std::string& budget) -> caf::result<caf::message> {
      return to_accountant(self, env, a, std::move(budget));
    },
    [self](unsubscribe_atom, const std::string& user, const caf::actor& conn) {
      auto& st = self->state;
      auto u = st.users.find(user);
      if (u == st.users.end()) {
        return;
      }
      auto& subs = u->second.subscribers;
      subs.erase(std::remove(subs.begin(), subs.end(), conn), subs.end());
      st.by_connection.erase(conn.address());
      self->demonitor(conn);
      if (u->second.session) {
        ++u->second.delegated;
        self->send(u->second.session, unsubscribe_atom::value, user, conn);
      }
    },
    [self, env](passivate_atom, std::uint64_t handled) -> bool {
      auto& st = self->state;
      auto i = st.by_session.find(self->current_sender()->address());
      if (i == st.by_session.end()) {
        return false;
      }
      auto& e = st.users[i->second];
      if (e.delegated != handled || !e.subscribers.empty()) {
        return false;  // something is on its way to the session, or a socket is open
      }
      // Forget it now, not at its down message: anything for this user from here on must go
      // to a new session, never into the mailbox of one that is stopping.
      ++st.stats.passivated;
      auto user = i->second;
      st.by_session.erase(i);
      e.session = caf::actor{};
      update_gauge(self, env);
      maybe_forget(self, user);
      return true;
    },
    [self](drain_atom) -> caf::result<bool> {
      auto& st = self->state;
      st.draining = true;
      auto rp = self->make_response_promise();
      st.drain_waiters.push_back(rp);
      for (auto& [addr, user] : st.by_session) {
        self->send(st.users[user].session, drain_atom::value);
      }
      finish_drain_if_done(self);
      return caf::delegated<bool>{};
    },
    [self, env](view_atom, const cluster_view& v) {
      on_view(self, v);
      if (env.opt.accountant) {
        // Budgets may have changed keeper: reload each from the store on its next use.
        self->request(env.opt.accountant, caf::infinite, forget_atom::value)
          .then([](bool) {},
                [](caf::error& err) {
                  log::warn("session.forget_budgets_failed", {{"errc", caf::to_string(err)}});
                });
      }
    },
    [self](stats_atom) { return self->state.stats; },
    [self](crash_atom, const std::string& user) {
      auto i = self->state.users.find(user);
      if (i != self->state.users.end() && i->second.session) {
        self->send(i->second.session, crash_atom::value);
      }
    },
  };
}

} // namespace

caf::actor spawn_session_supervisor(caf::actor_system& sys, session_deps deps,
                                    supervisor_options opt, runtime::metrics_registry& metrics) {
  auto& active = metrics.get_gauge("sessions_active", "User sessions live on this node");
  return sys.spawn(supervisor, supervisor_env{std::move(deps), opt, &active});
}

} // namespace aia::actors
