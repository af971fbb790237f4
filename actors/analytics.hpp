// The analytics actor: differentially private aggregates of the users' estimated states, and
// k-anonymous, l-diverse exports, over the users who consented to analytics.
#pragma once

#include "privacy/consent.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <cstdint>
#include <memory>

namespace aia::model {
class state_model;
} // namespace aia::model

namespace aia::runtime {
class metrics_registry;
} // namespace aia::runtime

namespace aia::actors {

/// What the analytics actor needs and how it is configured.
struct analytics_deps {
  caf::actor store_writer; ///< answers (scan_atom, after, limit): actors/messages/store.hpp
  caf::actor accountant;   ///< answers (spend_atom, spend_request): actors/messages/privacy.hpp
  std::shared_ptr<const model::state_model> model;
  privacy::consent_mode mode = privacy::consent_mode::implied;
  /// Sums added under Paillier (the HIGH privacy level): each page of users encrypts its totals
  /// under the actor's public key, the actor adds ciphertexts and decrypts only the totals.
  bool homomorphic = false;
  int paillier_bits = 2048;      ///< the actor's key pair, made once at spawn: 2048..8192
  double max_epsilon = 1.0;      ///< a query's ε at most (the privacy level's ε)
  double default_epsilon = 0.1;  ///< a query's ε when it names none
  double max_delta = 1e-5;       ///< a Gaussian query's δ at most (the level's δ)
  double default_delta = 1e-6;   ///< a Gaussian query's δ when it names none
  std::uint64_t min_k = 5;       ///< exports: k at least (a query may raise it)
  std::uint64_t min_l = 2;       ///< exports: distinct l at least (a query may raise it)
  std::uint64_t page_size = 256; ///< users per scan page
  caf::actor audit;              ///< the audit recorder: each release is recorded; may be empty
};

/// Spawns the analytics actor (detached: Paillier work blocks its own thread only).
///
/// An aggregate first checks the query, calibrates the mechanisms (privacy/dp_aggregate.hpp:
/// ε half to counts, half across the metrics) and charges the global budget through the
/// accountant; only once the charge is granted (durable) does it page through the users. A
/// user counts only if its consent record grants analytics under `mode` (consent_state::granted:
/// with no record, analytics is never granted, under either mode); its state is the model's
/// prediction on its snapshot's features, and a user without a readable snapshot is skipped.
/// Every key of the group-by's public domain is released, empty or not.
///
/// An export (Mondrian, privacy/mondrian.hpp) releases only classes of >= k records with >= l
/// distinct cognitive load levels and suppresses the rest. It is not charged: the ledger refuses
/// a zero-ε entry (privacy_budget::try_spend), and a refusal would read as exhaustion.
///
/// Metrics: `analytics_releases_total{kind=aggregate|export}`, gauges `anonymization_k`,
/// `anonymization_l`, `anonymization_information_loss` (the last export).
/// Protocol: actors/messages/analytics.hpp. Throws privacy::paillier_error for a bad key size.
caf::actor spawn_analytics(caf::actor_system& sys, analytics_deps deps,
                           runtime::metrics_registry& metrics);

} // namespace aia::actors
