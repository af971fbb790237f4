// Composition theorems and Rényi DP accounting: closed forms, the RDP → (ε, δ) conversion, and the
// search for the tightest bound over methods and orders.
#include "privacy/dp_accounting.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace aia::privacy {

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();

[[noreturn]] void invalid(const char* where, const std::string& what) {
  throw std::invalid_argument(std::string{where} + ": " + what);
}

void require_alpha(const char* where, double alpha) {
  if (!std::isfinite(alpha) || alpha <= 1) {
    invalid(where, "alpha must be finite and > 1");
  }
}

void require_nonnegative(const char* where, const char* name, double v) {
  if (!std::isfinite(v) || v < 0) {
    invalid(where, std::string{name} + " must be finite and >= 0");
  }
}

void require_part(const char* where, const dp_guarantee& g) {
  require_nonnegative(where, "epsilon", g.epsilon);
  if (!(g.delta >= 0 && g.delta < 1)) {
    invalid(where, "delta must be in [0, 1)");
  }
}

void require_slack(const char* where, double slack) {
  if (!(slack > 0 && slack < 1)) {
    invalid(where, "delta_slack must be in (0, 1)");
  }
}

/// ln(e^a + e^b + e^c) without overflow.
double log_sum_exp(double a, double b, double c) {
  const double top = std::max({a, b, c});
  return top + std::log(std::exp(a - top) + std::exp(b - top) + std::exp(c - top));
}

/// The orders: fine near 1 (large ε, many releases), coarse far out (small ρ).
std::vector<double> make_orders() {
  std::vector<double> orders{1.01, 1.02, 1.05};
  for (int i = 1; i <= 99; ++i) {
    orders.push_back(1 + i / 10.0);
  }
  for (int a = 11; a <= 64; ++a) {
    orders.push_back(a);
  }
  for (double a : {72, 80, 96, 112, 128, 160, 192, 256, 320, 384, 512, 768, 1024, 1536, 2048,
                   3072, 4096, 8192}) {
    orders.push_back(a);
  }
  return orders;
}

/// A ledger's RDP curve: Gaussians collapse into one ρ; pure releases add one term per distinct
/// ε, times how many share it (a ledger of many equal releases costs one term, not one each).
struct rdp_ledger {
  double rho = 0;
  std::vector<double> pure_epsilons;                         ///< as collected
  std::vector<std::pair<double, std::uint64_t>> pure_terms;  ///< distinct ε and their counts

  /// Groups pure_epsilons into pure_terms; call once before at().
  void group() {
    std::sort(pure_epsilons.begin(), pure_epsilons.end());
    pure_terms.clear();
    for (double eps : pure_epsilons) {
      if (!pure_terms.empty() && pure_terms.back().first == eps) {
        ++pure_terms.back().second;
      } else {
        pure_terms.emplace_back(eps, 1);
      }
    }
  }

  [[nodiscard]] double at(double alpha) const {
    double total = alpha * rho;
    for (const auto& [eps, n] : pure_terms) {
      total += static_cast<double>(n) * rdp_pure_dp(alpha, eps);
    }
    return total;
  }
};

/// min over α of the converted ε, and the α: the grid first, then golden section on the
/// bracket around the grid's best order.
std::pair<double, double> best_rdp_epsilon(const rdp_ledger& ledger, double delta) {
  auto eps_at = [&](double alpha) { return rdp_to_epsilon(alpha, ledger.at(alpha), delta); };
  const auto orders = rdp_orders();
  std::size_t best = 0;
  double best_eps = infinity;
  for (std::size_t i = 0; i < orders.size(); ++i) {
    if (const double e = eps_at(orders[i]); e < best_eps) {
      best_eps = e;
      best = i;
    }
  }
  double lo = best == 0 ? 1 + (orders[0] - 1) / 2 : orders[best - 1];
  double hi = best + 1 == orders.size() ? orders[best] * 2 : orders[best + 1];
  double best_alpha = orders[best];
  const double ratio = (std::sqrt(5.0) - 1) / 2;
  double x1 = hi - ratio * (hi - lo);
  double x2 = lo + ratio * (hi - lo);
  double f1 = eps_at(x1);
  double f2 = eps_at(x2);
  for (int i = 0; i < 80; ++i) {
    if (f1 < f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - ratio * (hi - lo);
      f1 = eps_at(x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + ratio * (hi - lo);
      f2 = eps_at(x2);
    }
  }
  for (auto [x, f] : {std::pair{x1, f1}, std::pair{x2, f2}}) {
    if (f < best_eps) {
      best_eps = f;
      best_alpha = x;
    }
  }
  return {best_eps, best_alpha};
}

} // namespace

// -- (ε, δ) composition -------------------------------------------------------

dp_guarantee compose_basic(std::span<const dp_guarantee> parts) {
  dp_guarantee total;
  for (const auto& p : parts) {
    require_part("compose_basic", p);
    total.epsilon += p.epsilon;
    total.delta += p.delta;
  }
  return total;
}

dp_guarantee compose_advanced(std::uint64_t k, const dp_guarantee& each, double delta_slack) {
  require_part("compose_advanced", each);
  require_slack("compose_advanced", delta_slack);
  const double n = static_cast<double>(k);
  const double e0 = each.epsilon;
  return {std::sqrt(2 * n * std::log(1 / delta_slack)) * e0 + n * e0 * std::expm1(e0),
          n * each.delta + delta_slack};
}

dp_guarantee compose_advanced(std::span<const dp_guarantee> parts, double delta_slack) {
  require_slack("compose_advanced", delta_slack);
  double squares = 0;
  double drift = 0;
  double delta = delta_slack;
  for (const auto& p : parts) {
    require_part("compose_advanced", p);
    squares += p.epsilon * p.epsilon;
    drift += p.epsilon * std::expm1(p.epsilon);
    delta += p.delta;
  }
  return {std::sqrt(2 * std::log(1 / delta_slack) * squares) + drift, delta};
}

// -- Rényi DP -----------------------------------------------------------------

double rdp_gaussian(double alpha, double sigma, double sensitivity) {
  require_alpha("rdp_gaussian", alpha);
  if (!std::isfinite(sigma) || sigma <= 0) {
    invalid("rdp_gaussian", "sigma must be finite and > 0");
  }
  require_nonnegative("rdp_gaussian", "sensitivity", sensitivity);
  return alpha * sensitivity * sensitivity / (2 * sigma * sigma);
}

double rdp_laplace(double alpha, double epsilon) {
  require_alpha("rdp_laplace", alpha);
  require_nonnegative("rdp_laplace", "epsilon", epsilon);
  // ε + ln(α/(2α−1) + (α−1)/(2α−1)·e^{−(2α−1)ε})/(α−1): the large exponential factored out.
  const double w = 2 * alpha - 1;
  return epsilon
         + std::log(alpha / w + (alpha - 1) / w * std::exp(-w * epsilon)) / (alpha - 1);
}

double rdp_pure_dp(double alpha, double epsilon) {
  require_alpha("rdp_pure_dp", alpha);
  require_nonnegative("rdp_pure_dp", "epsilon", epsilon);
  // ε + [ln(1 + e^{(1−2α)ε}) − ln(1 + e^{−ε})]/(α−1), the same quantity without overflow.
  return epsilon
         + (std::log1p(std::exp((1 - 2 * alpha) * epsilon)) - std::log1p(std::exp(-epsilon)))
             / (alpha - 1);
}

double rdp_discrete_laplace(double alpha, std::uint64_t shift, double scale) {
  require_alpha("rdp_discrete_laplace", alpha);
  if (shift == 0) {
    invalid("rdp_discrete_laplace", "shift must be >= 1");
  }
  if (!std::isfinite(scale) || scale <= 0) {
    invalid("rdp_discrete_laplace", "scale must be finite and > 0");
  }
  // Σ_x p(x)^α p(x−m)^{1−α} with p(x) = c·r^|x|, r = e^{−1/b}: three geometric sums, for x <= 0,
  // 0 < x < m and x >= m, added in log space.
  const double m = static_cast<double>(shift);
  const double log_1mr = std::log(-std::expm1(-1 / scale));   // ln(1 − r)
  const double log_c = log_1mr - std::log1p(std::exp(-1 / scale));
  const double t1 = (alpha - 1) * m / scale - log_1mr;
  const double t2 = -alpha * m / scale - log_1mr;
  double t3 = -infinity;
  if (shift >= 2) {
    const double log_q = -(2 * alpha - 1) / scale;  // q = r^{2α−1}
    t3 = (alpha - 1) * m / scale + log_q + std::log(-std::expm1((m - 1) * log_q))
         - std::log(-std::expm1(log_q));
  }
  return (log_c + log_sum_exp(t1, t2, t3)) / (alpha - 1);
}

double rdp_to_epsilon(double alpha, double rdp, double delta) {
  require_alpha("rdp_to_epsilon", alpha);
  require_nonnegative("rdp_to_epsilon", "rdp", rdp);
  if (!(delta > 0 && delta < 1)) {
    invalid("rdp_to_epsilon", "delta must be in (0, 1)");
  }
  const double eps =
    rdp + std::log1p(-1 / alpha) - (std::log(delta) + std::log(alpha)) / (alpha - 1);
  return std::max(eps, 0.0);
}

double rdp_to_epsilon_classic(double alpha, double rdp, double delta) {
  require_alpha("rdp_to_epsilon_classic", alpha);
  require_nonnegative("rdp_to_epsilon_classic", "rdp", rdp);
  if (!(delta > 0 && delta < 1)) {
    invalid("rdp_to_epsilon_classic", "delta must be in (0, 1)");
  }
  return rdp + std::log(1 / delta) / (alpha - 1);
}

std::span<const double> rdp_orders() noexcept {
  static const std::vector<double> orders = make_orders();
  return orders;
}

// -- ledgers ------------------------------------------------------------------

const char* to_string(composition_method method) noexcept {
  switch (method) {
    case composition_method::basic:
      return "basic";
    case composition_method::advanced:
      return "advanced";
    case composition_method::rdp:
      return "rdp";
  }
  return "unknown";
}

ledger_bound compose_ledger(std::span<const dp_release> releases, double target_delta) {
  if (!(target_delta > 0 && target_delta < 1)) {
    invalid("compose_ledger", "target_delta must be in (0, 1)");
  }
  std::vector<dp_guarantee> parts;
  parts.reserve(releases.size());
  rdp_ledger curve;
  bool rdp_applies = true;
  for (const auto& r : releases) {
    require_part("compose_ledger", {r.epsilon, r.delta});
    require_nonnegative("compose_ledger", "sigma", r.sigma);
    require_nonnegative("compose_ledger", "sensitivity", r.sensitivity);
    parts.push_back({r.epsilon, r.delta});
    if (r.kind == mechanism_kind::laplace) {
      if (r.delta != 0) {
        invalid("compose_ledger", "a laplace release is pure: its delta must be 0");
      }
      curve.pure_epsilons.push_back(r.epsilon);
    } else if (r.sigma > 0 && r.sensitivity > 0) {
      curve.rho += r.sensitivity * r.sensitivity / (2 * r.sigma * r.sigma);
    } else {
      rdp_applies = false;
    }
  }

  ledger_bound out;
  const auto basic = compose_basic(parts);
  out.basic_epsilon = basic.delta <= target_delta ? basic.epsilon : infinity;
  const double slack = target_delta - basic.delta;
  out.advanced_epsilon = slack > 0 ? compose_advanced(parts, slack).epsilon : infinity;
  out.rdp_epsilon = infinity;
  if (rdp_applies && !releases.empty()) {
    curve.group();
    std::tie(out.rdp_epsilon, out.rdp_order) = best_rdp_epsilon(curve, target_delta);
  }

  // The least ε wins; on a tie the simpler method (basic, then advanced).
  out.method = composition_method::basic;
  out.epsilon = out.basic_epsilon;
  out.delta = basic.delta;
  if (out.advanced_epsilon < out.epsilon) {
    out.method = composition_method::advanced;
    out.epsilon = out.advanced_epsilon;
    out.delta = target_delta;
  }
  if (out.rdp_epsilon < out.epsilon) {
    out.method = composition_method::rdp;
    out.epsilon = out.rdp_epsilon;
    out.delta = target_delta;
  }
  return out;
}

} // namespace aia::privacy
