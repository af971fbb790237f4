// Tests of DP calibration: upward rounding to rationals and the grid, the analytic Gaussian σ
// against the classic one and its exact condition, and the discrete Gaussian's exact δ.
#include "privacy/dp_calibration.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <initializer_list>
#include <stdexcept>
#include <vector>

using namespace aia::privacy;

namespace {

/// CKS Thm 7's δ by brute force: Σ_x max(0, p(x) − e^ε p(x+Δ)) over a wide window.
double brute_force_discrete_delta(double sigma2, std::int64_t m, double epsilon) {
  const auto width = static_cast<std::int64_t>(std::ceil(40 * std::sqrt(sigma2))) + 40 + m;
  double z = 0;
  double sum = 0;
  auto f = [&](std::int64_t x) { return std::exp(-double(x) * double(x) / (2 * sigma2)); };
  for (std::int64_t x = -width; x <= width; ++x) {
    z += f(x);
    sum += std::max(0.0, f(x) - std::exp(epsilon) * f(x + m));
  }
  return sum / z;
}

const std::vector<double> epsilons{0.01, 0.1, 0.5, 0.9};
const std::vector<double> deltas{1e-3, 1e-6, 1e-10};

} // namespace

// -- rationals and the grid ---------------------------------------------------

TEST_CASE("rational_at_least never rounds down and stays within 2^-40 above 2^-21") {
  for (double x : {3.0, 0.1, 1.0 / 3, 2.7, 12.3456 * 12.3456, 1e-9, 1e6 + 1.0 / 3, 0.75,
                   std::ldexp(1.0, 50), 123456789.123}) {
    const auto r = rational_at_least(x);
    INFO("x = " << x << " -> " << r.num << "/" << r.den);
    REQUIRE(r.den > 0);
    CHECK(r.num <= max_rational_term);
    CHECK(r.den <= max_rational_term);
    // num/den >= x exactly: den is a power of two, so x·den is exact.
    CHECK(static_cast<long double>(r.num) >= std::ldexp(static_cast<long double>(x),
                                                        std::ilogb(static_cast<double>(r.den))));
    if (x >= std::ldexp(1.0, -21)) {  // below, the 2^62 cap on the denominator coarsens it
      CHECK(r.to_double() <= x * (1 + std::ldexp(1.0, -rational_precision_bits)));
    }
    CHECK((r.num % 2 == 1 || r.den == 1));  // reduced
  }
  CHECK(rational_at_least(3.0) == rational{3, 1});
  CHECK(rational_at_least(0.75) == rational{3, 4});
  CHECK(rational_at_least(1e-30) == rational{1, max_rational_term});
}

TEST_CASE("rational_at_least rejects what it cannot represent") {
  for (double x : {0.0, -1.0, double(NAN), double(INFINITY), std::ldexp(1.0, 63)}) {
    CHECK_THROWS_AS(rational_at_least(x), std::invalid_argument);
  }
}

TEST_CASE("the grid is a power of two and the grid sensitivity rounds up") {
  CHECK(grid_granularity(0.3, 1) == 0.25);
  CHECK(grid_granularity(1, 1) == 1);
  CHECK(grid_granularity(0, 1) == std::ldexp(1.0, -8));
  CHECK(grid_granularity(0, 0.3) == std::ldexp(1.0, -10));
  CHECK(grid_sensitivity(1, 0.25) == 4);
  CHECK(grid_sensitivity(0.3, std::ldexp(1.0, -10)) == 308);
  CHECK(grid_sensitivity(0.1, 1) == 1);
  CHECK(grid_sensitivity(0.3, 0.1) == 3);  // 0.3/0.1 rounds to 2.9999999999999996 in doubles
  CHECK_THROWS_WITH(grid_granularity(-1, 1), Catch::Contains("granularity"));
  CHECK_THROWS_WITH(grid_granularity(1, 0), Catch::Contains("sensitivity"));
  CHECK_THROWS_WITH(grid_sensitivity(1e20, 1e-3), Catch::Contains("2^53"));
  const auto scale = discrete_laplace_scale(1, 0.1);
  CHECK(scale.to_double() >= 10);
  CHECK(scale.to_double() < 10 * (1 + 1e-11));
  CHECK_THROWS_WITH(discrete_laplace_scale(0, 1), Catch::Contains("sensitivity"));
  CHECK_THROWS_WITH(discrete_laplace_scale(1, 0), Catch::Contains("epsilon"));
}

// -- continuous Gaussian ------------------------------------------------------

TEST_CASE("gaussian_delta matches the Balle-Wang expression") {
  CHECK(gaussian_delta(1, 1, 1) == Approx(0.1269367375066439).epsilon(1e-12));
  CHECK(gaussian_delta(2, 1, 0.5) == Approx(0.05244032328766962).epsilon(1e-12));
  CHECK(gaussian_delta(1000, 1, 1) == 0);
}

TEST_CASE("the analytic sigma is below the classic one for epsilon below 1") {
  for (double sensitivity : {1.0, 0.5, 7.0}) {
    for (double eps : epsilons) {
      for (double delta : deltas) {
        const double analytic = analytic_gaussian_sigma(sensitivity, eps, delta);
        const double classic = classic_gaussian_sigma(sensitivity, eps, delta);
        INFO("Δ = " << sensitivity << " ε = " << eps << " δ = " << delta << " analytic = "
                    << analytic << " classic = " << classic);
        CHECK(analytic < classic);
      }
    }
  }
}

TEST_CASE("the analytic sigma meets the exact condition with near-equality") {
  for (double eps : {0.01, 0.1, 0.5, 0.9, 1.0, 2.0, 5.0, 10.0}) {
    for (double delta : deltas) {
      const double sigma = analytic_gaussian_sigma(1, eps, delta);
      const double sqrt2 = std::sqrt(2.0);
      // Φ(Δ/2σ − εσ/Δ) − e^ε Φ(−Δ/2σ − εσ/Δ), written out here once more with erfc.
      auto exact = [&](double s) {
        const double a = 1 / (2 * s) - eps * s;
        const double b = -1 / (2 * s) - eps * s;
        return 0.5 * std::erfc(-a / sqrt2) - std::exp(eps) * 0.5 * std::erfc(-b / sqrt2);
      };
      INFO("ε = " << eps << " δ = " << delta << " σ = " << sigma);
      CHECK(exact(sigma) <= delta);
      CHECK(exact(sigma * (1 - 1e-6)) > delta);
      CHECK(gaussian_epsilon(sigma, 1, delta) == Approx(eps).epsilon(1e-6));
      CHECK(analytic_gaussian_sigma(3, eps, delta) == Approx(3 * sigma).epsilon(1e-9));
    }
  }
}

TEST_CASE("the classic bound refuses epsilon of 1 or more and calibrators check their inputs") {
  CHECK_THROWS_WITH(classic_gaussian_sigma(1, 1, 1e-5), Catch::Contains("epsilon"));
  CHECK_THROWS_WITH(classic_gaussian_sigma(1, 0.5, 0), Catch::Contains("delta"));
  CHECK_THROWS_WITH(analytic_gaussian_sigma(0, 1, 1e-5), Catch::Contains("sensitivity"));
  CHECK_THROWS_WITH(analytic_gaussian_sigma(1, 0, 1e-5), Catch::Contains("epsilon"));
  CHECK_THROWS_WITH(analytic_gaussian_sigma(1, 1, 1.5), Catch::Contains("delta"));
  CHECK_THROWS_WITH(gaussian_epsilon(-1, 1, 1e-5), Catch::Contains("sigma"));
  CHECK_THROWS_WITH(discrete_gaussian_delta(0, 1, 1), Catch::Contains("sigma2"));
  CHECK_THROWS_WITH(discrete_gaussian_variance(0, 1, 1e-5), Catch::Contains("sensitivity"));
}

// -- discrete Gaussian --------------------------------------------------------

TEST_CASE("discrete_gaussian_delta matches a brute-force sum of CKS Theorem 7") {
  for (double sigma2 : {0.5, 1.0, 2.5, 10.0, 100.0, 1000.0}) {
    for (std::int64_t m : {1, 2, 5}) {
      for (double eps : {0.1, 1.0, 3.0}) {
        const double fast = discrete_gaussian_delta(sigma2, static_cast<std::uint64_t>(m), eps);
        const double slow = brute_force_discrete_delta(sigma2, m, eps);
        INFO("σ² = " << sigma2 << " Δ = " << m << " ε = " << eps);
        CHECK(fast >= slow * (1 - 1e-9));
        CHECK(fast <= slow * (1 + 1e-9) + 1e-300);
      }
    }
  }
}

TEST_CASE("the discrete Gaussian can need more noise than the continuous calibration gives") {
  // CKS's own observation: at a few grid steps of σ the discrete δ exceeds the continuous one.
  const double sigma = analytic_gaussian_sigma(1, 3, 1e-3);
  CHECK(discrete_gaussian_delta(sigma * sigma, 1, 3) > 1.2e-3);
  const auto v = discrete_gaussian_variance(1, 3, 1e-3);
  CHECK(v.to_double() > sigma * sigma);
  CHECK(v.to_double() < 1.2 * sigma * sigma);
  CHECK(discrete_gaussian_delta(v.to_double(), 1, 3) <= 1e-3);
}

TEST_CASE("the calibrated discrete variance meets the discrete delta at every scale") {
  for (std::uint64_t m : {1, 3, 300}) {
    for (double eps : {0.1, 1.0, 3.0}) {
      for (double delta : {1e-3, 1e-6}) {
        const auto v = discrete_gaussian_variance(m, eps, delta);
        const double continuous = analytic_gaussian_sigma(double(m), eps, delta);
        INFO("Δ = " << m << " ε = " << eps << " δ = " << delta << " σ² = " << v.to_double());
        CHECK(discrete_gaussian_delta(v.to_double(), m, eps) <= delta);
        CHECK(v.to_double() >= continuous * continuous);
        CHECK(v.to_double() <= 1.25 * continuous * continuous);
        if (m == 300) {  // a fine grid: discrete and continuous agree closely
          CHECK(v.to_double() <= (1 + 1e-4) * continuous * continuous);
        }
      }
    }
  }
  const auto classic = discrete_gaussian_variance(2, 0.5, 1e-5, false);
  CHECK(classic.to_double() >= std::pow(classic_gaussian_sigma(2, 0.5, 1e-5), 2));
}

TEST_CASE("past its term budget the discrete delta falls back to a valid looser bound") {
  const std::uint64_t m = std::uint64_t{1} << 30;
  const double sigma = analytic_gaussian_sigma(double(m), 1, 1e-6);
  const double bound = discrete_gaussian_delta(sigma * sigma, m, 1);
  CHECK(bound >= 1e-6 * (1 - 1e-6));  // never below the (here all but identical) continuous δ
  CHECK(bound <= 1);
}
