// Strict Mondrian: median cuts on the widest normalized quasi-identifier while both sides keep
// k records and l distinct sensitive values; partitions become classes, the rest is suppressed.
#include "privacy/mondrian.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <stdexcept>
#include <unordered_set>
#include <utility>

namespace aia::privacy {

namespace {

/// Records [begin, end) of the shared index array.
struct partition {
  std::size_t begin = 0;
  std::size_t end = 0;
  [[nodiscard]] std::size_t size() const { return end - begin; }
};

class partitioner {
public:
  partitioner(std::span<const mondrian_record> records, const mondrian_config& config)
    : records_(records), config_(config), width_(records.empty() ? 0 : records[0].quasi.size()),
      index_(records.size()), domain_(width_) {
    for (std::size_t i = 0; i < records.size(); ++i) {
      index_[i] = i;
    }
    if (!records.empty()) {
      domain_ = ranges_of({0, records.size()});
    }
  }

  mondrian_result run() {
    mondrian_result result;
    if (records_.empty()) {
      return result;
    }
    std::vector<partition> stack{{0, records_.size()}};
    while (!stack.empty()) {
      auto part = stack.back();
      stack.pop_back();
      auto ranges = ranges_of(part);
      if (auto cut = find_cut(part, ranges)) {
        stack.push_back({cut->second.begin, cut->second.end});
        stack.push_back({cut->first.begin, cut->first.end});
        continue;
      }
      auto distinct = distinct_sensitive(part);
      if (part.size() < config_.k || distinct < config_.l) {
        result.suppressed += part.size();  // only the whole table can get here: never released
        continue;
      }
      mondrian_class cls;
      cls.ranges = std::move(ranges);
      cls.members.assign(index_.begin() + static_cast<std::ptrdiff_t>(part.begin),
                         index_.begin() + static_cast<std::ptrdiff_t>(part.end));
      std::sort(cls.members.begin(), cls.members.end());
      cls.distinct_sensitive = distinct;
      result.classes.push_back(std::move(cls));
    }
    summarize(result);
    return result;
  }

private:
  [[nodiscard]] std::int64_t value(std::size_t record, std::size_t dim) const {
    return records_[record].quasi[dim];
  }

  [[nodiscard]] std::vector<mondrian_range> ranges_of(partition part) const {
    std::vector<mondrian_range> out(width_, {std::numeric_limits<std::int64_t>::max(),
                                             std::numeric_limits<std::int64_t>::min()});
    for (auto i = part.begin; i < part.end; ++i) {
      const auto& quasi = records_[index_[i]].quasi;
      for (std::size_t d = 0; d < width_; ++d) {
        out[d].low = std::min(out[d].low, quasi[d]);
        out[d].high = std::max(out[d].high, quasi[d]);
      }
    }
    return out;
  }

  /// (high - low) / (domain high - domain low), 0 for a constant quasi-identifier.
  [[nodiscard]] double normalized_width(const mondrian_range& r, std::size_t dim) const {
    double domain = static_cast<double>(domain_[dim].high) - static_cast<double>(domain_[dim].low);
    if (domain <= 0) {
      return 0;
    }
    return (static_cast<double>(r.high) - static_cast<double>(r.low)) / domain;
  }

  /// Whether [begin, end) holds at least `want` distinct sensitive values (stops once it does).
  [[nodiscard]] bool has_distinct(partition part, std::size_t want) const {
    if (want <= 1) {
      return part.size() >= want;
    }
    std::vector<std::int64_t> seen;
    seen.reserve(want);
    for (auto i = part.begin; i < part.end; ++i) {
      auto s = records_[index_[i]].sensitive;
      if (std::find(seen.begin(), seen.end(), s) == seen.end()) {
        seen.push_back(s);
        if (seen.size() >= want) {
          return true;
        }
      }
    }
    return false;
  }

  [[nodiscard]] std::size_t distinct_sensitive(partition part) const {
    std::unordered_set<std::int64_t> seen;
    for (auto i = part.begin; i < part.end; ++i) {
      seen.insert(records_[index_[i]].sensitive);
    }
    return seen.size();
  }

  [[nodiscard]] bool allowed(partition part) const {
    return part.size() >= config_.k && has_distinct(part, config_.l);
  }

  /// The first allowed cut, trying quasi-identifiers from the widest normalized range down.
  /// Reorders the partition's indices (any order is a valid order for a partition).
  std::optional<std::pair<partition, partition>>
  find_cut(partition part, const std::vector<mondrian_range>& ranges) {
    if (part.size() < 2 * config_.k) {
      return std::nullopt;  // no cut can leave k on both sides
    }
    std::vector<std::pair<double, std::size_t>> dims;
    for (std::size_t d = 0; d < width_; ++d) {
      if (ranges[d].high > ranges[d].low) {
        dims.emplace_back(normalized_width(ranges[d], d), d);
      }
    }
    // Widest first; ties by position, so the result does not depend on the sort's stability.
    std::sort(dims.begin(), dims.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    auto first = index_.begin() + static_cast<std::ptrdiff_t>(part.begin);
    auto last = index_.begin() + static_cast<std::ptrdiff_t>(part.end);
    for (const auto& [ignored, dim] : dims) {
      auto by_value = [this, d = dim](std::size_t a, std::size_t b) {
        return value(a, d) < value(b, d);
      };
      auto median_at = first + static_cast<std::ptrdiff_t>((part.size() - 1) / 2);  // lower median
      std::nth_element(first, median_at, last, by_value);
      auto median = value(*median_at, dim);
      // Values <= median go left; if that cut is not allowed (e.g. the median is the maximum and
      // everything went left), values < median.
      for (bool inclusive : {true, false}) {
        auto split = std::partition(first, last, [this, d = dim, median, inclusive](std::size_t i) {
          return inclusive ? value(i, d) <= median : value(i, d) < median;
        });
        auto at = part.begin + static_cast<std::size_t>(split - first);
        partition left{part.begin, at};
        partition right{at, part.end};
        if (left.size() > 0 && right.size() > 0 && allowed(left) && allowed(right)) {
          return std::pair{left, right};
        }
      }
    }
    return std::nullopt;
  }

  void summarize(mondrian_result& result) const {
    double loss = static_cast<double>(result.suppressed);  // a suppressed record costs 1
    for (const auto& cls : result.classes) {
      double width = 0;
      for (std::size_t d = 0; d < width_; ++d) {
        width += normalized_width(cls.ranges[d], d);
      }
      if (width_ > 0) {
        loss += static_cast<double>(cls.members.size()) * width / static_cast<double>(width_);
      }
      auto size = cls.members.size();
      result.achieved_k = result.achieved_k == 0 ? size : std::min(result.achieved_k, size);
      auto distinct = cls.distinct_sensitive;
      result.achieved_l = result.achieved_l == 0 ? distinct : std::min(result.achieved_l, distinct);
    }
    result.ncp = loss / static_cast<double>(records_.size());
  }

  std::span<const mondrian_record> records_;
  mondrian_config config_;
  std::size_t width_;
  std::vector<std::size_t> index_;
  std::vector<mondrian_range> domain_;  ///< min and max of each quasi-identifier over the input
};

} // namespace

mondrian_result anonymize_mondrian(std::span<const mondrian_record> records,
                                   const mondrian_config& config) {
  if (config.k == 0 || config.l == 0) {
    throw std::invalid_argument("anonymize_mondrian: k and l must be at least 1");
  }
  for (const auto& r : records) {
    if (r.quasi.size() != records.front().quasi.size()) {
      throw std::invalid_argument(
        "anonymize_mondrian: records differ in their number of quasi-identifiers");
    }
  }
  return partitioner{records, config}.run();
}

std::vector<mondrian_row> generalized_rows(std::span<const mondrian_record> records,
                                           const mondrian_result& result) {
  std::vector<mondrian_row> rows;
  rows.reserve(records.size() - std::min(records.size(), result.suppressed));
  for (const auto& cls : result.classes) {
    for (auto i : cls.members) {
      if (i >= records.size()) {
        throw std::invalid_argument("generalized_rows: result was made from other records");
      }
      rows.push_back({cls.ranges, records[i].sensitive});
    }
  }
  return rows;
}

} // namespace aia::privacy
