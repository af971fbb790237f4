// The session supervisor: one per node; spawns, routes to, restarts and passivates sessions.
#pragma once

#include "actors/session.hpp"

#include <caf/fwd.hpp>

#include <string>

namespace aia::actors {

/// Restart policy of the supervisor (one-for-one).
struct supervisor_options {
  int max_restarts = 5;                        ///< per user within restart_window
  std::chrono::seconds restart_window{60};
  /// The node's privacy accountant: the budgets of the users this node owns (and the global
  /// one, if it owns that) are spent through the supervisor, so in a cluster each budget has
  /// one keeper; an erased user's budget is forgotten there. May be empty (tests).
  caf::actor accountant;
  std::string node_name = "local";  ///< for erasure receipts
};

/// Spawns the supervisor. It spawns a user's session on first use (rehydrating it from the
/// store), delegates submit/profile requests to it, keeps the user's subscriptions so a
/// restarted session pushes to the same connections, restarts a crashed session at once if it
/// has subscribers (else on next use), grants passivation only when nothing is on its way to
/// the session, and on (drain_atom) drains every session before answering. An erasure stops the
/// user's session without a snapshot, then erases the store and the accountant's copy.
/// Protocol: actors/messages/session.hpp.
caf::actor spawn_session_supervisor(caf::actor_system& sys, session_deps deps,
                                    supervisor_options opt, runtime::metrics_registry& metrics);

} // namespace aia::actors
