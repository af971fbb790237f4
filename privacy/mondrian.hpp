// k-anonymity and distinct l-diversity for analyst exports: strict Mondrian multidimensional
// partitioning (LeFevre, DeWitt, Ramakrishnan 2006) over ordinal quasi-identifiers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace aia::privacy {

/// One record to export: quasi-identifiers as ordinal codes and one sensitive value.
///
/// Each quasi-identifier is numeric or ordered-categorical, coded so that nearby codes are
/// similar: device type ordinal, coarse time bucket, cohort id, one code per state band. Every
/// record of a table has the same number of quasi-identifiers, in the same order. The sensitive
/// value is a category code (e.g. the inferred state), compared for equality only.
struct mondrian_record {
  std::vector<std::int64_t> quasi;
  std::int64_t sensitive = 0;
};

/// What an export must guarantee. The spec's defaults: k >= 5, l >= 2.
struct mondrian_config {
  std::size_t k = 5;  ///< every released class holds at least k records
  std::size_t l = 2;  ///< ... and at least l distinct sensitive values (distinct l-diversity)
};

/// A generalized quasi-identifier: every record of the class has a code in [low, high].
struct mondrian_range {
  std::int64_t low = 0;
  std::int64_t high = 0;
  friend bool operator==(const mondrian_range&, const mondrian_range&) = default;
};

/// One equivalence class: the records released under the same generalized quasi-identifiers.
struct mondrian_class {
  std::vector<mondrian_range> ranges;  ///< one per quasi-identifier
  std::vector<std::size_t> members;    ///< indices into the input
  std::size_t distinct_sensitive = 0;
};

/// An anonymized table and what it achieved.
///
/// Information loss is the Normalized Certainty Penalty (Xu et al. 2006), averaged over all
/// input records: a released record costs the mean over quasi-identifiers of
/// (high - low) / (max - min of that quasi-identifier over the input), 0 for a constant one;
/// a suppressed record costs 1, as if every quasi-identifier were generalized to its whole
/// domain. 0 means nothing was generalized, 1 that nothing useful remains.
struct mondrian_result {
  std::vector<mondrian_class> classes;  ///< released; suppressed records are in none
  std::size_t suppressed = 0;           ///< records withheld because k or l could not be met
  std::size_t achieved_k = 0;           ///< smallest class size (0 if nothing is released)
  std::size_t achieved_l = 0;           ///< fewest distinct sensitive values in a class (0 if none)
  double ncp = 0;                       ///< information loss in [0, 1], see above
};

/// A released row: the class's ranges and the record's own sensitive value.
struct mondrian_row {
  std::vector<mondrian_range> quasi;
  std::int64_t sensitive = 0;
};

/// Partitions `records` by strict Mondrian and releases each partition as one class.
///
/// Starting from the whole table, a partition is cut at the median of the quasi-identifier
/// with the widest range normalized by its domain (the next widest when that cut is not
/// allowed): values <= median go left, > median right, or else < median left, >= median right
/// (which matters when many records share the median). A cut is allowed only if both sides keep
/// >= k records and >= l distinct sensitive values, so classes never overlap and every released
/// class meets both bounds. A partition with no allowed cut becomes a class; one that itself
/// misses k or l (only possible for the whole table, e.g. fewer than k records or fewer than l
/// sensitive values) is suppressed, never released. About O(n log n) per quasi-identifier; no
/// recursion (an explicit stack).
///
/// Throws std::invalid_argument if k or l is 0 or the records differ in their number of
/// quasi-identifiers.
[[nodiscard]] mondrian_result anonymize_mondrian(std::span<const mondrian_record> records,
                                                 const mondrian_config& config = {});

/// The released rows of `result` (made from `records`), class by class; suppressed records are
/// absent. This is what an analyst export contains, along with achieved_k, achieved_l and ncp.
[[nodiscard]] std::vector<mondrian_row> generalized_rows(std::span<const mondrian_record> records,
                                                         const mondrian_result& result);

} // namespace aia::privacy
