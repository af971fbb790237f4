// The privacy domain's protocol: the privacy accountant.
//
//   (spend_atom, spend_request)  -> budget_report   granted (durable in the ledger first) or not
//   (budget_atom, std::string budget) -> budget_report   the budget now, nothing spent
//   (forget_atom, std::string budget) -> bool   true once the cached budget is dropped (after its
//                                               writes in flight; GDPR erasure)
//   (forget_atom) -> bool   drops every cached budget now, those with writes in flight once
//                           they finish (cluster ownership changed)
//
// A budget is named by the user id it belongs to, or global_budget for the global one.
#pragma once

#include "actors/privacy_types.hpp"

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace aia::actors {

using spend_atom = caf::atom_constant<caf::atom("spend")>;
using budget_atom = caf::atom_constant<caf::atom("budget")>;
using forget_atom = caf::atom_constant<caf::atom("forget")>;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, spend_request& x) {
  return f(caf::meta::type_name("spend_request"), x.budget, x.operation, x.purpose, x.mechanism,
           x.epsilon, x.delta, x.sigma, x.sensitivity);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, budget_report& x) {
  return f(caf::meta::type_name("budget_report"), x.granted, x.spent_epsilon, x.spent_delta,
           x.limit_epsilon, x.limit_delta, x.resets_at, x.releases, x.method);
}

} // namespace aia::actors
