// The privacy domain's protocol: the privacy accountant.
//
//   (spend_atom, spend_request)  -> budget_report   granted (durable in the ledger first) or not
//   (budget_atom, std::string budget) -> budget_report   the budget now, nothing spent
//
// A budget is named by the user id it belongs to, or global_budget for the global one.
#pragma once

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace aia::actors {

using spend_atom = caf::atom_constant<caf::atom("spend")>;
using budget_atom = caf::atom_constant<caf::atom("budget")>;

/// The name of the global budget (no user id can hold '#').
inline constexpr std::string_view global_budget = "#global";

/// One release to charge: to which budget, what for, and its privacy parameters.
struct spend_request {
  std::string budget;
  std::string operation;     ///< e.g. "analytics.aggregate"
  std::string purpose;       ///< the consent purpose it serves
  std::uint8_t mechanism = 0;  ///< privacy::mechanism_kind
  double epsilon = 0;
  double delta = 0;
  double sigma = 0;          ///< Gaussian releases: σ and Δ, for RDP accounting
  double sensitivity = 0;
};

/// A budget after a spend (or a look): whether the spend was granted, what is spent, the limit,
/// when it resets (0 = never) and which composition gave the spent figure.
struct budget_report {
  bool granted = false;
  double spent_epsilon = 0;
  double spent_delta = 0;
  double limit_epsilon = 0;
  double limit_delta = 0;
  double resets_at = 0;
  std::uint64_t releases = 0;
  std::string method;
};

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
