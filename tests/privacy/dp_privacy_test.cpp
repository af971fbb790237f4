// Empirical privacy of the mechanisms: many releases on neighbouring inputs (0 and Δ), and the
// estimated privacy loss checked against ε (Laplace) or the mass beyond ε against δ (Gaussian).
#include "privacy/dp_sampling.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <unordered_map>
#include <unordered_set>

using namespace aia::privacy;

namespace {

using histogram = std::unordered_map<std::int64_t, int>;

/// Outputs of `release` counted per grid point.
histogram run(const std::function<double()>& release, double granularity, int n) {
  histogram h;
  for (int i = 0; i < n; ++i) {
    h[static_cast<std::int64_t>(std::llround(release() / granularity))]++;
  }
  return h;
}

/// The privacy loss ln(P0(o)/P1(o)) estimated at every output both runs saw at least
/// `min_count` times: the largest |loss|, and the largest excess over ε in standard errors.
struct loss_estimate {
  double max_loss = 0;
  double max_z = -INFINITY;
  int outputs = 0;
};

loss_estimate estimate_loss(const histogram& h0, const histogram& h1, double epsilon,
                            int min_count) {
  loss_estimate out;
  for (const auto& [o, c0] : h0) {
    const auto it = h1.find(o);
    if (c0 < min_count || it == h1.end() || it->second < min_count) {
      continue;
    }
    const double c1 = it->second;
    const double loss = std::fabs(std::log(c0 / c1));
    const double se = std::sqrt(1.0 / c0 + 1.0 / c1);
    out.max_loss = std::max(out.max_loss, loss);
    out.max_z = std::max(out.max_z, (loss - epsilon) / se);
    ++out.outputs;
  }
  return out;
}

/// δ estimated without selection bias: the set S = {o : P0(o) > e^ε P1(o)} is chosen on the
/// first halves, and P0(S) − e^ε P1(S) measured on the second halves (any fixed S has
/// expectation at most δ there). Returns the estimate and its standard error.
std::pair<double, double> estimate_delta(const histogram& select0, const histogram& select1,
                                         const histogram& h0, const histogram& h1, double epsilon,
                                         int n) {
  std::unordered_set<std::int64_t> s;
  for (const auto& [o, c0] : select0) {
    const auto it = select1.find(o);
    const double c1 = it == select1.end() ? 0 : it->second;
    if (c0 > std::exp(epsilon) * c1) {
      s.insert(o);
    }
  }
  double p0 = 0;
  double p1 = 0;
  for (auto o : s) {
    if (auto it = h0.find(o); it != h0.end()) {
      p0 += it->second;
    }
    if (auto it = h1.find(o); it != h1.end()) {
      p1 += it->second;
    }
  }
  p0 /= n;
  p1 /= n;
  const double e = std::exp(epsilon);
  const double se = std::sqrt((p0 * (1 - p0) + e * e * p1 * (1 - p1)) / n);
  return {p0 - e * p1, se};
}

constexpr int runs = 500000;

} // namespace

TEST_CASE("the Laplace mechanism's estimated privacy loss stays within epsilon") {
  struct config {
    double sensitivity, epsilon, granularity;
  };
  std::uint64_t seed = 1000;
  for (auto c : {config{1, 1, 1}, config{1, 0.5, 0.25}, config{3, 2, 1}}) {
    const calibrated_laplace mech{{c.sensitivity, c.epsilon, c.granularity}};
    seeded_random rng{++seed};
    const auto h0 = run([&] { return mech.release(0, rng); }, mech.granularity(), runs);
    const auto h1 = run([&] { return mech.release(c.sensitivity, rng); }, mech.granularity(), runs);
    const auto est = estimate_loss(h0, h1, c.epsilon, 1000);
    INFO("Δ = " << c.sensitivity << " ε = " << c.epsilon << " γ = " << c.granularity
                << ": max |loss| = " << est.max_loss << " over " << est.outputs
                << " outputs, max excess = " << est.max_z << " SE");
    CHECK(est.outputs >= 5);
    CHECK(est.max_z < 5);                   // no output's loss exceeds ε beyond 5 SE
    CHECK(est.max_loss > 0.9 * c.epsilon);  // and the calibration is tight, not wasteful
  }
}

TEST_CASE("the privacy-loss estimate detects a mechanism with too little noise") {
  // Negative control: half the calibrated scale, so the true loss is 2ε.
  seeded_random rng{77};
  const double epsilon = 1;
  auto draw = [&](double value) { return value + double(sample_discrete_laplace(1, 2, rng)); };
  const auto h0 = run([&] { return draw(0); }, 1, runs);
  const auto h1 = run([&] { return draw(1); }, 1, runs);
  const auto est = estimate_loss(h0, h1, epsilon, 1000);
  CHECK(est.max_z > 10);
  CHECK(est.max_loss == Approx(2 * epsilon).epsilon(0.05));
}

TEST_CASE("the Gaussian mechanism's mass beyond epsilon stays within delta") {
  struct config {
    double sensitivity, epsilon, delta, granularity;
    bool check_tightness;
  };
  std::uint64_t seed = 2000;
  for (auto c : {config{1, 1, 1e-2, 1, true}, config{1, 0.5, 1e-2, 0.25, true},
                 config{2, 1, 1e-3, 1, false}}) {
    const calibrated_gaussian mech{{c.sensitivity, c.epsilon, c.delta, c.granularity}};
    seeded_random rng{++seed};
    const double g = mech.granularity();
    const auto s0 = run([&] { return mech.release(0, rng); }, g, runs / 2);
    const auto s1 = run([&] { return mech.release(c.sensitivity, rng); }, g, runs / 2);
    const auto h0 = run([&] { return mech.release(0, rng); }, g, runs / 2);
    const auto h1 = run([&] { return mech.release(c.sensitivity, rng); }, g, runs / 2);
    const auto [delta_hat, se] = estimate_delta(s0, s1, h0, h1, c.epsilon, runs / 2);
    const double exact =
      discrete_gaussian_delta(mech.sigma2().to_double(), mech.grid_sensitivity(), c.epsilon);
    INFO("Δ = " << c.sensitivity << " ε = " << c.epsilon << " δ = " << c.delta << " σ = "
                << mech.sigma() << ": δ̂ = " << delta_hat << " ± " << se << ", exact " << exact);
    CHECK(exact <= c.delta);
    CHECK(delta_hat <= c.delta + 5 * se);
    if (c.check_tightness) {
      CHECK(delta_hat >= exact - 5 * se);  // the estimate sees the δ that is really there
    }
  }
}

TEST_CASE("Gaussian releases are centred on the value with the calibrated spread") {
  const calibrated_gaussian mech{{.sensitivity = 1, .epsilon = 1, .delta = 1e-5, .granularity = 1}};
  seeded_random rng{3000};
  const int n = 100000;
  double sum = 0;
  double sum2 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = mech.release(42, rng) - 42;
    sum += x;
    sum2 += x * x;
  }
  const double sigma = mech.sigma();
  CHECK(std::fabs(sum / n) < 5 * sigma / std::sqrt(n));
  // The discrete Gaussian's variance is a little below σ² (CKS), never above.
  CHECK(std::sqrt(sum2 / n) == Approx(sigma).epsilon(0.02));
}
