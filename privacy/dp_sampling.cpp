// Exact discrete Laplace and Gaussian sampling (CKS 2020 Algorithms 1-3) in 64/128/256-bit
// integers, and the grid-snapping Laplace and Gaussian mechanisms on top.
#include "privacy/dp_sampling.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace aia::privacy {

namespace {

using u128 = uint128;

constexpr u128 u128_max = ~u128{0};

/// A 256-bit unsigned value: just enough for γ's numerator in the discrete Gaussian's test.
struct u256 {
  u128 hi = 0;
  u128 lo = 0;
};

/// a², for a < 2^127.
u256 square(u128 a) {
  const auto a0 = static_cast<u128>(static_cast<std::uint64_t>(a));
  const auto a1 = a >> 64;
  const u128 low = a0 * a0;
  const u128 cross = 2 * (a1 * a0);  // < 2^128 since a1 < 2^63
  const u128 high = a1 * a1;
  u256 r;
  r.lo = low + (cross << 64);
  r.hi = high + (cross >> 64) + (r.lo < low ? 1 : 0);
  return r;
}

bool at_least(const u256& a, u128 b) {
  return a.hi != 0 || a.lo >= b;
}

void subtract(u256& a, u128 b) {
  if (a.lo < b) {
    --a.hi;
  }
  a.lo -= b;  // wraps exactly when the borrow was taken above
}

/// x·y, or false if it overflows 128 bits.
bool multiply(u128 x, u128 y, u128& out) {
  if (x != 0 && y > u128_max / x) {
    return false;
  }
  out = x * y;
  return true;
}

[[noreturn]] void overflowed(const char* where) {
  throw std::overflow_error(std::string{where} + ": intermediate value overflowed (p < 2^-1000)");
}

void require_term(const char* where, const char* name, std::uint64_t v) {
  if (v == 0 || v > max_rational_term) {
    throw std::invalid_argument(std::string{where} + ": " + name + " must be in [1, 2^62]");
  }
}

/// True with probability num/(den·k), num <= den: one draw below den·k, or two independent draws
/// (num/den, then 1/k) if den·k does not fit.
bool bernoulli_ratio(random_source& rng, u128 num, u128 den, std::uint64_t k) {
  if (num == 0) {
    return false;
  }
  if (u128 range = 0; multiply(den, k, range)) {
    return rng.uniform_below_wide(range) < num;
  }
  return rng.uniform_below_wide(den) < num && rng.uniform_below(k) == 0;
}

/// Bernoulli(exp(-num/den)) for num <= den (CKS Algorithm 1, γ in [0, 1]): count how many
/// Bernoulli(γ/k) trials succeed in a row; the count is even with probability exp(-γ).
bool bernoulli_exp_fraction(random_source& rng, u128 num, u128 den) {
  std::uint64_t k = 1;
  while (bernoulli_ratio(rng, num, den, k)) {
    ++k;
  }
  return k % 2 == 1;
}

/// Bernoulli(exp(-1)): Algorithm 1 with γ = 1, where each trial is Bernoulli(1/k).
bool bernoulli_exp_minus_one(random_source& rng) {
  std::uint64_t k = 2;  // the k = 1 trial, Bernoulli(1), always succeeds
  while (k == 2 ? rng.fair_bit() : rng.uniform_below(k) == 0) {
    ++k;
  }
  return k % 2 == 1;
}

/// Bernoulli(exp(-num/den)) for any γ = num/den (CKS Algorithm 1): floor(γ) Bernoulli(exp(-1))
/// trials, stopping at the first failure, then the fractional part.
bool bernoulli_exp_wide(random_source& rng, u256 num, u128 den) {
  while (at_least(num, den)) {
    if (!bernoulli_exp_minus_one(rng)) {
      return false;
    }
    subtract(num, den);
  }
  return bernoulli_exp_fraction(rng, num.lo, den);
}

/// CKS Algorithm 2, scale t/s: a uniform U < t accepted with probability exp(-U/t), plus t times a
/// geometric V with ratio exp(-1), divided by s; the sign by a fair bit, rejecting "-0".
std::int64_t discrete_laplace(random_source& rng, std::uint64_t t, std::uint64_t s) {
  for (;;) {
    std::uint64_t u = 0;
    if (t > 1) {
      u = rng.uniform_below(t);
      if (!bernoulli_exp_fraction(rng, u, t)) {
        continue;
      }
    }
    std::uint64_t v = 0;
    while (bernoulli_exp_minus_one(rng)) {
      if (++v > max_rational_term) {
        overflowed("sample_discrete_laplace");
      }
    }
    const u128 x = u + static_cast<u128>(t) * v;
    const u128 y = s == 1 ? x : (x >> 64) == 0 ? u128{static_cast<std::uint64_t>(x) / s} : x / s;
    const bool negative = rng.fair_bit();
    if (negative && y == 0) {
      continue;
    }
    if (y > static_cast<u128>(std::numeric_limits<std::int64_t>::max())) {
      overflowed("sample_discrete_laplace");
    }
    const auto magnitude = static_cast<std::int64_t>(y);
    return negative ? -magnitude : magnitude;
  }
}

/// floor(sqrt(n/d)), exactly.
std::uint64_t floor_sqrt_ratio(std::uint64_t n, std::uint64_t d) {
  auto r = static_cast<std::uint64_t>(
    std::sqrt(static_cast<double>(n) / static_cast<double>(d)));
  auto fits = [&](std::uint64_t m) { return static_cast<u128>(m) * m * d <= n; };
  while (r > 0 && !fits(r)) {
    --r;
  }
  while (fits(r + 1)) {
    ++r;
  }
  return r;
}

/// The grid point nearest `value`, ties upward: floor(value/γ + 1/2) in exact arithmetic, which
/// commutes with shifts by whole steps, so inputs Δ apart land at most ceil(Δ/γ) steps apart.
/// (Not floor(x + 0.5) in doubles, which rounds 0.49999999999999994 up, nor nearbyint, whose
/// ties-to-even maps 2.5 and 3.5 two steps apart.) Throws if the value is not finite or too large.
std::int64_t to_grid(double value, double granularity) {
  const double steps = value / granularity;  // exact: γ is a power of two
  if (!std::isfinite(steps) || std::fabs(steps) >= 4503599627370496.0) {  // 2^52
    throw std::invalid_argument("release: value must be finite with |value/granularity| < 2^52");
  }
  const double whole = std::floor(steps);
  const double fraction = steps - whole;  // exact: the low bits of steps
  return static_cast<std::int64_t>(whole) + (fraction >= 0.5 ? 1 : 0);
}

/// γ·(k + noise): the integer sum is the released quantity; the product is exact below 2^53 and
/// otherwise a deterministic rounding of that integer (post-processing).
double from_grid(std::int64_t k, std::int64_t noise, double granularity) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(k, noise, &sum)) {
    overflowed("release");
  }
  return static_cast<double>(sum) * granularity;
}

void require_params(const char* where, double sensitivity, double epsilon) {
  if (!std::isfinite(sensitivity) || sensitivity <= 0) {
    throw std::invalid_argument(std::string{where} + ": sensitivity must be finite and > 0");
  }
  if (!std::isfinite(epsilon) || epsilon <= 0) {
    throw std::invalid_argument(std::string{where} + ": epsilon must be finite and > 0");
  }
}

} // namespace

// -- samplers -----------------------------------------------------------------

bool bernoulli_exp(std::uint64_t num, std::uint64_t den, random_source& rng) {
  require_term("bernoulli_exp", "den", den);
  return bernoulli_exp_wide(rng, u256{0, num}, den);
}

std::int64_t sample_discrete_laplace(std::uint64_t scale_num, std::uint64_t scale_den,
                                     random_source& rng) {
  require_term("sample_discrete_laplace", "scale_num", scale_num);
  require_term("sample_discrete_laplace", "scale_den", scale_den);
  return discrete_laplace(rng, scale_num, scale_den);
}

std::int64_t sample_discrete_gaussian(std::uint64_t sigma2_num, std::uint64_t sigma2_den,
                                      random_source& rng) {
  require_term("sample_discrete_gaussian", "sigma2_num", sigma2_num);
  require_term("sample_discrete_gaussian", "sigma2_den", sigma2_den);
  const std::uint64_t n = sigma2_num;
  const std::uint64_t d = sigma2_den;
  const std::uint64_t t = floor_sqrt_ratio(n, d) + 1;
  // Accept Y with probability exp(-(|Y| - σ²/t)²/(2σ²)) = exp(-(|Y|·d·t - n)² / (2·n·d·t²)).
  u128 dt = 0;
  u128 denominator = 0;
  if (!multiply(d, t, dt) || !multiply(2 * static_cast<u128>(n), dt, denominator)
      || !multiply(denominator, t, denominator)) {
    throw std::invalid_argument("sample_discrete_gaussian: sigma2_num·sigma2_den is too large");
  }
  for (;;) {
    const std::int64_t y = discrete_laplace(rng, t, 1);
    const u128 magnitude = static_cast<std::uint64_t>(y < 0 ? -y : y);  // |y| <= 2^63 - 1
    u128 ydt = 0;
    if (!multiply(magnitude, dt, ydt) || ydt >= u128{1} << 126) {  // square() needs < 2^127
      overflowed("sample_discrete_gaussian");
    }
    const u128 gap = ydt >= n ? ydt - n : n - ydt;
    if (bernoulli_exp_wide(rng, square(gap), denominator)) {
      return y;
    }
  }
}

// -- mechanisms ---------------------------------------------------------------

calibrated_laplace::calibrated_laplace(const laplace_params& params)
  : epsilon_(params.epsilon) {
  require_params("calibrated_laplace", params.sensitivity, params.epsilon);
  granularity_ = grid_granularity(params.granularity, params.sensitivity);
  grid_sensitivity_ = aia::privacy::grid_sensitivity(params.sensitivity, granularity_);
  scale_ = discrete_laplace_scale(grid_sensitivity_, params.epsilon);
}

double calibrated_laplace::release(double value, random_source& rng) const {
  const auto k = to_grid(value, granularity_);
  return from_grid(k, discrete_laplace(rng, scale_.num, scale_.den), granularity_);
}

double calibrated_laplace::effective_sensitivity() const noexcept {
  return static_cast<double>(grid_sensitivity_) * granularity_;
}

calibrated_gaussian::calibrated_gaussian(const gaussian_params& params) {
  require_params("calibrated_gaussian", params.sensitivity, params.epsilon);
  granularity_ = grid_granularity(params.granularity, params.sensitivity);
  grid_sensitivity_ = aia::privacy::grid_sensitivity(params.sensitivity, granularity_);
  sigma2_ =
    discrete_gaussian_variance(grid_sensitivity_, params.epsilon, params.delta, params.analytic);
}

double calibrated_gaussian::release(double value, random_source& rng) const {
  const auto k = to_grid(value, granularity_);
  return from_grid(k, sample_discrete_gaussian(sigma2_.num, sigma2_.den, rng), granularity_);
}

double calibrated_gaussian::effective_sensitivity() const noexcept {
  return static_cast<double>(grid_sensitivity_) * granularity_;
}

double calibrated_gaussian::sigma() const noexcept {
  return std::sqrt(sigma2_.to_double()) * granularity_;
}

double calibrated_gaussian::rho() const noexcept {
  const double m = static_cast<double>(grid_sensitivity_);
  return m * m / (2 * sigma2_.to_double());
}

double laplace_mechanism(double value, const laplace_params& params, random_source& rng) {
  return calibrated_laplace{params}.release(value, rng);
}

double gaussian_mechanism(double value, const gaussian_params& params, random_source& rng) {
  return calibrated_gaussian{params}.release(value, rng);
}

} // namespace aia::privacy
