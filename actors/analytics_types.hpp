// Plain data of the analytics domain, free of CAF, so the gateway can use it without actor
// headers: DP aggregate queries and releases, k-anonymous exports.
#pragma once

#include "actors/privacy_types.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aia::actors {

/// The state dimensions an aggregate reports (wire names), in default order.
inline constexpr std::array<std::string_view, 6> analytics_metrics{
    "focus_level", "cognitive_load", "engagement_score", "fatigue_level", "valence", "arousal"};

/// What an aggregate can be grouped by. Each has a public domain of keys, all released:
/// none: "all"; device_type: "mobile", "tablet", "desktop_or_other" (desktop, other, or no device
/// reported: the features tell only phones and tablets apart); learning_style: "visual",
/// "auditory", "kinesthetic", "reading_writing", "multimodal"; cognitive_load_level: "1".."5".
inline constexpr std::array<std::string_view, 4> analytics_group_bys{
    "none", "device_type", "learning_style", "cognitive_load_level"};

/// A differentially private aggregate over the users who consented to analytics.
struct aggregate_query {
  std::string group_by = "none";
  std::vector<std::string> metrics;  ///< among analytics_metrics; empty = all
  double epsilon = 0;                ///< 0 = the configured per-query ε; at most the level's ε
  std::string mechanism = "laplace"; ///< laplace | gaussian
  double delta = 0;                  ///< gaussian: 0 = the configured δ; laplace: must be 0
  std::string requested_by;          ///< who asked (an admin subject), for the ledger's logs
};

/// One released group: its key, noisy count and noisy means, one per release metric.
struct aggregate_group {
  std::string key;
  double count = 0;          ///< noisy, >= 0, an integer
  std::vector<double> means; ///< aligned with aggregate_release::metrics, each in its range
};

/// An aggregate release: every key of the group-by's public domain, and what it cost.
struct aggregate_release {
  std::string group_by;
  std::vector<std::string> metrics;
  std::vector<aggregate_group> groups;
  double epsilon = 0; ///< what the release spent (charged to the global budget)
  double delta = 0;
  std::string mechanism;
  /// The sum of the released noisy counts (DP; post-processing, no extra cost). An exact count
  /// would undo the noise of the counts.
  std::uint64_t users_included = 0;
  /// Users left out because they have not granted analytics: exact, an operational figure
  /// outside the DP guarantee (it counts users who opted out, not data of those included).
  std::uint64_t users_excluded_no_consent = 0;
  budget_report budget;     ///< the global budget after the spend
  bool homomorphic = false; ///< sums were added under Paillier
  double released_at = 0;   ///< seconds since the epoch
};

/// A k-anonymous, l-diverse export of user-level records (not a DP release).
struct anonymize_query {
  std::uint64_t k = 0; ///< 0 = the configured k (>= 5); lower values are refused
  std::uint64_t l = 0; ///< 0 = the configured l (>= 2); lower values are refused
  std::string requested_by;
};

/// One released record: each quasi-identifier as a generalized label, and the sensitive value.
struct anonymized_row {
  std::vector<std::string> quasi; ///< aligned with anonymized_release::quasi_identifiers
  std::int64_t cognitive_load_level = 0;
};

/// A Mondrian export and what it achieved. Quasi-identifiers and their labels: device_type
/// (names joined by '|'), first_seen_week (ISO dates "YYYY-MM-DD/YYYY-MM-DD", weeks counted from
/// the epoch), learning_style (names joined by '|'), focus_band, engagement_band, fatigue_band
/// (fifths of 0..1, "0.2-0.6"). The sensitive attribute is cognitive_load_level (1..5).
struct anonymized_release {
  std::vector<std::string> quasi_identifiers;
  std::vector<anonymized_row> rows;
  std::uint64_t k = 0; ///< required
  std::uint64_t l = 0;
  std::uint64_t achieved_k = 0; ///< smallest released class (0 if nothing released)
  std::uint64_t achieved_l = 0;
  double information_loss = 0;  ///< normalized certainty penalty in [0, 1]
  std::uint64_t records = 0;    ///< records considered (consenting users with a state)
  std::uint64_t suppressed = 0; ///< records withheld: no class could meet k and l
  std::uint64_t users_excluded_no_consent = 0;
  double released_at = 0;
};

} // namespace aia::actors
