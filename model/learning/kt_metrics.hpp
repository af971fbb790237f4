// Scores of binary predictions: AUC, RMSE, log-loss and accuracy, as knowledge-tracing papers
// report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace aia::model::learning {

/// The four figures over one set of predictions.
struct kt_scores {
  double auc = 0;      ///< area under the ROC curve, ties counted half; NaN with one class only
  double rmse = 0;     ///< root mean squared error of p against the 0/1 outcome
  double log_loss = 0; ///< mean negative log-likelihood, p clamped to [1e-15, 1 - 1e-15]
  double accuracy = 0; ///< share of outcomes equal to (p >= 0.5)
  std::size_t count = 0;
};

/// Exact AUC by ranks (Mann-Whitney U with average ranks for ties); NaN if a class is absent.
[[nodiscard]] double auc(std::span<const double> p, std::span<const std::uint8_t> y);

/// All four figures. `p` and `y` must have the same length; empty input gives NaNs.
[[nodiscard]] kt_scores score(std::span<const double> p, std::span<const std::uint8_t> y);

} // namespace aia::model::learning
