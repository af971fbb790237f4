// The privacy officer: carries out the users' rights (GDPR Art. 15, 17, 20; CCPA know, delete,
// opt out), records each in the audit log, and computes the node's compliance from live state.
#pragma once

#include "actors/privacy_types.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <string>

namespace aia::runtime {
class metrics_registry;
}

namespace aia::actors {

/// What the officer works with.
struct officer_deps {
  caf::actor entry;   ///< the supervisor, or the router in a cluster: reaches each user's owner
  caf::actor store;   ///< the store writer (exports and the compliance scan read through it)
  caf::actor audit;   ///< the audit recorder; empty: nothing is audited (tests only)
  privacy_settings settings;
  double retention_seconds = 0;  ///< raw events older than this must be gone (0: none kept)
  double retention_slack = 0;    ///< the sweeper's interval: how late a sweep may be
  bool persist_events = true;    ///< false at Maximum: no raw event may be held at all
  std::string store_backend;     ///< for receipts: "sqlite" or "redis"
};

/// Spawns the officer. Protocol: actors/messages/rights.hpp. Every right exercised is counted
/// (`gdpr_erasures_total`, `gdpr_erasure_seconds`, `gdpr_exports_total`,
/// `consent_changes_total`, `consent_withdrawal_seconds`) and audited (kind, the actor, the
/// user's pseudonym, counts; never the data). An audit write that fails does not undo the act
/// (an erasure stays done) but is logged and counted by the recorder.
caf::actor spawn_privacy_officer(caf::actor_system& sys, officer_deps deps,
                                 runtime::metrics_registry& metrics);

} // namespace aia::actors
