// DP counts and means per group: convergence as ε grows, the calibrated noise scale, clamping,
// empty public groups released with noise, the budget split, and Paillier totals equal to the
// clear ones (negative values included).
#include "privacy/dp_aggregate.hpp"

#include "privacy/dp_calibration.hpp"
#include "privacy/paillier_sum.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>

using namespace aia::privacy;

namespace {

aggregate_spec two_dims(double epsilon, mechanism_kind kind = mechanism_kind::laplace,
                        double delta = 0) {
  return {{"a", "b", "c"}, {{"focus", 0, 1}, {"valence", -1, 1}}, kind, epsilon, delta};
}

/// 1000 rows in group "a" with focus 0.25 and valence -0.5, 500 in "b" with 0.75 and 0.5.
std::vector<aggregate_row> rows() {
  std::vector<aggregate_row> out;
  for (int i = 0; i < 1000; ++i) {
    out.push_back({"a", {0.25, -0.5}});
  }
  for (int i = 0; i < 500; ++i) {
    out.push_back({"b", {0.75, 0.5}});
  }
  return out;
}

const paillier_private_key& key() {
  static const auto k = paillier_private_key::generate(2048);
  return k;
}

} // namespace

TEST_CASE("means converge to the true means as epsilon grows") {
  seeded_random rng{7};
  const auto data = rows();
  double previous = 1e9;
  for (double eps : {0.05, 0.5, 5.0, 50.0}) {
    const dp_aggregate agg{two_dims(eps)};
    const auto totals = agg.tally(data);
    double err = 0;
    for (int rep = 0; rep < 200; ++rep) {
      auto r = agg.release(totals, rng);
      err += std::fabs(r[0].means[0] - 0.25) + std::fabs(r[0].means[1] + 0.5)
             + std::fabs(r[1].means[0] - 0.75) + std::fabs(r[1].means[1] - 0.5);
    }
    err /= 800;
    CHECK(err < previous);
    previous = err;
  }
  CHECK(previous < 0.001);
}

TEST_CASE("the noise of counts matches the calibration") {
  seeded_random rng{11};
  SECTION("laplace: variance 2/eps_count^2") {
    const dp_aggregate agg{two_dims(0.2)};
    REQUIRE(agg.count_budget().epsilon == Approx(0.1));
    const auto totals = agg.tally(rows());
    const int n = 20000;
    double sum = 0;
    double sq = 0;
    for (int i = 0; i < n; ++i) {
      const double x = agg.release(totals, rng)[0].count - 1000;
      sum += x;
      sq += x * x;
    }
    const double mean = sum / n;
    const double var = sq / n - mean * mean;
    CHECK(std::fabs(mean) < 0.5);
    CHECK(var == Approx(2 / (0.1 * 0.1)).epsilon(0.05));
  }
  SECTION("gaussian: variance sigma^2 of the count mechanism, rho adds up") {
    const dp_aggregate agg{two_dims(1.0, mechanism_kind::gaussian, 1e-5)};
    const auto totals = agg.tally(rows());
    // σ² of the count: ρ_count = 1/(2σ²); the whole ρ also covers the two sums.
    const int n = 20000;
    double sq = 0;
    for (int i = 0; i < n; ++i) {
      const double x = agg.release(totals, rng)[0].count - 1000;
      sq += x * x;
    }
    CHECK(agg.rho() > 0);
    CHECK(agg.rdp_sensitivity() == 1);
    CHECK(agg.rdp_sigma() == Approx(1 / std::sqrt(2 * agg.rho())));
    // The count's σ² is the calibrated discrete Gaussian variance for (ε/2, δ/2) at Δ = 1.
    const double sigma2 = discrete_gaussian_variance(1, 0.5, 5e-6).to_double();
    CHECK(sq / n == Approx(sigma2).epsilon(0.05));
    CHECK(1 / (2 * agg.rho()) < sigma2); // the whole release's ρ exceeds the count's alone
  }
}

TEST_CASE("values are clamped to their declared range before summing") {
  const dp_aggregate agg{two_dims(1)};
  std::vector<aggregate_row> in{
      {"a", {5.0, -7.0}}, {"a", {-3.0, 0.5}}, {"a", {NAN, INFINITY}}, {"zz", {0.5, 0.5}}};
  const auto t = agg.tally(in);
  CHECK(t.counts == std::vector<std::int64_t>{3, 0, 0});
  const double one = std::ldexp(1.0, aggregate_fraction_bits);
  CHECK(t.sums[0] == static_cast<std::int64_t>(1 * one)); // 1 + 0 + 0 (NaN -> lo)
  CHECK(t.sums[1] == static_cast<std::int64_t>((-1 + 0.5 + 1) * one));
  CHECK(t.outside_domain == 1);
  CHECK(agg.sum_sensitivity(0) == 1);
  CHECK(agg.sum_sensitivity(1) == 1);
  CHECK_THROWS_AS(agg.tally(std::vector<aggregate_row>{{"a", {1.0}}}), std::invalid_argument);

  SECTION("released means stay in range even when the noise is large") {
    seeded_random rng{3};
    const dp_aggregate tiny{two_dims(0.01)};
    for (int i = 0; i < 200; ++i) {
      for (const auto& g : tiny.release(tiny.tally(rows()), rng)) {
        CHECK(g.count >= 0);
        CHECK(g.means[0] >= 0);
        CHECK(g.means[0] <= 1);
        CHECK(g.means[1] >= -1);
        CHECK(g.means[1] <= 1);
      }
    }
  }
}

TEST_CASE("every public group is released, the empty ones with noise on zero") {
  seeded_random rng{5};
  const dp_aggregate agg{two_dims(0.5)};
  const auto totals = agg.tally(rows());
  REQUIRE(totals.counts[2] == 0);
  bool nonzero = false;
  for (int i = 0; i < 100; ++i) {
    const auto r = agg.release(totals, rng);
    REQUIRE(r.size() == 3);
    CHECK(r[0].key == "a");
    CHECK(r[1].key == "b");
    CHECK(r[2].key == "c");
    nonzero = nonzero || r[2].count > 0;
  }
  CHECK(nonzero); // noise on 0, clamped at 0: positive about half the time
  // The same keys come out with no rows at all.
  CHECK(agg.release(agg.empty_totals(), rng).size() == 3);
}

TEST_CASE("the epsilon split adds up to the requested budget") {
  SECTION("laplace: half to counts, half across the dimensions") {
    const dp_aggregate agg{two_dims(0.3)};
    CHECK(agg.count_budget().epsilon == Approx(0.15));
    CHECK(agg.sum_budget().epsilon == Approx(0.075));
    CHECK(agg.spent().epsilon == Approx(0.3));
    CHECK(agg.spent().delta == 0);
    CHECK(agg.rho() == 0);
    CHECK(agg.rdp_sigma() == 0);
  }
  SECTION("gaussian: epsilon and delta split alike") {
    const dp_aggregate agg{two_dims(1, mechanism_kind::gaussian, 1e-6)};
    CHECK(agg.count_budget().delta == Approx(5e-7));
    CHECK(agg.sum_budget().delta == Approx(2.5e-7));
    CHECK(agg.spent().epsilon == Approx(1));
    CHECK(agg.spent().delta == Approx(1e-6));
  }
  SECTION("no dimensions: everything to the counts") {
    const dp_aggregate agg{aggregate_spec{{"all"}, {}, mechanism_kind::laplace, 0.4, 0}};
    CHECK(agg.count_budget().epsilon == 0.4);
    CHECK(agg.spent().epsilon == 0.4);
  }
  SECTION("invalid specs are refused") {
    CHECK_THROWS_AS(dp_aggregate{two_dims(0)}, std::invalid_argument);
    CHECK_THROWS_AS(dp_aggregate{two_dims(1, mechanism_kind::laplace, 1e-6)},
                    std::invalid_argument);
    CHECK_THROWS_AS(dp_aggregate{two_dims(1, mechanism_kind::gaussian, 0)}, std::invalid_argument);
    auto repeated = two_dims(1);
    repeated.domain.push_back("a");
    CHECK_THROWS_AS(dp_aggregate{repeated}, std::invalid_argument);
    auto empty = two_dims(1);
    empty.domain.clear();
    CHECK_THROWS_AS(dp_aggregate{empty}, std::invalid_argument);
    auto flat = two_dims(1);
    flat.dimensions[0].hi = flat.dimensions[0].lo;
    CHECK_THROWS_AS(dp_aggregate{flat}, std::invalid_argument);
  }
}

TEST_CASE("paillier totals over partitions equal the clear totals, negatives included") {
  const dp_aggregate agg{two_dims(1)};
  std::vector<aggregate_row> all;
  std::vector<std::vector<aggregate_row>> pages(3);
  for (int i = 0; i < 60; ++i) {
    aggregate_row r{i % 4 == 3 ? "c" : (i % 2 == 0 ? "a" : "b"),
                    {0.013 * i, -0.9 + 0.011 * i}}; // valence mostly negative
    all.push_back(r);
    pages[i % 3].push_back(r);
  }
  const auto clear = agg.tally(all);
  const auto& pk = key().public_key();
  auto enc = encrypt_totals(agg.tally(pages[0]), pk);
  auto merged = agg.tally(pages[0]);
  for (std::size_t p = 1; p < pages.size(); ++p) {
    enc = add_totals(enc, encrypt_totals(agg.tally(pages[p]), pk), pk);
    merged = merge_totals(merged, agg.tally(pages[p]));
  }
  const auto back = decrypt_totals(enc, key());
  CHECK(back.counts == clear.counts);
  CHECK(back.sums == clear.sums);
  CHECK(merged.sums == clear.sums);
  bool negative = false;
  for (auto s : back.sums) {
    negative = negative || s < 0;
  }
  CHECK(negative);
  const dp_aggregate other{aggregate_spec{{"x"}, {{"focus", 0, 1}}, mechanism_kind::laplace, 1, 0}};
  CHECK_THROWS_AS(add_totals(enc, encrypt_totals(other.empty_totals(), pk), pk),
                  std::invalid_argument);
}
