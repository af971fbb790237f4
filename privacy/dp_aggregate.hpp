// Differentially private counts and means per group over a PUBLIC domain of group keys: exact
// fixed-point totals (clear, or summed under Paillier by privacy/paillier_sum), then the exact
// discrete Laplace or Gaussian mechanism on each count and sum (privacy/dp_sampling.hpp).
#pragma once

#include "privacy/dp_accounting.hpp"
#include "privacy/random.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace aia::privacy {

/// Fraction bits of the fixed-point values totals are kept in: a value v counts as
/// round(v·2^20) (resolution 2^-20 ≈ 9.5e-7), in the clear path and under Paillier alike, so
/// both give the same integers.
inline constexpr int aggregate_fraction_bits = 20;

/// One numeric dimension and the range [lo, hi] every contribution is clamped to.
struct aggregate_dimension {
  std::string name;
  double lo = 0;
  double hi = 1;
};

/// What to release: counts and means per group, for every key of a public domain.
struct aggregate_spec {
  /// The public group keys (e.g. every learning style), released all and in this order, whether
  /// or not any row has them: released keys never depend on the data.
  std::vector<std::string> domain;
  std::vector<aggregate_dimension> dimensions;
  mechanism_kind mechanism = mechanism_kind::laplace;
  double epsilon = 0; ///< the whole release's ε, > 0
  double delta = 0;   ///< Gaussian: the whole release's δ in (0, 1); Laplace: 0
};

/// One user's contribution: its group and one value per dimension.
struct aggregate_row {
  std::string group;
  std::vector<double> values;
};

/// Exact totals per domain key: the count and each dimension's fixed-point sum (units of
/// 2^-aggregate_fraction_bits). Every |entry| stays below 2^53.
struct aggregate_totals {
  std::size_t dimensions = 0;
  std::vector<std::int64_t> counts; ///< one per domain key, in domain order
  std::vector<std::int64_t> sums;   ///< counts.size() × dimensions, group-major
  std::uint64_t outside_domain = 0; ///< rows whose group is not a domain key: not counted
};

/// The element-wise sum of two totals of the same shape (e.g. two pages of users). Throws
/// std::invalid_argument for different shapes, std::overflow_error past 2^53.
[[nodiscard]] aggregate_totals merge_totals(aggregate_totals a, const aggregate_totals& b);

/// One released group: its key, noisy count (>= 0) and noisy mean per dimension (in [lo, hi]).
struct group_release {
  std::string key;
  double count = 0;
  std::vector<double> means;
};

/// A calibrated DP aggregate: validates the spec, splits the budget, calibrates the mechanisms.
///
/// Budget split (basic composition): the count gets ε/2 (and δ/2), the d sums ε/(2d) (and
/// δ/(2d)) each; without dimensions the count gets everything. Neighbours differ by adding or
/// removing one row, which changes one group's count by 1 and its sums by at most max(|lo|, |hi|)
/// per dimension; groups are disjoint, so by parallel composition the whole release is
/// (ε, δ)-DP. Means are post-processing: noisy sum / max(noisy count, 1), clamped to [lo, hi];
/// counts are clamped at 0. Immutable after construction; share it freely.
class dp_aggregate {
public:
  /// Throws std::invalid_argument naming what is wrong: an empty or repeated domain key, a
  /// dimension with lo >= hi (on the fixed-point grid) or |lo|, |hi| > 2^30, ε not positive and
  /// finite, a Gaussian δ outside (0, 1) or a Laplace δ other than 0.
  explicit dp_aggregate(aggregate_spec spec);

  [[nodiscard]] const aggregate_spec& spec() const noexcept { return spec_; }

  /// The (ε, δ) one release spends: the basic composition of the count and the sums.
  [[nodiscard]] dp_guarantee spent() const noexcept;
  /// The (ε, δ) of each group's count.
  [[nodiscard]] dp_guarantee count_budget() const noexcept { return count_budget_; }
  /// The (ε, δ) of each dimension's sums.
  [[nodiscard]] dp_guarantee sum_budget() const noexcept { return sum_budget_; }
  /// The sensitivity of dimension `dim`'s sum: max(|lo|, |hi|) on the fixed-point grid.
  [[nodiscard]] double sum_sensitivity(std::size_t dim) const;
  /// Gaussian only: the zCDP ρ of one release, Σ Δ_i²/(2σ_i²) over the count and the sums
  /// (discrete Gaussian, CKS 2020); 0 for Laplace.
  [[nodiscard]] double rho() const noexcept { return rho_; }
  /// For the ledger's RDP accounting (spend_request sigma/sensitivity): a single Gaussian with
  /// the same ρ, Δ = 1 and σ = 1/sqrt(2ρ). Both 0 for Laplace.
  [[nodiscard]] double rdp_sigma() const noexcept;
  [[nodiscard]] double rdp_sensitivity() const noexcept { return rho_ > 0 ? 1.0 : 0.0; }

  /// Zero totals of this spec's shape.
  [[nodiscard]] aggregate_totals empty_totals() const;

  /// The exact totals of `rows`: each value clamped to its [lo, hi] (NaN and -inf count as lo,
  /// +inf as hi) and rounded to the fixed-point grid. Throws std::invalid_argument if a row has
  /// the wrong number of values, std::overflow_error past 2^53.
  [[nodiscard]] aggregate_totals tally(std::span<const aggregate_row> rows) const;

  /// One noisy release of `totals` (of this spec's shape): every domain key, in order. Each call
  /// spends spent() again.
  [[nodiscard]] std::vector<group_release> release(const aggregate_totals& totals,
                                                   random_source& rng) const;

private:
  struct mechanisms; // the calibrated count and sum mechanisms (dp_aggregate.cpp)

  aggregate_spec spec_;
  std::vector<std::int64_t> lo_; ///< fixed-point bounds per dimension
  std::vector<std::int64_t> hi_;
  dp_guarantee count_budget_;
  dp_guarantee sum_budget_;
  double rho_ = 0;
  std::shared_ptr<const mechanisms> mech_;
};

} // namespace aia::privacy
