// Exact DP noise: Bernoulli(exp(-γ)), discrete Laplace and discrete Gaussian samplers over the
// integers (Canonne, Kamath & Steinke 2020, Algorithms 1-3), and the Laplace and Gaussian
// mechanisms built on them, which release values on a power-of-two grid (see privacy/DP.md).
#pragma once

#include "privacy/dp_calibration.hpp"
#include "privacy/random.hpp"

#include <cstdint>

namespace aia::privacy {

// -- exact integer samplers ---------------------------------------------------
// Every random decision is an integer comparison on uniform integers; no floating point touches
// the noise. Parameters must lie in [1, 2^62] (std::invalid_argument names the one that does not).
// Intermediate values use 128/256-bit integers; a sample that would overflow them (probability
// below 2^-1000) throws std::overflow_error rather than return an inexact value.

/// True with probability exp(-num/den), exactly (CKS Algorithm 1); num may be 0.
[[nodiscard]] bool bernoulli_exp(std::uint64_t num, std::uint64_t den, random_source& rng);

/// A discrete Laplace sample: P[x] ∝ exp(-|x|·scale_den/scale_num), i.e. scale num/den
/// (CKS Algorithm 2).
[[nodiscard]] std::int64_t sample_discrete_laplace(std::uint64_t scale_num, std::uint64_t scale_den,
                                                   random_source& rng);

/// A discrete Gaussian sample: P[x] ∝ exp(-x²/(2σ²)) with σ² = sigma2_num/sigma2_den, by
/// rejection from the discrete Laplace of scale floor(σ)+1 (CKS Algorithm 3).
[[nodiscard]] std::int64_t sample_discrete_gaussian(std::uint64_t sigma2_num,
                                                    std::uint64_t sigma2_den, random_source& rng);

// -- mechanisms -----------------------------------------------------------------

/// Pure ε-DP Laplace mechanism for a query of the given sensitivity (absolute difference between
/// neighbouring inputs). granularity: the output grid; rounded down to a power of two, 0 = chosen
/// so that sensitivity/granularity is in [256, 512); use 1 for integer counts.
struct laplace_params {
  double sensitivity = 0;
  double epsilon = 0;
  double granularity = 0;
};

/// (ε, δ)-DP Gaussian mechanism; `analytic` picks Balle–Wang's σ, else the classic one (ε < 1).
struct gaussian_params {
  double sensitivity = 0;
  double epsilon = 0;
  double delta = 0;
  double granularity = 0;
  bool analytic = true;
};

/// A Laplace mechanism calibrated once: value → γ·(round(value/γ) + discrete Laplace noise).
///
/// The noise scale in grid steps is ceil(Δ/γ)/ε rounded up to a rational, so the release is
/// ε-DP with respect to the true Δ. Immutable after construction; share it freely.
class calibrated_laplace {
public:
  /// Calibrates; throws std::invalid_argument naming a non-positive or non-finite parameter.
  explicit calibrated_laplace(const laplace_params& params);

  /// value rounded to the grid plus noise, on the grid. Throws std::invalid_argument if value is
  /// not finite or |value/γ| >= 2^52 (clamp the query to its range first).
  [[nodiscard]] double release(double value, random_source& rng) const;

  /// The grid γ (a power of two) outputs lie on.
  [[nodiscard]] double granularity() const noexcept { return granularity_; }
  /// Sensitivity in grid steps, ceil(Δ/γ).
  [[nodiscard]] std::uint64_t grid_sensitivity() const noexcept { return grid_sensitivity_; }
  /// The sensitivity the noise covers: grid_sensitivity·γ >= Δ.
  [[nodiscard]] double effective_sensitivity() const noexcept;
  /// Noise scale in grid steps (pmf ∝ exp(-|x|/scale)).
  [[nodiscard]] rational scale() const noexcept { return scale_; }
  /// The ε each release spends (pure DP, δ = 0).
  [[nodiscard]] double epsilon() const noexcept { return epsilon_; }

private:
  double granularity_;
  std::uint64_t grid_sensitivity_;
  rational scale_;
  double epsilon_;
};

/// A Gaussian mechanism calibrated once: value → γ·(round(value/γ) + discrete Gaussian noise).
///
/// σ² in grid steps comes from discrete_gaussian_variance: the continuous analytic (or classic)
/// σ, then checked against the discrete Gaussian's exact δ (CKS Thm 7) and raised if needed. The
/// release is (ε, δ)-DP and ρ-zCDP with ρ = effective_sensitivity²/(2·sigma²) (CKS 2020).
class calibrated_gaussian {
public:
  /// Calibrates: µs to ms (the discrete δ check sums ~46·grid_sensitivity/ε terms). Throws
  /// std::invalid_argument naming a bad parameter, and for ε >= 1 when analytic is false.
  explicit calibrated_gaussian(const gaussian_params& params);

  /// value rounded to the grid plus noise, on the grid; throws as calibrated_laplace::release.
  [[nodiscard]] double release(double value, random_source& rng) const;

  /// The grid γ (a power of two) outputs lie on.
  [[nodiscard]] double granularity() const noexcept { return granularity_; }
  /// Sensitivity in grid steps, ceil(Δ/γ).
  [[nodiscard]] std::uint64_t grid_sensitivity() const noexcept { return grid_sensitivity_; }
  /// The sensitivity the noise covers: grid_sensitivity·γ >= Δ (give it to the accountant).
  [[nodiscard]] double effective_sensitivity() const noexcept;
  /// σ² in grid steps, as the sampler uses it.
  [[nodiscard]] rational sigma2() const noexcept { return sigma2_; }
  /// σ in the value's units: sqrt(sigma2)·γ.
  [[nodiscard]] double sigma() const noexcept;
  /// The zCDP (and Rényi: α·ρ at order α) parameter Δ_eff²/(2σ²) for accounting.
  [[nodiscard]] double rho() const noexcept;

private:
  double granularity_;
  std::uint64_t grid_sensitivity_;
  rational sigma2_;
};

/// Calibrates and releases once (calibrated_laplace(params).release(value, rng)).
[[nodiscard]] double laplace_mechanism(double value, const laplace_params& params,
                                       random_source& rng);

/// Calibrates and releases once; build a calibrated_gaussian to release many values cheaply.
[[nodiscard]] double gaussian_mechanism(double value, const gaussian_params& params,
                                        random_source& rng);

} // namespace aia::privacy
