// AUC by ranks with ties, RMSE, log-loss and accuracy.
#include "model/learning/kt_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace aia::model::learning {

double auc(std::span<const double> p, std::span<const std::uint8_t> y) {
  if (p.size() != y.size()) {
    throw std::invalid_argument("auc: predictions and outcomes differ in length");
  }
  const auto n = p.size();
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0U);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return p[a] < p[b]; });
  // Sum of the positives' ranks, each tie group sharing its average rank (1-based).
  double rank_sum = 0;
  std::size_t positives = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    std::size_t pos_in_group = 0;
    while (j < n && p[order[j]] == p[order[i]]) {
      pos_in_group += y[order[j]] != 0 ? 1 : 0;
      ++j;
    }
    const double avg_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    rank_sum += avg_rank * static_cast<double>(pos_in_group);
    positives += pos_in_group;
    i = j;
  }
  const auto negatives = n - positives;
  if (positives == 0 || negatives == 0) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  const double np = static_cast<double>(positives);
  const double u = rank_sum - np * (np + 1) / 2.0;
  return u / (np * static_cast<double>(negatives));
}

kt_scores score(std::span<const double> p, std::span<const std::uint8_t> y) {
  if (p.size() != y.size()) {
    throw std::invalid_argument("score: predictions and outcomes differ in length");
  }
  kt_scores s;
  s.count = p.size();
  if (p.empty()) {
    const auto nan = std::numeric_limits<double>::quiet_NaN();
    s.auc = s.rmse = s.log_loss = s.accuracy = nan;
    return s;
  }
  constexpr double eps = 1e-15;
  double sq = 0;
  double ll = 0;
  std::size_t hits = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double t = y[i] != 0 ? 1.0 : 0.0;
    const double q = std::clamp(p[i], eps, 1 - eps);
    sq += (p[i] - t) * (p[i] - t);
    ll -= t * std::log(q) + (1 - t) * std::log(1 - q);
    hits += ((p[i] >= 0.5) == (y[i] != 0)) ? 1 : 0;
  }
  const auto n = static_cast<double>(p.size());
  s.auc = auc(p, y);
  s.rmse = std::sqrt(sq / n);
  s.log_loss = ll / n;
  s.accuracy = static_cast<double>(hits) / n;
  return s;
}

} // namespace aia::model::learning
