// Calibration maths: rounding the spec's doubles to rationals (upward), the continuous analytic and
// classic Gaussian σ, and the discrete Gaussian's exact (ε, δ) curve used to check its σ.
#include "privacy/dp_calibration.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>

namespace aia::privacy {

namespace {

constexpr double max_grid_sensitivity = 9007199254740992.0;  // 2^53: every count is a double

[[noreturn]] void invalid(const char* where, const char* what) {
  throw std::invalid_argument(std::string{where} + ": " + what);
}

void require_positive(const char* where, const char* name, double v) {
  if (!std::isfinite(v) || v <= 0) {
    invalid(where, (std::string{name} + " must be finite and > 0").c_str());
  }
}

void require_delta(const char* where, double delta) {
  if (!(delta > 0 && delta < 1)) {
    invalid(where, "delta must be in (0, 1)");
  }
}

void require_grid_sensitivity(const char* where, std::uint64_t m) {
  if (m == 0 || static_cast<double>(m) > max_grid_sensitivity) {
    invalid(where, "sensitivity (grid steps) must be in [1, 2^53]");
  }
}

/// The double at or above x·y: the product, one ulp higher if the fma residual shows it rounded
/// down. Used wherever a noise parameter must not shrink through rounding.
double product_up(double x, double y) {
  const double p = x * y;
  return std::fma(x, y, -p) > 0 ? std::nextafter(p, HUGE_VAL) : p;
}

/// The double at or above x/y (y > 0), by the same residual test.
double quotient_up(double x, double y) {
  const double q = x / y;
  return std::fma(q, y, -x) < 0 ? std::nextafter(q, HUGE_VAL) : q;
}

/// log Φ(x), accurate in both tails: log1p above 0, erfc down to -30, then the asymptotic series.
double log_ndtr(double x) {
  if (x > 0) {
    return std::log1p(-0.5 * std::erfc(x / std::numbers::sqrt2));
  }
  if (x > -30) {
    return std::log(0.5 * std::erfc(-x / std::numbers::sqrt2));
  }
  const double z = 1 / (x * x);
  const double series = 1 - z * (1 - z * (3 - z * (15 - z * 105)));
  return -0.5 * x * x - std::log(-x) - 0.5 * std::log(2 * std::numbers::pi) + std::log(series);
}

/// Φ(a) − e^ε Φ(b), both terms formed in log space so that large ε cannot overflow.
double profile(double a, double b, double epsilon) {
  const double d = std::exp(log_ndtr(a)) - std::exp(epsilon + log_ndtr(b));
  return std::max(d, 0.0);
}

/// Bisection of a decreasing `f` for the smallest x with f(x) <= target, bracketed first by
/// doubling/halving from `start`; returns the upper end, which always satisfies the condition.
template <class F>
double smallest_satisfying(F f, double target, double start) {
  double lo = start;
  double hi = start;
  if (f(hi) > target) {
    while (f(hi) > target) {
      lo = hi;
      hi *= 2;
    }
  } else {
    while (f(lo) <= target) {
      hi = lo;
      lo /= 2;
    }
  }
  for (int i = 0; i < 200 && hi - lo > hi * 1e-15; ++i) {
    const double mid = lo + (hi - lo) / 2;
    (f(mid) <= target ? hi : lo) = mid;
  }
  return hi;
}

/// The closed-form bound on the discrete Gaussian's δ for a tail set {x >= L}, L >= 0, derived in
/// DP.md: Q(L/σ) − e^ε Q((L+Δ)/σ) + φ(L/σ)/σ. Used only when the exact sum would be too long.
double discrete_delta_bound(double sigma2, double m, double epsilon, double boundary) {
  const double sigma = std::sqrt(sigma2);
  double worst = 0;
  for (double l = std::floor(boundary) - 1; l <= std::floor(boundary) + 2; ++l) {
    if (l < 0) {
      return 1.0;  // the bound needs a tail set right of 0; δ <= 1 is all we claim
    }
    const double density = std::exp(-l * l / (2 * sigma2)) / std::sqrt(2 * std::numbers::pi * sigma2);
    worst = std::max(worst, profile(-l / sigma, -(l + m) / sigma, epsilon) + density);
  }
  return std::min(worst, 1.0);
}

} // namespace

// -- rationals and the grid ---------------------------------------------------

rational rational_at_least(double x) {
  if (!std::isfinite(x) || x <= 0 || x > static_cast<double>(max_rational_term)) {
    invalid("rational_at_least", "x must be finite and in (0, 2^62]");
  }
  int e = 0;
  std::frexp(x, &e);  // x in [2^(e-1), 2^e)
  const int k = std::clamp(rational_precision_bits + 1 - e, 0, 62);
  // Scaling by 2^k and ceil are both exact in binary floating point: num/2^k >= x, always.
  rational r{static_cast<std::uint64_t>(std::ceil(std::ldexp(x, k))), std::uint64_t{1} << k};
  while (r.num % 2 == 0 && r.den % 2 == 0) {
    r.num /= 2;
    r.den /= 2;
  }
  return r;
}

double grid_granularity(double requested, double sensitivity) {
  require_positive("grid_granularity", "sensitivity", sensitivity);
  if (!std::isfinite(requested) || requested < 0) {
    invalid("grid_granularity", "granularity must be finite and >= 0 (0 picks one)");
  }
  int e = 0;
  double g = 0;
  if (requested == 0) {
    std::frexp(sensitivity, &e);
    g = std::ldexp(1.0, e - 1 - 8);  // sensitivity/g in [256, 512)
  } else {
    std::frexp(requested, &e);
    g = std::ldexp(1.0, e - 1);
  }
  if (g < DBL_MIN) {
    invalid("grid_granularity", "granularity underflows (below the smallest normal double)");
  }
  return g;
}

std::uint64_t grid_sensitivity(double sensitivity, double granularity) {
  require_positive("grid_sensitivity", "sensitivity", sensitivity);
  require_positive("grid_sensitivity", "granularity", granularity);
  const double q = sensitivity / granularity;
  if (!(q <= max_grid_sensitivity)) {
    invalid("grid_sensitivity", "sensitivity/granularity exceeds 2^53");
  }
  double steps = std::max(std::ceil(q), 1.0);
  while (std::fma(steps, granularity, -sensitivity) < 0) {  // steps·γ must reach Δ exactly
    steps += 1;
  }
  return static_cast<std::uint64_t>(steps);
}

rational discrete_laplace_scale(std::uint64_t grid_sensitivity, double epsilon) {
  require_grid_sensitivity("discrete_laplace_scale", grid_sensitivity);
  require_positive("discrete_laplace_scale", "epsilon", epsilon);
  const double scale = quotient_up(static_cast<double>(grid_sensitivity), epsilon);
  if (scale > static_cast<double>(max_rational_term)) {
    invalid("discrete_laplace_scale", "the scale exceeds 2^62 grid steps: coarsen the granularity");
  }
  return rational_at_least(scale);
}

// -- continuous Gaussian ------------------------------------------------------

double gaussian_delta(double sigma, double sensitivity, double epsilon) {
  require_positive("gaussian_delta", "sigma", sigma);
  require_positive("gaussian_delta", "sensitivity", sensitivity);
  if (!std::isfinite(epsilon) || epsilon < 0) {
    invalid("gaussian_delta", "epsilon must be finite and >= 0");
  }
  const double half = sensitivity / (2 * sigma);
  const double shift = epsilon * sigma / sensitivity;
  return profile(half - shift, -half - shift, epsilon);
}

double gaussian_epsilon(double sigma, double sensitivity, double delta) {
  require_positive("gaussian_epsilon", "sigma", sigma);
  require_positive("gaussian_epsilon", "sensitivity", sensitivity);
  require_delta("gaussian_epsilon", delta);
  auto f = [&](double eps) { return gaussian_delta(sigma, sensitivity, eps); };
  if (f(0) <= delta) {
    return 0;
  }
  return smallest_satisfying(f, delta, 1.0) * (1 + 1e-9);
}

double analytic_gaussian_sigma(double sensitivity, double epsilon, double delta) {
  require_positive("analytic_gaussian_sigma", "sensitivity", sensitivity);
  require_positive("analytic_gaussian_sigma", "epsilon", epsilon);
  require_delta("analytic_gaussian_sigma", delta);
  auto f = [&](double sigma) { return gaussian_delta(sigma, sensitivity, epsilon); };
  return smallest_satisfying(f, delta, sensitivity / epsilon) * (1 + 1e-9);
}

double classic_gaussian_sigma(double sensitivity, double epsilon, double delta) {
  require_positive("classic_gaussian_sigma", "sensitivity", sensitivity);
  if (!(epsilon > 0 && epsilon < 1)) {
    invalid("classic_gaussian_sigma", "epsilon must be in (0, 1): the classic bound is proved only there");
  }
  require_delta("classic_gaussian_sigma", delta);
  return std::sqrt(2 * std::log(1.25 / delta)) * sensitivity / epsilon;
}

// -- discrete Gaussian --------------------------------------------------------

double discrete_gaussian_delta(double sigma2, std::uint64_t sensitivity, double epsilon) {
  if (!std::isfinite(sigma2) || sigma2 <= 0) {
    invalid("discrete_gaussian_delta", "sigma2 must be finite and > 0");
  }
  require_grid_sensitivity("discrete_gaussian_delta", sensitivity);
  if (!std::isfinite(epsilon) || epsilon < 0) {
    invalid("discrete_gaussian_delta", "epsilon must be finite and >= 0");
  }
  const double m = static_cast<double>(sensitivity);
  const double sigma = std::sqrt(sigma2);
  // Outputs x > boundary have privacy loss above ε; δ sums p(x) − e^ε p(x + Δ) over them.
  const double boundary = epsilon * sigma2 / m - m / 2;
  const double x0 = std::floor(boundary) - 1;  // one step early: max(0, ·) absorbs rounding
  const double tail = std::min(10 * sigma, 46 * sigma2 / std::max(boundary, 1.0));
  if (m + std::max(-x0, 0.0) + tail > 67108864.0) {  // 2^26 terms: take the closed form
    return discrete_delta_bound(sigma2, m, epsilon, boundary);
  }
  // Normaliser: a direct sum for small σ, else sqrt(2πσ²), a lower bound within e^-300.
  double log_z = 0.5 * std::log(2 * std::numbers::pi * sigma2);
  if (sigma2 < 16) {
    double z = 1;
    for (int x = 1; x <= 200; ++x) {
      z += 2 * std::exp(-x * static_cast<double>(x) / (2 * sigma2));
    }
    log_z = std::log(z);
  }
  // Terms relative to exp(-c²/2σ²), c the point of the range closest to 0, so none overflows.
  const double c = std::max(x0, 0.0);
  auto rel = [&](double x) { return std::exp(-(x - c) * (x + c) / (2 * sigma2)); };
  auto ratio = [&](double x) { return std::exp(-(2 * x + 1) / (2 * sigma2)); };
  const double step = std::exp(-1 / sigma2);
  const double scale = std::exp(-c * c / (2 * sigma2) - log_z);
  double sum = 0;
  double h0 = 0, r0 = 0, h1 = 0, r1 = 0;
  for (long i = 0;; ++i) {
    const double x = x0 + static_cast<double>(i);
    if (i > 134217728) {  // 2^27: the estimate above was off; the closed form is still valid
      return discrete_delta_bound(sigma2, m, epsilon, boundary);
    }
    if (i % 1024 == 0) {  // re-anchor the multiplicative recurrences against drift
      h0 = rel(x);
      r0 = ratio(x);
      h1 = std::exp(epsilon) * rel(x + m);
      r1 = ratio(x + m);
    }
    if (h0 > h1) {
      sum += h0 - h1;
    }
    if (i % 64 == 63 && x > boundary && x >= 0) {
      // Later positive terms are at most p(y) for y > x, whose ratios only shrink from here.
      const double rest = h0 * r0 / -std::expm1(-(2 * x + 1) / (2 * sigma2));
      if (rest <= 1e-17 * sum || rest * scale < 1e-300) {
        sum += rest;
        break;
      }
    }
    h0 *= r0;
    r0 *= step;
    h1 *= r1;
    r1 *= step;
  }
  return std::min(sum * scale, 1.0);
}

rational discrete_gaussian_variance(std::uint64_t sensitivity, double epsilon, double delta,
                                   bool analytic) {
  require_grid_sensitivity("discrete_gaussian_variance", sensitivity);
  require_positive("discrete_gaussian_variance", "epsilon", epsilon);
  require_delta("discrete_gaussian_variance", delta);
  const double m = static_cast<double>(sensitivity);
  const double sigma0 =
    analytic ? analytic_gaussian_sigma(m, epsilon, delta) : classic_gaussian_sigma(m, epsilon, delta);
  auto variance_at = [](double sigma) {
    const double v = product_up(sigma, sigma);
    if (v > static_cast<double>(max_rational_term)) {
      invalid("discrete_gaussian_variance",
              "the variance exceeds 2^62 grid steps squared: coarsen the granularity");
    }
    return rational_at_least(v);
  };
  // The check runs at the exact variance the sampler will use; 1e-9 covers rounding in the sum.
  auto private_enough = [&](const rational& v) {
    return discrete_gaussian_delta(v.to_double(), sensitivity, epsilon) <= delta * (1 - 1e-9);
  };
  rational best = variance_at(sigma0);
  if (private_enough(best)) {
    return best;
  }
  double failed = 0;
  double grow = 1.0 / 1048576;  // 2^-20, doubled until the discrete δ fits
  for (;;) {
    if (grow > 64) {
      throw std::logic_error("discrete_gaussian_variance: no variance met the discrete delta");
    }
    best = variance_at(sigma0 * (1 + grow));
    if (private_enough(best)) {
      break;
    }
    failed = grow;
    grow *= 2;
  }
  for (int i = 0; i < 16; ++i) {
    const double mid = (failed + grow) / 2;
    const rational v = variance_at(sigma0 * (1 + mid));
    if (private_enough(v)) {
      best = v;
      grow = mid;
    } else {
      failed = mid;
    }
  }
  return best;
}

} // namespace aia::privacy
