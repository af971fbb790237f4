// Privacy accounting for sequences of releases: basic and advanced (Dwork–Rothblum–Vadhan)
// composition, Rényi DP curves of the Gaussian and Laplace mechanisms, their conversion to (ε, δ),
// and the tightest valid bound for a ledger of releases. Pure functions of their arguments.
#pragma once

#include <cstdint>
#include <span>

namespace aia::privacy {

/// An (ε, δ)-DP guarantee.
struct dp_guarantee {
  double epsilon = 0;
  double delta = 0;
};

// -- (ε, δ) composition ---------------------------------------------------------
// Arguments are validated: ε finite and >= 0, δ and slacks in [0, 1) (slack in (0, 1));
// violations throw std::invalid_argument naming the parameter.

/// Basic composition: (Σε, Σδ).
[[nodiscard]] dp_guarantee compose_basic(std::span<const dp_guarantee> parts);

/// Advanced composition of k (ε0, δ0) mechanisms (Dwork, Rothblum & Vadhan 2010; Dwork & Roth
/// 2014, Thm 3.20): ε = sqrt(2k ln(1/δ'))·ε0 + k·ε0·(e^ε0 − 1), δ = k·δ0 + δ'.
[[nodiscard]] dp_guarantee compose_advanced(std::uint64_t k, const dp_guarantee& each,
                                            double delta_slack);

/// The same for different (ε_i, δ_i) (same proof, Azuma with ranges ε_i):
/// ε = sqrt(2 ln(1/δ') Σε_i²) + Σ ε_i (e^ε_i − 1), δ = Σδ_i + δ'.
[[nodiscard]] dp_guarantee compose_advanced(std::span<const dp_guarantee> parts,
                                            double delta_slack);

// -- Rényi DP (orders α > 1) ----------------------------------------------------------

/// RDP of the Gaussian mechanism, continuous or discrete (same bound, CKS 2020): αΔ²/(2σ²).
[[nodiscard]] double rdp_gaussian(double alpha, double sigma, double sensitivity);

/// RDP of the continuous Laplace mechanism with scale Δ/ε (Mironov 2017, Table II):
/// 1/(α−1)·ln(α/(2α−1)·e^{(α−1)ε} + (α−1)/(2α−1)·e^{−αε}). Not valid for the discrete one.
[[nodiscard]] double rdp_laplace(double alpha, double epsilon);

/// The largest RDP any pure ε-DP mechanism can have (randomized response attains it):
/// 1/(α−1)·ln((e^{αε} + e^{(1−α)ε})/(e^ε + 1)). Used for discrete Laplace releases.
[[nodiscard]] double rdp_pure_dp(double alpha, double epsilon);

/// RDP of the discrete Laplace of scale `scale` between inputs `shift` grid steps apart, exactly
/// (geometric sums; shift 1 equals rdp_pure_dp(α, 1/scale)).
[[nodiscard]] double rdp_discrete_laplace(double alpha, std::uint64_t shift, double scale);

/// Converts (α, τ)-RDP to the ε of (ε, δ)-DP by the improved conversion of Canonne, Kamath &
/// Steinke 2020 and Balle et al. 2020: ε = τ + ln((α−1)/α) − (ln δ + ln α)/(α−1), floored at 0.
[[nodiscard]] double rdp_to_epsilon(double alpha, double rdp, double delta);

/// Mironov's original conversion, ε = τ + ln(1/δ)/(α−1): looser, kept for comparison.
[[nodiscard]] double rdp_to_epsilon_classic(double alpha, double rdp, double delta);

/// The orders the RDP accountant tries first (1.01 to 8192), before refining around the best.
[[nodiscard]] std::span<const double> rdp_orders() noexcept;

// -- ledgers -------------------------------------------------------------------------

enum class mechanism_kind : std::uint8_t { laplace, gaussian };

/// One release as the accountant sees it. A Gaussian release gives σ and Δ (in the value's
/// units, e.g. calibrated_gaussian::sigma() and effective_sensitivity()) for RDP accounting;
/// without them (0) only its (ε, δ) counts. A Laplace release is pure: its δ is 0.
struct dp_release {
  mechanism_kind kind = mechanism_kind::laplace;
  double epsilon = 0;
  double delta = 0;
  double sigma = 0;
  double sensitivity = 0;
};

enum class composition_method : std::uint8_t { basic, advanced, rdp };

/// The method's name: "basic", "advanced" or "rdp".
[[nodiscard]] const char* to_string(composition_method method) noexcept;

/// The tightest (ε, δ) of a ledger, which method gave it, and each method's ε (infinity where a
/// method does not apply: basic when Σδ exceeds the target, advanced when no slack is left, RDP
/// when a Gaussian release lacks σ or Δ).
struct ledger_bound {
  double epsilon = 0;
  double delta = 0;
  composition_method method = composition_method::basic;
  double basic_epsilon = 0;
  double advanced_epsilon = 0;
  double rdp_epsilon = 0;
  double rdp_order = 0;  ///< the α of the RDP bound
};

/// The tightest valid (ε, δ <= target_delta) for all `releases` composed (adaptively), among basic,
/// advanced (slack = target − Σδ) and RDP composition (grid of orders, then a golden-section
/// refinement: any α gives a valid bound, so refining can only tighten it). ε is infinite if no
/// method applies. Throws std::invalid_argument for a target outside (0, 1) or an invalid release
/// (including a Laplace release with δ > 0).
[[nodiscard]] ledger_bound compose_ledger(std::span<const dp_release> releases,
                                          double target_delta);

} // namespace aia::privacy
