// Tests of DP accounting: composition theorems against textbook values, RDP closed forms against
// direct sums, the RDP conversion against the CKS reference code, and the ledger's choice.
#include "privacy/dp_accounting.hpp"

#include "privacy/dp_calibration.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

using namespace aia::privacy;

namespace {

/// D_α between an integer-supported pmf and its shift by m, by direct summation; `log_p` gives
/// ln p(x), so that far tails neither underflow nor overflow.
template <class LogPmf>
double brute_force_rdp(double alpha, std::int64_t m, LogPmf log_p, std::int64_t width) {
  double sum = 0;
  for (std::int64_t x = -width; x <= width; ++x) {
    sum += std::exp(alpha * log_p(x) + (1 - alpha) * log_p(x - m));
  }
  return std::log(sum) / (alpha - 1);
}

std::vector<dp_release> gaussians(int k, double sigma) {
  return std::vector<dp_release>(
    k, dp_release{mechanism_kind::gaussian, 0.1, 1e-6, sigma, 1.0});
}

} // namespace

// -- composition theorems -----------------------------------------------------

TEST_CASE("basic composition adds epsilons and deltas") {
  const std::vector<dp_guarantee> parts{{0.5, 1e-6}, {0.25, 0}, {1, 1e-5}};
  const auto g = compose_basic(parts);
  CHECK(g.epsilon == Approx(1.75));
  CHECK(g.delta == Approx(1.1e-5));
  CHECK(compose_basic({}).epsilon == 0);
}

TEST_CASE("advanced composition gives the Dwork-Rothblum-Vadhan values") {
  // k = 100, ε0 = 0.1, δ' = 1e-5: 0.1·sqrt(200 ln 1e5) + 100·0.1·(e^0.1 − 1) = 5.85023509...
  const auto g = compose_advanced(100, {0.1, 1e-7}, 1e-5);
  CHECK(g.epsilon == Approx(5.8502350929445575).epsilon(1e-12));
  CHECK(g.delta == Approx(100 * 1e-7 + 1e-5));
  // Dwork & Roth, Cor. 3.21: ε0 = ε/(2 sqrt(2k ln(1/δ'))) keeps k-fold composition within ε < 1.
  for (std::uint64_t k : {10, 100, 10000}) {
    for (double eps : {0.1, 0.5, 0.9}) {
      const double e0 = eps / (2 * std::sqrt(2 * double(k) * std::log(1e5)));
      CHECK(compose_advanced(k, {e0, 0}, 1e-5).epsilon <= eps);
    }
  }
  // The heterogeneous form agrees with the homogeneous one on identical parts.
  const std::vector<dp_guarantee> same(100, dp_guarantee{0.1, 1e-7});
  CHECK(compose_advanced(same, 1e-5).epsilon == Approx(g.epsilon).epsilon(1e-12));
  CHECK(compose_advanced(same, 1e-5).delta == Approx(g.delta).epsilon(1e-12));
}

TEST_CASE("composition rejects invalid parts and slack naming them") {
  CHECK_THROWS_WITH(compose_advanced(10, {0.1, 0}, 0), Catch::Contains("delta_slack"));
  CHECK_THROWS_WITH(compose_advanced(10, {-0.1, 0}, 1e-5), Catch::Contains("epsilon"));
  const std::vector<dp_guarantee> bad{{0.1, 1.5}};
  CHECK_THROWS_WITH(compose_basic(bad), Catch::Contains("delta"));
}

// -- Rényi DP -----------------------------------------------------------------

TEST_CASE("RDP closed forms match their textbook values and direct sums") {
  CHECK(rdp_gaussian(2, 1, 1) == Approx(1.0));  // Mironov: α/(2σ²)
  CHECK(rdp_gaussian(10, 5, 2) == Approx(10 * 4 / 50.0));
  // Pure ε-DP: at most ε, at most αε²/2 (Bun & Steinke), and the exact discrete Laplace at shift 1.
  for (double alpha : {1.5, 2.0, 8.0, 64.0}) {
    for (double eps : {0.1, 1.0, 3.0}) {
      const double pure = rdp_pure_dp(alpha, eps);
      CHECK(pure <= eps);
      CHECK(pure <= alpha * eps * eps / 2 + 1e-12);
      CHECK(pure == Approx(rdp_discrete_laplace(alpha, 1, 1 / eps)).epsilon(1e-10));
      CHECK(rdp_laplace(alpha, eps) <= pure + 1e-12);  // continuous noise leaks less than RR
    }
  }
  // The exact discrete Laplace formula against a direct sum.
  for (std::int64_t m : {1, 2, 7}) {
    for (double b : {0.5, 2.0, 10.0}) {
      for (double alpha : {1.5, 3.0, 20.0}) {
        auto log_p = [&](std::int64_t x) {
          return std::log(std::tanh(1 / (2 * b))) - std::fabs(double(x)) / b;
        };
        const double direct = brute_force_rdp(alpha, m, log_p, static_cast<std::int64_t>(200 * b) + 50);
        INFO("m = " << m << " b = " << b << " α = " << alpha);
        CHECK(rdp_discrete_laplace(alpha, static_cast<std::uint64_t>(m), b)
              == Approx(direct).epsilon(1e-9));
      }
    }
  }
  // At a fine grid the discrete Laplace approaches Mironov's continuous closed form.
  CHECK(rdp_discrete_laplace(4, 1000, 1000) == Approx(rdp_laplace(4, 1)).epsilon(1e-3));
}

TEST_CASE("the RDP conversion is the improved one and matches the CKS reference code") {
  // cdp2adp.py (Canonne, Kamath & Steinke) cdp_eps(ρ, δ) for ρ-zCDP, i.e. RDP α·ρ at every α.
  struct reference {
    double rho, delta, epsilon;
  };
  for (auto r : {reference{0.025, 1e-6, 1.014074254726128}, reference{0.5, 1e-5, 4.728386984943314},
                 reference{0.01, 1e-9, 0.8101744678675342},
                 reference{2.0, 1e-6, 11.688596249354894}}) {
    const std::vector<dp_release> one{
      {mechanism_kind::gaussian, 100, 0.5, 1 / std::sqrt(2 * r.rho), 1.0}};
    const auto bound = compose_ledger(one, r.delta);
    INFO("ρ = " << r.rho << " δ = " << r.delta);
    CHECK(bound.rdp_epsilon == Approx(r.epsilon).epsilon(1e-6));
    // Improved < classic < Bun–Steinke's ρ + 2 sqrt(ρ ln 1/δ) at the same order.
    const double a = bound.rdp_order;
    CHECK(rdp_to_epsilon(a, a * r.rho, r.delta) < rdp_to_epsilon_classic(a, a * r.rho, r.delta));
    CHECK(bound.rdp_epsilon < r.rho + 2 * std::sqrt(r.rho * std::log(1 / r.delta)));
  }
}

TEST_CASE("RDP accounting never beats the exact epsilon of a single Gaussian") {
  for (double sigma : {0.7, 2.0, 10.0}) {
    for (double delta : {1e-3, 1e-6}) {
      const std::vector<dp_release> one{{mechanism_kind::gaussian, 100, 0.5, sigma, 1.0}};
      CHECK(compose_ledger(one, delta).rdp_epsilon >= gaussian_epsilon(sigma, 1, delta));
    }
  }
}

// -- ledgers --------------------------------------------------------------------

TEST_CASE("RDP is tighter than advanced composition for 100 Gaussian releases") {
  const double sigma = analytic_gaussian_sigma(1, 0.1, 1e-6);
  const auto ledger = gaussians(100, sigma);
  const auto bound = compose_ledger(ledger, 1e-3);
  INFO("σ = " << sigma << " basic " << bound.basic_epsilon << " advanced "
              << bound.advanced_epsilon << " rdp " << bound.rdp_epsilon);
  CHECK(bound.method == composition_method::rdp);
  CHECK(bound.delta == 1e-3);
  CHECK(bound.basic_epsilon == Approx(10.0));
  CHECK(bound.advanced_epsilon < bound.basic_epsilon);
  CHECK(bound.rdp_epsilon < bound.advanced_epsilon / 3);
  CHECK(bound.epsilon == bound.rdp_epsilon);
  CHECK(std::string{to_string(bound.method)} == "rdp");
}

TEST_CASE("the ledger picks basic composition for a few pure releases") {
  const std::vector<dp_release> two{{mechanism_kind::laplace, 0.5, 0, 0, 0},
                                    {mechanism_kind::laplace, 0.25, 0, 0, 0}};
  const auto bound = compose_ledger(two, 1e-6);
  CHECK(bound.method == composition_method::basic);
  CHECK(bound.epsilon == Approx(0.75));
  CHECK(bound.delta == 0);
  CHECK(bound.rdp_epsilon > bound.basic_epsilon);
}

TEST_CASE("the ledger picks advanced composition for many small pure releases") {
  const std::vector<dp_release> many(10000, dp_release{mechanism_kind::laplace, 0.01, 0, 0, 0});
  const auto bound = compose_ledger(many, 1e-5);
  INFO("basic " << bound.basic_epsilon << " advanced " << bound.advanced_epsilon << " rdp "
                << bound.rdp_epsilon);
  CHECK(bound.basic_epsilon == Approx(100));
  CHECK(bound.epsilon < 10);
  CHECK(bound.method != composition_method::basic);
}

TEST_CASE("the ledger reports which methods do not apply") {
  SECTION("a Gaussian without sigma leaves RDP out") {
    const std::vector<dp_release> r{{mechanism_kind::gaussian, 1, 1e-6, 0, 0}};
    const auto bound = compose_ledger(r, 1e-5);
    CHECK(std::isinf(bound.rdp_epsilon));
    CHECK(bound.method == composition_method::basic);
  }
  SECTION("deltas above the target leave only RDP") {
    const auto ledger = gaussians(100, analytic_gaussian_sigma(1, 0.1, 1e-6));
    const auto bound = compose_ledger(ledger, 1e-5);
    CHECK(std::isinf(bound.basic_epsilon));
    CHECK(std::isinf(bound.advanced_epsilon));
    CHECK(bound.method == composition_method::rdp);
  }
  SECTION("an empty ledger costs nothing") {
    const auto bound = compose_ledger({}, 1e-5);
    CHECK(bound.epsilon == 0);
  }
  SECTION("invalid input throws") {
    const std::vector<dp_release> impure{{mechanism_kind::laplace, 1, 1e-6, 0, 0}};
    CHECK_THROWS_WITH(compose_ledger(impure, 1e-5), Catch::Contains("delta"));
    CHECK_THROWS_WITH(compose_ledger({}, 0), Catch::Contains("target_delta"));
    CHECK_THROWS_WITH(rdp_gaussian(1, 1, 1), Catch::Contains("alpha"));
    CHECK_THROWS_WITH(rdp_to_epsilon(2, 1, 0), Catch::Contains("delta"));
  }
}
