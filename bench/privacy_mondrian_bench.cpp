// Mondrian anonymization time for an analyst export of 100k records (k = 5, l = 2 by default),
// with the achieved k, l, information loss (NCP) and suppression; median of repeated runs.
//
//   privacy_mondrian_bench [--records 100000] [--k 5] [--l 2] [--reps 5]
#include "privacy/mondrian.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string_view>
#include <vector>

using aia::privacy::anonymize_mondrian;
using aia::privacy::generalized_rows;
using aia::privacy::mondrian_config;
using aia::privacy::mondrian_record;
using aia::privacy::mondrian_result;

namespace {

/// Device type (0-3), hour bucket (0-23), cohort (0-49), two state bands (0-4); inferred state
/// (0-5) as the sensitive value. `skewed`: most on one device in the evening, one state dominant.
std::vector<mondrian_record> generate(std::size_t n, bool skewed, std::uint32_t seed) {
  std::mt19937 rng{seed};
  auto uniform = [&](int hi) { return std::uniform_int_distribution<int>{0, hi}(rng); };
  std::vector<mondrian_record> out(n);
  for (auto& r : out) {
    if (skewed) {
      r.quasi = {uniform(9) < 8 ? 0 : uniform(3), 18 + uniform(5), uniform(49) / 10, uniform(4),
                 uniform(9) < 7 ? 2 : uniform(4)};
      r.sensitive = uniform(19) < 17 ? 0 : uniform(5);
    } else {
      r.quasi = {uniform(3), uniform(23), uniform(49), uniform(4), uniform(4)};
      r.sensitive = uniform(5);
    }
  }
  return out;
}

void run(const char* name, const std::vector<mondrian_record>& records,
         const mondrian_config& config, int reps) {
  std::vector<double> ms;
  mondrian_result result;
  for (int i = 0; i < reps; ++i) {
    auto start = std::chrono::steady_clock::now();
    result = anonymize_mondrian(records, config);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                   .count());
  }
  std::sort(ms.begin(), ms.end());
  auto start = std::chrono::steady_clock::now();
  auto rows = generalized_rows(records, result);
  double rows_ms
    = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("%-8s n=%zu k=%zu l=%zu: %8.1f ms (median of %d; min %.1f, max %.1f), rows %.1f ms\n",
              name, records.size(), config.k, config.l, ms[ms.size() / 2], reps, ms.front(),
              ms.back(), rows_ms);
  std::printf("         classes %zu, achieved k %zu, achieved l %zu, NCP %.4f, suppressed %zu, "
              "released rows %zu\n",
              result.classes.size(), result.achieved_k, result.achieved_l, result.ncp,
              result.suppressed, rows.size());
}

} // namespace

int main(int argc, char** argv) {
  std::size_t n = 100000;
  mondrian_config config;
  int reps = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view key{argv[i]};
    auto value = std::strtoull(argv[i + 1], nullptr, 10);
    if (key == "--records") {
      n = value;
    } else if (key == "--k") {
      config.k = value;
    } else if (key == "--l") {
      config.l = value;
    } else if (key == "--reps") {
      reps = std::max(1, static_cast<int>(value));
    } else {
      std::fprintf(stderr, "usage: %s [--records N] [--k K] [--l L] [--reps R]\n", argv[0]);
      return 2;
    }
  }
  if (argc % 2 == 0 || config.k == 0 || config.l == 0) {
    std::fprintf(stderr, "usage: %s [--records N] [--k K] [--l L] [--reps R]\n", argv[0]);
    return 2;
  }
  run("uniform", generate(n, false, 1), config, reps);
  run("skewed", generate(n, true, 2), config, reps);
  return 0;
}
