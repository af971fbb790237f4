// The privacy accountant: every differentially private release asks it first, and it answers
// only once the charge is durable in the budget's ledger (write-ahead accounting).
#pragma once

#include "privacy/budget.hpp"

#include <caf/fwd.hpp>

namespace aia::runtime {
class metrics_registry;
}

namespace aia::actors {

/// The limits of the budgets an accountant keeps.
struct accountant_options {
  privacy::budget_limits user;    ///< each user's budget (the privacy level's ε, δ)
  privacy::budget_limits global;  ///< the global budget
};

/// Spawns an accountant in front of the store writer `store`. Budgets are loaded from the store
/// on first use (the user record of kind "budget"; the global one under the id global_budget)
/// and kept. A spend is checked against the budget with every spend before it (granted or
/// still being written), so concurrent spends can never overspend; a granted spend is answered
/// only after its ledger is durable, and a spend refused leaves nothing in the ledger. A failed
/// write drops the cached budget (it is read again) and answers store_failed: nothing is
/// released then. Protocol: actors/messages/privacy.hpp.
caf::actor spawn_privacy_accountant(caf::actor_system& sys, caf::actor store,
                                    accountant_options opt, runtime::metrics_registry& metrics);

} // namespace aia::actors
