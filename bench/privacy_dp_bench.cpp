// privacy_dp_bench: nanoseconds per exact DP sample (discrete Laplace, discrete Gaussian) on
// OpenSSL's CSPRNG and on the seeded test generator, plus the mechanisms and their calibration.
//
//   privacy_dp_bench [--samples N]
//
// N samples per row (default 300000), one thread. "words" is the mean number of 64-bit random
// words a sample consumed (counted on the seeded generator): the samplers' entropy cost.
#include "bench/bench_args.hpp"
#include "privacy/dp_accounting.hpp"
#include "privacy/dp_sampling.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

using aia::bench::option;

namespace {

using namespace aia::privacy;
using clock_type = std::chrono::steady_clock;

/// Counts the words drawn through it from another source.
class counting_random final : public random_source {
public:
  explicit counting_random(random_source& inner) : inner_(inner) {}
  std::uint64_t next_u64() override {
    ++words;
    return inner_.next_u64();
  }
  bool is_cryptographic() const noexcept override { return inner_.is_cryptographic(); }
  std::uint64_t words = 0;

private:
  random_source& inner_;
};

/// Mean nanoseconds per call of `sample` over `n` calls (the sum defeats dead-code elimination).
double ns_per_call(long n, const std::function<std::int64_t()>& sample) {
  std::int64_t sink = 0;
  const auto t0 = clock_type::now();
  for (long i = 0; i < n; ++i) {
    sink += sample();
  }
  const double ns = std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
  if (sink == 42) {
    std::puts("");  // practically never; keeps `sink` observable
  }
  return ns / static_cast<double>(n);
}

std::string shown(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

/// One table row: ns/sample with system_random and seeded_random, and words/sample.
void row(const std::string& what, long n,
         const std::function<std::int64_t(random_source&)>& sample) {
  system_random sys;
  seeded_random seeded{12345};
  seeded_random counted_inner{6789};
  counting_random counted{counted_inner};
  const long words_n = n / 10 + 1;
  for (long i = 0; i < words_n; ++i) {
    (void)sample(counted);
    (void)sample(sys);  // warm-up: the first RAND_bytes call instantiates OpenSSL's DRBG
    (void)sample(seeded);
  }
  const double sys_ns = ns_per_call(n, [&] { return sample(sys); });
  const double seeded_ns = ns_per_call(n, [&] { return sample(seeded); });
  std::printf("| %-40s | %9.1f | %9.1f | %6.2f |\n", what.c_str(), sys_ns, seeded_ns,
              static_cast<double>(counted.words) / static_cast<double>(words_n));
}

} // namespace

int main(int argc, char** argv) {
  const long n = option(argc, argv, "--samples", 300000);
  std::printf("privacy_dp_bench: %ld samples per row, one thread\n\n", n);
  std::printf("| %-40s | %9s | %9s | %6s |\n", "sampler", "system ns", "seeded ns", "words");
  std::printf("|%s|%s|%s|%s|\n", std::string(42, '-').c_str(), std::string(11, '-').c_str(),
              std::string(11, '-').c_str(), std::string(8, '-').c_str());

  row("uniform word (next_u64)", n, [](random_source& r) {
    return static_cast<std::int64_t>(r.next_u64() >> 1);
  });
  row("bernoulli_exp(1/3)", n, [](random_source& r) { return bernoulli_exp(1, 3, r) ? 1 : 0; });
  const auto mech_scale = discrete_laplace_scale(256, 0.1);        // Δ = 256 grid steps, ε = 0.1
  const auto mech_sigma2 = discrete_gaussian_variance(256, 0.1, 1e-6);  // and δ = 1e-6
  for (auto scale : {rational{1, 1}, rational{10, 1}, mech_scale, rational{1000000, 1}}) {
    row("discrete Laplace, scale " + shown(scale.to_double()), n, [scale](random_source& r) {
      return sample_discrete_laplace(scale.num, scale.den, r);
    });
  }
  for (auto sigma2 : {rational{1, 1}, rational{100, 1}, rational{10000, 1}, mech_sigma2,
                      rational{1000000000000, 1}}) {
    row("discrete Gaussian, sigma " + shown(std::sqrt(sigma2.to_double())), n,
        [sigma2](random_source& r) { return sample_discrete_gaussian(sigma2.num, sigma2.den, r); });
  }
  const calibrated_laplace lap{{.sensitivity = 1, .epsilon = 0.5}};
  row("calibrated_laplace::release (auto grid)", n, [&](random_source& r) {
    return static_cast<std::int64_t>(lap.release(3.14, r) * 1024);
  });
  const calibrated_gaussian gauss{{.sensitivity = 1, .epsilon = 0.5, .delta = 1e-6}};
  row("calibrated_gaussian::release (auto grid)", n, [&](random_source& r) {
    return static_cast<std::int64_t>(gauss.release(3.14, r) * 1024);
  });

  // One-off costs: calibration (analytic σ plus the discrete δ check) and accounting.
  std::printf("\n| %-52s | %10s |\n", "one-off", "us");
  std::printf("|%s|%s|\n", std::string(54, '-').c_str(), std::string(12, '-').c_str());
  auto micros = [](long reps, const std::function<void()>& f) {
    const auto t0 = clock_type::now();
    for (long i = 0; i < reps; ++i) {
      f();
    }
    return std::chrono::duration<double, std::micro>(clock_type::now() - t0).count()
           / static_cast<double>(reps);
  };
  for (double eps : {0.1, 1.0}) {
    const gaussian_params p{.sensitivity = 1, .epsilon = eps, .delta = 1e-6};
    std::printf("| %-52s | %10.1f |\n",
                ("calibrated_gaussian(eps=" + shown(eps) + ", delta=1e-6, auto grid)").c_str(),
                micros(20, [&] { (void)calibrated_gaussian{p}; }));
  }
  std::printf("| %-52s | %10.1f |\n", "analytic_gaussian_sigma(1, 0.5, 1e-6)",
              micros(200, [] { (void)analytic_gaussian_sigma(1, 0.5, 1e-6); }));
  const std::vector<dp_release> ledger(
    1000, dp_release{mechanism_kind::gaussian, 0.1, 1e-6, analytic_gaussian_sigma(1, 0.1, 1e-6), 1});
  std::printf("| %-52s | %10.1f |\n", "compose_ledger(1000 Gaussian releases)",
              micros(20, [&] { (void)compose_ledger(ledger, 1e-3); }));
  return 0;
}
