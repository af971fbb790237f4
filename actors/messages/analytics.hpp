// The analytics domain's protocol: differentially private aggregates and k-anonymous exports.
//
//   (aggregate_atom, aggregate_query) -> aggregate_release
//        | error budget_exhausted (context: double resets_at, 0 = never) | invalid_query
//        | store_failed | accountant_failed | release_failed
//   (anonymize_atom, anonymize_query) -> anonymized_release | error invalid_query | store_failed
//                                      | release_failed
//
// An aggregate is charged to the global budget (operation "analytics.aggregate", purpose
// "analytics") before any user data is read: a crash between the spend and the release leaves
// a charge and releases nothing. An export is not a DP release; the accountant refuses a
// zero-ε charge, so it is not charged (see actors/analytics.hpp).
#pragma once

#include "actors/analytics_types.hpp"
#include "actors/messages/privacy.hpp"

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>

namespace aia::actors {

using aggregate_atom = caf::atom_constant<caf::atom("aggregate")>;
using anonymize_atom = caf::atom_constant<caf::atom("anonymize")>;

/// Errors of the analytics domain (category atom "analytics").
enum class analytics_errc : std::uint8_t {
  budget_exhausted = 1, ///< the global budget cannot pay for the release; context: resets_at
  invalid_query,        ///< unknown group-by, metric or mechanism, or ε, δ, k, l out of range
  store_failed,         ///< reading the users failed: nothing released (a charge may remain)
  accountant_failed,    ///< the accountant did not answer or failed: nothing read or released
  release_failed,       ///< the release could not be computed: nothing released
};

/// Category atom of analytics_errc errors.
inline constexpr caf::atom_value analytics_category = caf::atom("analytics");

/// Builds a CAF error of the analytics domain.
inline caf::error make_error(analytics_errc x) {
  return caf::error{static_cast<std::uint8_t>(x), analytics_category};
}

/// budget_exhausted carrying when the budget resets (seconds since the epoch; 0 = never).
inline caf::error make_budget_exhausted(double resets_at) {
  return caf::error{static_cast<std::uint8_t>(analytics_errc::budget_exhausted), analytics_category,
                    caf::make_message(resets_at)};
}

/// The resets_at of a budget_exhausted error (0 if it carries none).
inline double resets_at_of(const caf::error& err) {
  const auto& ctx = err.context();
  return ctx.match_elements<double>() ? ctx.get_as<double>(0) : 0.0;
}

/// The code's name, e.g. "budget_exhausted".
const char* to_string(analytics_errc x) noexcept;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, aggregate_query& x) {
  return f(caf::meta::type_name("aggregate_query"), x.group_by, x.metrics, x.epsilon, x.mechanism,
           x.delta, x.requested_by);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, aggregate_group& x) {
  return f(caf::meta::type_name("aggregate_group"), x.key, x.count, x.means);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, aggregate_release& x) {
  return f(caf::meta::type_name("aggregate_release"), x.group_by, x.metrics, x.groups, x.epsilon,
           x.delta, x.mechanism, x.users_included, x.users_excluded_no_consent, x.budget,
           x.homomorphic, x.released_at);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, anonymize_query& x) {
  return f(caf::meta::type_name("anonymize_query"), x.k, x.l, x.requested_by);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, anonymized_row& x) {
  return f(caf::meta::type_name("anonymized_row"), x.quasi, x.cognitive_load_level);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, anonymized_release& x) {
  return f(caf::meta::type_name("anonymized_release"), x.quasi_identifiers, x.rows, x.k, x.l,
           x.achieved_k, x.achieved_l, x.information_loss, x.records, x.suppressed,
           x.users_excluded_no_consent, x.released_at);
}

} // namespace aia::actors
