// Tests of the exact samplers and their randomness: chi-square and KS fits against the exact pmf at
// several scales, Bernoulli(exp(-γ)) frequencies, the random sources, the mechanisms' grid.
#include "privacy/dp_sampling.hpp"

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

using namespace aia::privacy;

namespace {

constexpr std::uint64_t seed = 0x5EED'D15C'0001ULL;

/// Regularized upper incomplete gamma Q(a, x) (series below a+1, continued fraction above).
double gamma_q(double a, double x) {
  if (x <= 0) {
    return 1;
  }
  const double log_prefix = -x + a * std::log(x) - std::lgamma(a);
  if (x < a + 1) {
    double term = 1 / a;
    double sum = term;
    for (int n = 1; n < 100000 && std::fabs(term) > std::fabs(sum) * 1e-16; ++n) {
      term *= x / (a + n);
      sum += term;
    }
    return 1 - sum * std::exp(log_prefix);
  }
  // Lentz's method for the continued fraction of Γ(a, x).
  double b = x + 1 - a;
  double c = 1e300;
  double d = 1 / b;
  double h = d;
  for (int i = 1; i < 100000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    d = std::fabs(d) < 1e-300 ? 1e-300 : d;
    c = b + an / c;
    c = std::fabs(c) < 1e-300 ? 1e-300 : c;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < 1e-16) {
      break;
    }
  }
  return std::exp(log_prefix) * h;
}

/// An exact pmf on [-width, width] (the mass outside is below 1e-15).
struct pmf_table {
  std::int64_t width = 0;
  std::vector<double> p;  // p[x + width]
};

pmf_table discrete_laplace_pmf(double scale) {
  pmf_table t;
  t.width = static_cast<std::int64_t>(std::ceil(42 * scale)) + 5;
  const double head = std::tanh(1 / (2 * scale));  // (1 - r)/(1 + r), r = e^{-1/scale}
  for (std::int64_t x = -t.width; x <= t.width; ++x) {
    t.p.push_back(head * std::exp(-std::fabs(static_cast<double>(x)) / scale));
  }
  return t;
}

pmf_table discrete_gaussian_pmf(double sigma2) {
  pmf_table t;
  t.width = static_cast<std::int64_t>(std::ceil(12 * std::sqrt(sigma2))) + 5;
  double z = 0;
  for (std::int64_t x = -t.width; x <= t.width; ++x) {
    const double xd = static_cast<double>(x);
    t.p.push_back(std::exp(-xd * xd / (2 * sigma2)));
    z += t.p.back();
  }
  for (auto& v : t.p) {
    v /= z;
  }
  return t;
}

struct fit {
  double chi_square_p = 0;
  int bins = 0;
  double ks_statistic = 0;  ///< sqrt(n)·max |F_n − F|
};

/// Chi-square (adjacent bins merged until each expects >= 5) and KS against `table`.
fit test_fit(const std::function<std::int64_t()>& draw, const pmf_table& table, int n) {
  std::map<std::int64_t, int> counts;
  for (int i = 0; i < n; ++i) {
    counts[std::clamp(draw(), -table.width, table.width)]++;
  }
  fit out;
  double chi2 = 0;
  double expected = 0;
  double observed = 0;
  double last_e = 0;
  double last_o = 0;
  double cdf = 0;
  double ecdf = 0;
  for (std::int64_t x = -table.width; x <= table.width; ++x) {
    const double p = table.p[static_cast<std::size_t>(x + table.width)];
    const auto it = counts.find(x);
    const double o = it == counts.end() ? 0 : it->second;
    expected += p * n;
    observed += o;
    cdf += p;
    ecdf += o / n;
    out.ks_statistic = std::max(out.ks_statistic, std::fabs(ecdf - cdf) * std::sqrt(n));
    if (expected >= 5 && (table.width - x) > 0) {
      if (last_e > 0) {
        chi2 += (last_o - last_e) * (last_o - last_e) / last_e;
        ++out.bins;
      }
      last_e = expected;
      last_o = observed;
      expected = 0;
      observed = 0;
    }
  }
  // The remainder (expected < 5) joins the last closed bin.
  last_e += expected;
  last_o += observed;
  chi2 += (last_o - last_e) * (last_o - last_e) / last_e;
  ++out.bins;
  out.chi_square_p = gamma_q((out.bins - 1) / 2.0, chi2 / 2);
  return out;
}

constexpr double p_threshold = 1e-4;
constexpr double ks_threshold = 1.95;  // p ~ 0.001 for a continuous law; conservative here

} // namespace

// -- random sources -----------------------------------------------------------

TEST_CASE("system_random draws varying words from OpenSSL and says it is cryptographic") {
  system_random rng;
  CHECK(rng.is_cryptographic());
  std::set<std::uint64_t> words;
  for (int i = 0; i < 1000; ++i) {
    words.insert(rng.next_u64());  // spans a 4 KiB refill
  }
  CHECK(words.size() == 1000);
  std::set<std::uint64_t> small;
  int ones = 0;
  for (int i = 0; i < 1000; ++i) {
    small.insert(rng.uniform_below(10));
    ones += rng.fair_bit() ? 1 : 0;
  }
  CHECK(small.size() == 10);
  CHECK(*small.rbegin() == 9);
  CHECK(ones > 400);
  CHECK(ones < 600);
}

TEST_CASE("a forked child never draws the words its parent draws") {
  system_random rng;
  (void)rng.next_u64();  // the block is filled before the fork
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const std::uint64_t word = rng.next_u64();
    const bool sent = write(fds[1], &word, sizeof word) == sizeof word;
    _exit(sent ? 0 : 1);
  }
  const std::uint64_t mine = rng.next_u64();
  std::uint64_t theirs = 0;
  REQUIRE(read(fds[0], &theirs, sizeof theirs) == sizeof theirs);
  int status = 0;
  waitpid(child, &status, 0);
  close(fds[0]);
  close(fds[1]);
  CHECK(mine != theirs);
}

TEST_CASE("seeded_random is reproducible from its seed and flagged as not cryptographic") {
  seeded_random a{42};
  seeded_random b{42};
  seeded_random c{43};
  CHECK_FALSE(a.is_cryptographic());
  int differ = 0;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next_u64();
    CHECK(x == b.next_u64());
    differ += x != c.next_u64() ? 1 : 0;
  }
  CHECK(differ == 100);
}

TEST_CASE("uniform_below has no modulo bias and rejects an empty range") {
  seeded_random rng{seed};
  CHECK_THROWS_AS(rng.uniform_below(0), std::invalid_argument);
  CHECK(rng.uniform_below(1) == 0);
  // n ≈ 2/3·2^64: x mod n would put two thirds of the draws below n/2.
  const std::uint64_t n = 0xAAAAAAAAAAAAAAABULL;
  const int draws = 200000;
  int below_half = 0;
  int out_of_range = 0;
  for (int i = 0; i < draws; ++i) {
    const auto v = rng.uniform_below(n);
    out_of_range += v >= n ? 1 : 0;
    below_half += v < n / 2 ? 1 : 0;
  }
  CHECK(out_of_range == 0);
  CHECK(std::fabs(below_half / double(draws) - 0.5) < 5 * std::sqrt(0.25 / draws));
}

TEST_CASE("uniform_below_wide is exact up to 2^128 - 1") {
  seeded_random rng{seed};
  CHECK_THROWS_AS(rng.uniform_below_wide(0), std::invalid_argument);
  const uint128 one = 1;
  // Just above one word, mid-range, just above 2^127 (the mask is all 128 bits) and the maximum.
  for (uint128 n : {(one << 64) + 1, (one << 100) + 12345, (one << 127) + 3, ~uint128{0}}) {
    const int draws = 100000;
    int out_of_range = 0;
    int upper_half = 0;
    int top_quarter = 0;
    for (int i = 0; i < draws; ++i) {
      const uint128 v = rng.uniform_below_wide(n);
      out_of_range += v >= n ? 1 : 0;
      upper_half += v >= n / 2 ? 1 : 0;
      top_quarter += v >= n / 4 * 3 ? 1 : 0;
    }
    INFO("n = 2^" << (127 - __builtin_clzll(static_cast<std::uint64_t>(n >> 64))) << " + ...");
    CHECK(out_of_range == 0);
    CHECK(std::fabs(upper_half / double(draws) - 0.5) < 5 * std::sqrt(0.25 / draws));
    CHECK(std::fabs(top_quarter / double(draws) - 0.25) < 5 * std::sqrt(0.1875 / draws));
  }
  CHECK(rng.uniform_below_wide(one << 64) <= std::numeric_limits<std::uint64_t>::max());
}

// -- Bernoulli(exp(-γ)) ---------------------------------------------------------

TEST_CASE("bernoulli_exp succeeds with frequency exp(-num/den)") {
  seeded_random rng{seed};
  const int n = 200000;
  for (auto [num, den] : std::vector<std::pair<std::uint64_t, std::uint64_t>>{
         {0, 1}, {1, 3}, {1, 2}, {1, 1}, {3, 2}, {5, 2}, {10, 3}, {7, 7}}) {
    const double p = std::exp(-double(num) / double(den));
    int hits = 0;
    for (int i = 0; i < n; ++i) {
      hits += bernoulli_exp(num, den, rng) ? 1 : 0;
    }
    INFO("gamma = " << num << "/" << den);
    CHECK(std::fabs(hits / double(n) - p) <= 5 * std::sqrt(p * (1 - p) / n) + 1e-12);
  }
}

TEST_CASE("bernoulli_exp handles huge exponents and rejects a zero denominator") {
  seeded_random rng{seed};
  for (int i = 0; i < 1000; ++i) {
    CHECK_FALSE(bernoulli_exp(max_rational_term, 1, rng));  // e^-(2^62): stops at the first failure
  }
  CHECK_THROWS_WITH(bernoulli_exp(1, 0, rng), Catch::Contains("den"));
}

// -- discrete Laplace and Gaussian --------------------------------------------------

TEST_CASE("discrete Laplace samples fit the exact pmf at several scales") {
  seeded_random rng{seed};
  for (rational scale : {rational{1, 1}, rational{3, 1}, rational{10, 1}, rational{7, 2},
                         rational{1, 3}, rational_at_least(2.7)}) {
    const auto f = test_fit([&] { return sample_discrete_laplace(scale.num, scale.den, rng); },
                            discrete_laplace_pmf(scale.to_double()), 200000);
    INFO("scale = " << scale.num << "/" << scale.den << ", bins = " << f.bins);
    CHECK(f.chi_square_p > p_threshold);
    CHECK(f.ks_statistic < ks_threshold);
  }
}

TEST_CASE("discrete Gaussian samples fit the exact pmf at several sigmas") {
  seeded_random rng{seed + 1};
  for (rational sigma2 : {rational{1, 1}, rational{25, 1}, rational{400, 1}, rational{1, 4},
                          rational{2, 3}, rational_at_least(12.3456 * 12.3456)}) {
    const auto f = test_fit([&] { return sample_discrete_gaussian(sigma2.num, sigma2.den, rng); },
                            discrete_gaussian_pmf(sigma2.to_double()), 200000);
    INFO("sigma2 = " << sigma2.num << "/" << sigma2.den << ", bins = " << f.bins);
    CHECK(f.chi_square_p > p_threshold);
    CHECK(f.ks_statistic < ks_threshold);
  }
}

TEST_CASE("the discrete Gaussian stays exact at extreme variances") {
  seeded_random rng{seed + 2};
  SECTION("a tiny variance gives zero") {
    for (int i = 0; i < 1000; ++i) {
      CHECK(sample_discrete_gaussian(1, std::uint64_t{1} << 20, rng) == 0);
    }
  }
  SECTION("variances up to 2^62 have the right spread") {
    // At 2^62 the acceptance test's denominator is ~2^125, so den·k overflows 128 bits from
    // k = 8 on and Bernoulli(γ/k) takes its two-draw path.
    for (int log2_variance : {50, 62}) {
      const double sigma = std::ldexp(1.0, log2_variance / 2);
      double sum2 = 0;
      const int n = 40000;
      for (int i = 0; i < n; ++i) {
        const double x = static_cast<double>(
          sample_discrete_gaussian(std::uint64_t{1} << log2_variance, 1, rng));
        sum2 += x * x;
      }
      INFO("σ² = 2^" << log2_variance);
      CHECK(std::sqrt(sum2 / n) / sigma == Approx(1).epsilon(0.025));
    }
  }
}

TEST_CASE("samplers reject parameters outside 1 to 2^62 naming them") {
  seeded_random rng{seed};
  CHECK_THROWS_WITH(sample_discrete_laplace(0, 1, rng), Catch::Contains("scale_num"));
  CHECK_THROWS_WITH(sample_discrete_laplace(1, 0, rng), Catch::Contains("scale_den"));
  CHECK_THROWS_WITH(sample_discrete_laplace(max_rational_term + 1, 1, rng),
                    Catch::Contains("scale_num"));
  CHECK_THROWS_WITH(sample_discrete_gaussian(0, 1, rng), Catch::Contains("sigma2_num"));
  CHECK_THROWS_WITH(sample_discrete_gaussian(1, 0, rng), Catch::Contains("sigma2_den"));
}

// -- mechanisms ---------------------------------------------------------------

TEST_CASE("mechanisms release on a power-of-two grid with the sensitivity rounded up") {
  seeded_random rng{seed};
  const calibrated_laplace lap{{.sensitivity = 1, .epsilon = 0.5, .granularity = 0.3}};
  CHECK(lap.granularity() == 0.25);
  CHECK(lap.grid_sensitivity() == 4);
  CHECK(lap.effective_sensitivity() == 1.0);
  CHECK(lap.scale().to_double() >= 8.0);
  CHECK(lap.scale().to_double() < 8.0 * (1 + 1e-11));
  for (int i = 0; i < 100; ++i) {
    const double out = lap.release(10.1, rng);
    CHECK(out / 0.25 == std::floor(out / 0.25));
  }
  const calibrated_gaussian gauss{{.sensitivity = 0.3, .epsilon = 1, .delta = 1e-6}};
  CHECK(gauss.granularity() == std::ldexp(1.0, -10));  // 0.3/γ in [256, 512)
  CHECK(gauss.grid_sensitivity() == 308);               // ceil(0.3·1024)
  CHECK(gauss.sigma() >= analytic_gaussian_sigma(gauss.effective_sensitivity(), 1, 1e-6));
  const double out = gauss.release(-3.7, rng);
  CHECK(out * 1024 == std::floor(out * 1024));
}

TEST_CASE("values round half-up to the grid the same way at every offset") {
  // ε = 10^6 makes the noise 0 with probability 1 - 2e^-(10^6): the release is the rounding.
  seeded_random rng{seed};
  const calibrated_laplace exact{{.sensitivity = 1, .epsilon = 1e6, .granularity = 1}};
  CHECK(exact.release(0.49999999999999994, rng) == 0);  // floor(x + 0.5) in doubles gives 1
  CHECK(exact.release(0.5, rng) == 1);
  CHECK(exact.release(-0.5, rng) == 0);
  CHECK(exact.release(2.5, rng) == 3);  // ties-to-even would give 2 and 4 for 2.5 and 3.5
  CHECK(exact.release(3.5, rng) == 4);
  CHECK(exact.release(-1.5, rng) == -1);
  CHECK(exact.release(-1.7, rng) == -2);
}

TEST_CASE("mechanisms reject invalid parameters and values naming them") {
  seeded_random rng{seed};
  CHECK_THROWS_WITH(laplace_mechanism(0, {.sensitivity = 0, .epsilon = 1}, rng),
                    Catch::Contains("sensitivity"));
  CHECK_THROWS_WITH(laplace_mechanism(0, {.sensitivity = 1, .epsilon = -1}, rng),
                    Catch::Contains("epsilon"));
  CHECK_THROWS_WITH(laplace_mechanism(0, {.sensitivity = 1, .epsilon = 1, .granularity = -1}, rng),
                    Catch::Contains("granularity"));
  CHECK_THROWS_WITH(laplace_mechanism(NAN, {.sensitivity = 1, .epsilon = 1}, rng),
                    Catch::Contains("value"));
  CHECK_THROWS_WITH(laplace_mechanism(1e300, {.sensitivity = 1, .epsilon = 1}, rng),
                    Catch::Contains("value"));
  CHECK_THROWS_WITH(gaussian_mechanism(0, {.sensitivity = 1, .epsilon = 1, .delta = 0}, rng),
                    Catch::Contains("delta"));
  CHECK_THROWS_WITH(gaussian_mechanism(0, {.sensitivity = 1, .epsilon = 1, .delta = 1}, rng),
                    Catch::Contains("delta"));
  CHECK_THROWS_WITH(
    gaussian_mechanism(0, {.sensitivity = 1, .epsilon = 2, .delta = 1e-5, .analytic = false}, rng),
    Catch::Contains("epsilon"));
  CHECK_THROWS_WITH(gaussian_mechanism(0, {.sensitivity = INFINITY, .epsilon = 1, .delta = 1e-5}, rng),
                    Catch::Contains("sensitivity"));
  CHECK_THROWS_WITH(gaussian_mechanism(0,
                                       {.sensitivity = 1,
                                        .epsilon = 1e-3,
                                        .delta = 1e-10,
                                        .granularity = std::ldexp(1.0, -40)},
                                       rng),
                    Catch::Contains("coarsen the granularity"));
}
