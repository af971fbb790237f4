// DP counts and means per group: budget split, fixed-point totals, noise, post-processing.
#include "privacy/dp_aggregate.hpp"

#include "privacy/dp_sampling.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <unordered_map>
#include <variant>

namespace aia::privacy {

namespace {

constexpr std::int64_t exact_limit = std::int64_t{1} << 53; // doubles are exact below it
constexpr double max_bound = 1073741824.0;                  // 2^30: |lo|, |hi| at most

/// a + b, refusing results outside (-2^53, 2^53).
std::int64_t checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r) || r >= exact_limit || r <= -exact_limit) {
    throw std::overflow_error("aggregate totals exceed 2^53");
  }
  return r;
}

double from_fixed(std::int64_t x) {
  return std::ldexp(static_cast<double>(x), -aggregate_fraction_bits);
}

} // namespace

using mechanism = std::variant<calibrated_laplace, calibrated_gaussian>;

struct dp_aggregate::mechanisms {
  std::vector<mechanism> all;                         ///< [0] the count, [1 + d] dimension d's sum
  std::unordered_map<std::string, std::size_t> index; ///< domain key -> position
};

aggregate_totals merge_totals(aggregate_totals a, const aggregate_totals& b) {
  if (a.dimensions != b.dimensions || a.counts.size() != b.counts.size()
      || a.sums.size() != b.sums.size()) {
    throw std::invalid_argument("merge_totals: totals of different shapes");
  }
  for (std::size_t i = 0; i < a.counts.size(); ++i) {
    a.counts[i] = checked_add(a.counts[i], b.counts[i]);
  }
  for (std::size_t i = 0; i < a.sums.size(); ++i) {
    a.sums[i] = checked_add(a.sums[i], b.sums[i]);
  }
  a.outside_domain += b.outside_domain;
  return a;
}

dp_aggregate::dp_aggregate(aggregate_spec spec) : spec_(std::move(spec)) {
  auto m = std::make_shared<mechanisms>();
  if (spec_.domain.empty()) {
    throw std::invalid_argument("aggregate: the domain must name at least one group");
  }
  for (std::size_t i = 0; i < spec_.domain.size(); ++i) {
    if (!m->index.emplace(spec_.domain[i], i).second) {
      throw std::invalid_argument("aggregate: domain key repeated: " + spec_.domain[i]);
    }
  }
  if (!std::isfinite(spec_.epsilon) || spec_.epsilon <= 0) {
    throw std::invalid_argument("aggregate: epsilon must be positive and finite");
  }
  const bool gaussian = spec_.mechanism == mechanism_kind::gaussian;
  if (gaussian && !(spec_.delta > 0 && spec_.delta < 1)) {
    throw std::invalid_argument("aggregate: a Gaussian release needs delta in (0, 1)");
  }
  if (!gaussian && spec_.delta != 0) {
    throw std::invalid_argument("aggregate: a Laplace release has delta 0");
  }
  for (const auto& d : spec_.dimensions) {
    if (!(std::fabs(d.lo) <= max_bound && std::fabs(d.hi) <= max_bound)) {
      throw std::invalid_argument("aggregate: dimension " + d.name
                                  + ": |lo|, |hi| must be <= 2^30");
    }
    // The grid points inside [lo, hi]: clamped values never leave the declared range.
    const auto lo = static_cast<std::int64_t>(std::ceil(std::ldexp(d.lo, aggregate_fraction_bits)));
    const auto hi
        = static_cast<std::int64_t>(std::floor(std::ldexp(d.hi, aggregate_fraction_bits)));
    if (lo >= hi) {
      throw std::invalid_argument("aggregate: dimension " + d.name + ": lo must be below hi");
    }
    lo_.push_back(lo);
    hi_.push_back(hi);
  }

  // Budget split: half to the counts, half across the dimensions (all to counts if none).
  const auto dims = static_cast<double>(spec_.dimensions.size());
  const double share = spec_.dimensions.empty() ? 1.0 : 0.5;
  count_budget_ = {spec_.epsilon * share, spec_.delta * share};
  if (!spec_.dimensions.empty()) {
    sum_budget_ = {(spec_.epsilon - count_budget_.epsilon) / dims,
                   (spec_.delta - count_budget_.delta) / dims};
  }

  auto make = [&](double sensitivity, dp_guarantee budget, double granularity) -> mechanism {
    if (gaussian) {
      return calibrated_gaussian{{.sensitivity = sensitivity,
                                  .epsilon = budget.epsilon,
                                  .delta = budget.delta,
                                  .granularity = granularity}};
    }
    return calibrated_laplace{
        {.sensitivity = sensitivity, .epsilon = budget.epsilon, .granularity = granularity}};
  };
  m->all.push_back(make(1, count_budget_, 1)); // counts: integers, sensitivity 1
  for (std::size_t d = 0; d < spec_.dimensions.size(); ++d) {
    m->all.push_back(make(sum_sensitivity(d), sum_budget_, 0)); // auto grid (DP.md §4)
  }
  if (gaussian) {
    for (const auto& x : m->all) {
      rho_ += std::get<calibrated_gaussian>(x).rho();
    }
  }
  mech_ = std::move(m);
}

dp_guarantee dp_aggregate::spent() const noexcept {
  const auto dims = static_cast<double>(spec_.dimensions.size());
  return {count_budget_.epsilon + dims * sum_budget_.epsilon,
          count_budget_.delta + dims * sum_budget_.delta};
}

double dp_aggregate::sum_sensitivity(std::size_t dim) const {
  return from_fixed(std::max(std::abs(lo_.at(dim)), std::abs(hi_.at(dim))));
}

double dp_aggregate::rdp_sigma() const noexcept {
  return rho_ > 0 ? 1.0 / std::sqrt(2 * rho_) : 0.0;
}

aggregate_totals dp_aggregate::empty_totals() const {
  aggregate_totals t;
  t.dimensions = spec_.dimensions.size();
  t.counts.assign(spec_.domain.size(), 0);
  t.sums.assign(spec_.domain.size() * t.dimensions, 0);
  return t;
}

aggregate_totals dp_aggregate::tally(std::span<const aggregate_row> rows) const {
  auto t = empty_totals();
  const auto dims = t.dimensions;
  for (const auto& row : rows) {
    if (row.values.size() != dims) {
      throw std::invalid_argument("aggregate: a row has the wrong number of values");
    }
    auto i = mech_->index.find(row.group);
    if (i == mech_->index.end()) {
      ++t.outside_domain;
      continue;
    }
    const auto g = i->second;
    t.counts[g] = checked_add(t.counts[g], 1);
    for (std::size_t d = 0; d < dims; ++d) {
      const double v = row.values[d];
      std::int64_t q = lo_[d];
      if (v == std::numeric_limits<double>::infinity()) {
        q = hi_[d];
      } else if (std::isfinite(v)) {
        // Clamp first (bounded magnitude, so the rounding below cannot overflow), then snap.
        const double c = std::clamp(v, spec_.dimensions[d].lo, spec_.dimensions[d].hi);
        q = std::clamp<std::int64_t>(std::llround(std::ldexp(c, aggregate_fraction_bits)), lo_[d],
                                     hi_[d]);
      }
      t.sums[g * dims + d] = checked_add(t.sums[g * dims + d], q);
    }
  }
  return t;
}

std::vector<group_release> dp_aggregate::release(const aggregate_totals& totals,
                                                 random_source& rng) const {
  const auto dims = spec_.dimensions.size();
  if (totals.dimensions != dims || totals.counts.size() != spec_.domain.size()
      || totals.sums.size() != spec_.domain.size() * dims) {
    throw std::invalid_argument("aggregate: totals of another shape");
  }
  auto noisy = [&rng](const mechanism& m, double value) {
    return std::visit([&](const auto& x) { return x.release(value, rng); }, m);
  };
  std::vector<group_release> out;
  out.reserve(spec_.domain.size());
  for (std::size_t g = 0; g < spec_.domain.size(); ++g) {
    group_release r{spec_.domain[g], 0, std::vector<double>(dims, 0)};
    // Post-processing from here on: clamp the count at 0, divide, clamp the mean to its range.
    r.count = std::max(0.0, noisy(mech_->all[0], static_cast<double>(totals.counts[g])));
    for (std::size_t d = 0; d < dims; ++d) {
      const double sum = noisy(mech_->all[1 + d], from_fixed(totals.sums[g * dims + d]));
      r.means[d] = std::clamp(sum / std::max(r.count, 1.0), spec_.dimensions[d].lo,
                              spec_.dimensions[d].hi);
    }
    out.push_back(std::move(r));
  }
  return out;
}

} // namespace aia::privacy
