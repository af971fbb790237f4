// Calibration of the DP mechanisms: the spec's doubles (sensitivity, ε, δ, granularity) turned
// into the exact samplers' rational parameters, the analytic Gaussian σ (Balle & Wang 2018), the
// classic σ, and the exact (ε, δ) of the discrete Gaussian (Canonne, Kamath & Steinke 2020).
#pragma once

#include <cstdint>

namespace aia::privacy {

/// A positive rational num/den, the form the exact samplers take their parameters in.
struct rational {
  std::uint64_t num = 0;
  std::uint64_t den = 1;

  /// num/den rounded to the nearest double (for reporting and floating-point bounds).
  [[nodiscard]] double to_double() const noexcept {
    return static_cast<double>(num) / static_cast<double>(den);
  }
  friend bool operator==(const rational&, const rational&) = default;
};

/// Largest numerator or denominator a sampler accepts: 2^62.
inline constexpr std::uint64_t max_rational_term = std::uint64_t{1} << 62;

/// Relative precision of rational_at_least: the result exceeds x by less than 2^-40 relative.
inline constexpr int rational_precision_bits = 40;

/// The smallest num/2^k >= x with num < 2^41 (so within 2^-40 relative), reduced; never below x.
/// For x >= 2^41 it is ceil(x)/1; below 2^-21 the denominator stops at 2^62, so the result is
/// ceil(x·2^62)/2^62 (coarser, still >= x). This is how noise scales and variances become
/// rationals: always rounded UP, so the noise is never smaller than calibrated. Throws
/// std::invalid_argument unless 0 < x <= 2^62 (finite).
[[nodiscard]] rational rational_at_least(double x);

/// The grid the mechanisms release on: the largest power of two <= `requested` (so that value/γ
/// and the rounding to the grid are exact in binary floating point), or, if `requested` is 0,
/// the power of two that puts sensitivity/γ in [256, 512). Throws std::invalid_argument naming
/// the parameter if either is negative, not finite, or the sensitivity is 0.
[[nodiscard]] double grid_granularity(double requested, double sensitivity);

/// ceil(sensitivity / granularity), exactly: the sensitivity in grid steps once values are
/// rounded to the grid (a difference of Δ can become at most this many steps). Throws
/// std::invalid_argument if either is not positive and finite, or the ratio exceeds 2^62.
[[nodiscard]] std::uint64_t grid_sensitivity(double sensitivity, double granularity);

/// The discrete Laplace scale, in grid steps, for pure ε-DP at integer sensitivity
/// `grid_sensitivity`: grid_sensitivity/ε rounded up (exactly, then by rational_at_least).
[[nodiscard]] rational discrete_laplace_scale(std::uint64_t grid_sensitivity, double epsilon);

/// δ of the continuous Gaussian mechanism at (σ, Δ, ε), exactly (Balle & Wang 2018, Thm 8):
/// Φ(Δ/2σ − εσ/Δ) − e^ε Φ(−Δ/2σ − εσ/Δ), with Φ from std::erfc (log-space in the far tail).
[[nodiscard]] double gaussian_delta(double sigma, double sensitivity, double epsilon);

/// The smallest ε for which the continuous Gaussian with (σ, Δ) is (ε, δ)-DP (0 if δ suffices
/// alone); bisection on gaussian_delta, rounded up.
[[nodiscard]] double gaussian_epsilon(double sigma, double sensitivity, double delta);

/// The analytic Gaussian mechanism's σ (Balle & Wang 2018, Algorithm 1 in effect): the smallest σ
/// with gaussian_delta(σ, Δ, ε) <= δ, found by bisection on σ and rounded up by 1e-9 relative so
/// that rounding in Φ cannot tip it below. Valid for every ε > 0 and δ in (0, 1).
[[nodiscard]] double analytic_gaussian_sigma(double sensitivity, double epsilon, double delta);

/// The classic bound sqrt(2 ln(1.25/δ))·Δ/ε (Dwork & Roth 2014, Thm A.1). It is proved only for
/// ε < 1, so other ε throw std::invalid_argument; it always exceeds the analytic σ.
[[nodiscard]] double classic_gaussian_sigma(double sensitivity, double epsilon, double delta);

/// δ of the discrete Gaussian N_Z(0, σ²) added to an integer query of sensitivity `sensitivity`
/// (CKS 2020, Thm 7: P[X > εσ²/Δ − Δ/2] − e^ε P[X > εσ²/Δ + Δ/2]), summed term by term with a
/// bounded tail, so never below the true value. Past 2^26 terms it returns a looser closed-form
/// upper bound instead (see DP.md).
[[nodiscard]] double discrete_gaussian_delta(double sigma2, std::uint64_t sensitivity,
                                             double epsilon);

/// The variance, in grid steps squared, for an (ε, δ)-DP discrete Gaussian at integer sensitivity:
/// σ from analytic_gaussian_sigma (or classic_gaussian_sigma if `analytic` is false), squared and
/// rounded up, then raised until discrete_gaussian_delta at that exact variance is <= δ (the
/// discrete δ can exceed the continuous one by tens of percent when σ is a few grid steps).
[[nodiscard]] rational discrete_gaussian_variance(std::uint64_t sensitivity, double epsilon,
                                                  double delta, bool analytic = true);

} // namespace aia::privacy
