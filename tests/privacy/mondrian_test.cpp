// Tests of Mondrian anonymization: every released class has k records and l distinct sensitive
// values on generated data (random, skewed, duplicated), what cannot be is suppressed, and the
// reported k, l and information loss match the classes.
#include "privacy/mondrian.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

using aia::privacy::anonymize_mondrian;
using aia::privacy::generalized_rows;
using aia::privacy::mondrian_config;
using aia::privacy::mondrian_record;
using aia::privacy::mondrian_result;

namespace {

enum class shape { uniform, skewed, duplicated };

/// Records shaped like an analyst export: device type (0-3), hour bucket (0-23), cohort (0-49),
/// two state bands (0-4), and an inferred state (0-5) as the sensitive value.
std::vector<mondrian_record> generate(std::size_t n, shape s, std::uint32_t seed) {
  std::mt19937 rng{seed};
  auto uniform = [&](int hi) { return std::uniform_int_distribution<int>{0, hi}(rng); };
  std::vector<mondrian_record> out;
  std::vector<mondrian_record> templates;
  for (int i = 0; i < 15; ++i) {
    templates.push_back({{uniform(3), uniform(23), uniform(49), uniform(4), uniform(4)}, 0});
  }
  for (std::size_t i = 0; i < n; ++i) {
    mondrian_record r;
    switch (s) {
      case shape::uniform:
        r = {{uniform(3), uniform(23), uniform(49), uniform(4), uniform(4)}, uniform(5)};
        break;
      case shape::skewed:
        // Mostly one device and evening hours; one inferred state dominates.
        r.quasi = {uniform(9) < 8 ? 0 : uniform(3), 18 + uniform(9) / 3, uniform(49) / 10,
                   uniform(4), uniform(9) < 7 ? 2 : uniform(4)};
        r.sensitive = uniform(19) < 17 ? 0 : uniform(5);
        break;
      case shape::duplicated:
        r = templates[static_cast<std::size_t>(uniform(14))];
        r.sensitive = uniform(2);
        break;
    }
    out.push_back(std::move(r));
  }
  return out;
}

/// Checks every guarantee and every reported figure of `result` against `records`.
void check_guarantees(const std::vector<mondrian_record>& records, const mondrian_result& result,
                      const mondrian_config& config) {
  std::vector<int> released(records.size(), 0);
  std::size_t min_size = 0;
  std::size_t min_distinct = 0;
  double loss = static_cast<double>(result.suppressed);
  std::size_t width = records.empty() ? 0 : records[0].quasi.size();
  std::vector<std::int64_t> lo(width, INT64_MAX);
  std::vector<std::int64_t> hi(width, INT64_MIN);
  for (const auto& r : records) {
    for (std::size_t d = 0; d < width; ++d) {
      lo[d] = std::min(lo[d], r.quasi[d]);
      hi[d] = std::max(hi[d], r.quasi[d]);
    }
  }
  for (const auto& cls : result.classes) {
    REQUIRE(cls.members.size() >= config.k);
    std::set<std::int64_t> sensitive;
    for (auto i : cls.members) {
      REQUIRE(i < records.size());
      ++released[i];
      sensitive.insert(records[i].sensitive);
      for (std::size_t d = 0; d < width; ++d) {
        REQUIRE(cls.ranges[d].low <= records[i].quasi[d]);
        REQUIRE(records[i].quasi[d] <= cls.ranges[d].high);
      }
    }
    REQUIRE(sensitive.size() >= config.l);
    REQUIRE(sensitive.size() == cls.distinct_sensitive);
    min_size = min_size == 0 ? cls.members.size() : std::min(min_size, cls.members.size());
    min_distinct = min_distinct == 0 ? sensitive.size() : std::min(min_distinct, sensitive.size());
    double w = 0;
    for (std::size_t d = 0; d < width; ++d) {
      w += hi[d] == lo[d] ? 0.0
                          : static_cast<double>(cls.ranges[d].high - cls.ranges[d].low)
                              / static_cast<double>(hi[d] - lo[d]);
    }
    if (width > 0) {
      loss += static_cast<double>(cls.members.size()) * w / static_cast<double>(width);
    }
  }
  // Each record is released at most once, and released + suppressed = all.
  CHECK(std::count(released.begin(), released.end(), 0)
        == static_cast<std::ptrdiff_t>(result.suppressed));
  CHECK(std::all_of(released.begin(), released.end(), [](int n) { return n <= 1; }));
  CHECK(result.achieved_k == min_size);
  CHECK(result.achieved_l == min_distinct);
  if (!result.classes.empty()) {
    CHECK(result.achieved_k >= config.k);
    CHECK(result.achieved_l >= config.l);
  }
  CHECK(result.ncp >= 0.0);
  CHECK(result.ncp <= 1.0);
  if (!records.empty()) {
    CHECK(result.ncp == Approx(loss / static_cast<double>(records.size())));
  }
  // Strict partitioning: no two classes' boxes overlap.
  for (std::size_t a = 0; a < result.classes.size(); ++a) {
    for (std::size_t b = a + 1; b < result.classes.size(); ++b) {
      bool apart = false;
      for (std::size_t d = 0; d < width && !apart; ++d) {
        const auto& x = result.classes[a].ranges[d];
        const auto& y = result.classes[b].ranges[d];
        apart = x.high < y.low || y.high < x.low;
      }
      REQUIRE(apart);
    }
  }
}

} // namespace

TEST_CASE("every released class has at least k records and l distinct sensitive values") {
  auto s = GENERATE(shape::uniform, shape::skewed, shape::duplicated);
  auto n = GENERATE(std::size_t{50}, std::size_t{1000}, std::size_t{5000});
  auto k = GENERATE(std::size_t{2}, std::size_t{5}, std::size_t{20});
  auto l = GENERATE(std::size_t{1}, std::size_t{2}, std::size_t{3});
  int shape_id = static_cast<int>(s);
  CAPTURE(shape_id, n, k, l);
  auto records = generate(n, s, static_cast<std::uint32_t>(n * 31 + k * 7 + l));
  mondrian_config config{k, l};
  auto result = anonymize_mondrian(records, config);
  check_guarantees(records, result, config);
  // Strict Mondrian suppresses only a table that misses k or l as a whole.
  std::set<std::int64_t> sensitive;
  for (const auto& r : records) {
    sensitive.insert(r.sensitive);
  }
  CHECK(result.suppressed == (sensitive.size() >= l ? 0 : n));
  if (n >= 1000) {
    CHECK(result.classes.size() > 1);  // and gets cut
  }
}

TEST_CASE("the defaults are k 5 and l 2") {
  mondrian_config config;
  CHECK(config.k == 5);
  CHECK(config.l == 2);
  auto records = generate(2000, shape::uniform, 7);
  auto result = anonymize_mondrian(records);
  check_guarantees(records, result, config);
  CHECK(result.achieved_k >= 5);
  CHECK(result.achieved_l >= 2);
  CHECK(result.ncp > 0.0);
  CHECK(result.ncp < 0.5);
}

TEST_CASE("fewer than k records are suppressed, never released") {
  for (std::size_t n : {0, 1, 4}) {
    CAPTURE(n);
    auto records = generate(n, shape::uniform, 3);
    for (std::size_t i = 0; i < records.size(); ++i) {
      records[i].sensitive = static_cast<std::int64_t>(i);  // l is not what fails
    }
    auto result = anonymize_mondrian(records, {5, 2});
    CHECK(result.classes.empty());
    CHECK(result.suppressed == n);
    CHECK(result.achieved_k == 0);
    CHECK(result.achieved_l == 0);
    CHECK(generalized_rows(records, result).empty());
    CHECK(result.ncp == (n == 0 ? 0.0 : 1.0));
  }
}

TEST_CASE("a table with a single sensitive value is suppressed under l 2") {
  auto records = generate(500, shape::uniform, 11);
  for (auto& r : records) {
    r.sensitive = 3;
  }
  auto result = anonymize_mondrian(records, {5, 2});
  CHECK(result.classes.empty());
  CHECK(result.suppressed == 500);
  CHECK(result.ncp == 1.0);
  auto relaxed = anonymize_mondrian(records, {5, 1});
  check_guarantees(records, relaxed, {5, 1});
  CHECK(relaxed.suppressed == 0);
}

TEST_CASE("exactly k records with l sensitive values form one class") {
  auto records = generate(5, shape::uniform, 5);
  records[0].sensitive = 0;
  records[1].sensitive = 1;
  auto result = anonymize_mondrian(records, {5, 2});
  REQUIRE(result.classes.size() == 1);
  CHECK(result.classes[0].members == std::vector<std::size_t>{0, 1, 2, 3, 4});
  CHECK(result.achieved_k == 5);
  check_guarantees(records, result, {5, 2});
}

TEST_CASE("k 1 and l 1 release distinct records without generalization") {
  std::vector<mondrian_record> records;
  for (int a = 0; a < 4; ++a) {
    for (int b = 0; b < 10; ++b) {
      for (int c = 0; c < 7; ++c) {
        records.push_back({{a, b * 3, 100 - c}, a + b});
      }
    }
  }
  auto result = anonymize_mondrian(records, {1, 1});
  check_guarantees(records, result, {1, 1});
  CHECK(result.classes.size() == records.size());
  CHECK(result.ncp == 0.0);
  CHECK(result.achieved_k == 1);
}

TEST_CASE("a larger k loses more information on the same data") {
  for (auto s : {shape::uniform, shape::skewed}) {
    auto records = generate(5000, s, 99);
    double previous = -1;
    for (std::size_t k : {1, 5, 20, 100}) {
      auto result = anonymize_mondrian(records, {k, 2});
      check_guarantees(records, result, {k, 2});
      CHECK(result.ncp >= previous);
      previous = result.ncp;
    }
    CHECK(anonymize_mondrian(records, {5, 2}).ncp <= anonymize_mondrian(records, {20, 2}).ncp);
  }
}

TEST_CASE("released rows carry their class ranges and their own sensitive value") {
  auto records = generate(300, shape::skewed, 21);
  auto result = anonymize_mondrian(records, {5, 2});
  auto rows = generalized_rows(records, result);
  REQUIRE(rows.size() == records.size() - result.suppressed);
  std::multiset<std::int64_t> released;
  std::size_t at = 0;
  for (const auto& cls : result.classes) {
    for (auto i : cls.members) {
      CHECK(rows[at].quasi == cls.ranges);
      CHECK(rows[at].sensitive == records[i].sensitive);
      released.insert(rows[at].sensitive);
      ++at;
    }
  }
  std::multiset<std::int64_t> all;
  for (const auto& r : records) {
    all.insert(r.sensitive);
  }
  CHECK(released == all);
}

TEST_CASE("the same input gives the same classes") {
  auto records = generate(3000, shape::uniform, 5);
  auto a = anonymize_mondrian(records);
  auto b = anonymize_mondrian(records);
  REQUIRE(a.classes.size() == b.classes.size());
  for (std::size_t i = 0; i < a.classes.size(); ++i) {
    CHECK(a.classes[i].members == b.classes[i].members);
    CHECK(a.classes[i].ranges == b.classes[i].ranges);
  }
  CHECK(a.ncp == b.ncp);
}

TEST_CASE("invalid settings and ragged records are refused") {
  auto records = generate(20, shape::uniform, 1);
  CHECK_THROWS_AS(anonymize_mondrian(records, {0, 2}), std::invalid_argument);
  CHECK_THROWS_AS(anonymize_mondrian(records, {5, 0}), std::invalid_argument);
  records[7].quasi.pop_back();
  CHECK_THROWS_AS(anonymize_mondrian(records), std::invalid_argument);
}
