// The privacy accountant: every differentially private release asks it first, and it answers
// only once the charge is durable in the budget's ledger (write-ahead accounting).
#pragma once

#include "privacy/budget.hpp"

#include <caf/fwd.hpp>

#include <string>

namespace aia::runtime {
class metrics_registry;
}

namespace aia::actors {

/// The limits of the budgets an accountant keeps.
struct accountant_options {
  privacy::budget_limits user;    ///< each user's budget (the privacy level's ε, δ)
  privacy::budget_limits global;  ///< the global budget
  std::string level = "STANDARD"; ///< the privacy level (STANDARD, HIGH, MAXIMUM), a gauge label
};

/// Spawns an accountant in front of the store writer `store`. Budgets are loaded from the store
/// on first use (the user record of kind "budget"; the global one under the id global_budget)
/// and kept. A spend is checked against the budget with every spend before it (granted or
/// still being written), so concurrent spends can never overspend; a granted spend is answered
/// only after its ledger is durable, and a spend refused leaves nothing in the ledger. A failed
/// write drops the cached budget (it is read again) and answers store_failed: nothing is
/// released then. A forgotten budget is dropped from the cache (at once, or once its writes in
/// flight finish; spends meanwhile wait) and read again on next use. Metrics:
/// `privacy_spends_total`, `privacy_spends_refused_total`,
/// `errors_total{reason="privacy_budget_exhausted"}`, `privacy_budget_consumption_rate` (the
/// global budget) and `privacy_budget_utilization{scope="global"|"user_mean"|"user_max",level}`
/// (spent ε over the limit; the user figures over the user budgets cached now).
/// Protocol: actors/messages/privacy.hpp.
caf::actor spawn_privacy_accountant(caf::actor_system& sys, caf::actor store,
                                    accountant_options opt, runtime::metrics_registry& metrics);

} // namespace aia::actors
