// Models of a person's affective state from mouse behaviour: calibrated logistic regression for
// stress, ridge regression for valence and arousal, each with a per-user offset learnt from that
// person's self-reports. Fitted on some users, asked about others.
#pragma once

#include "model/state/affect_data.hpp"

#include <Eigen/Dense>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aia::model::state {

/// What a model predicts.
enum class affect_target : std::uint8_t { stress, valence, arousal };

[[nodiscard]] std::string_view to_string(affect_target t) noexcept;

/// The label of `r` for `t`: 0/1 for stress, the 1..7 rating otherwise.
[[nodiscard]] double label_of(const affect_record& r, affect_target t) noexcept;

/// Names of the model's standardized features, in column order (the last is speed x accuracy).
inline constexpr std::size_t affect_feature_count = 12;
[[nodiscard]] const std::array<std::string_view, affect_feature_count>& affect_feature_names();

/// A prediction with its uncertainty.
struct affect_prediction {
  double mean = 0;       ///< P(stress), or the expected rating (1..7).
  double std = 0;        ///< Predictive std of the outcome (Bernoulli std for stress).
  double latent_std = 0; ///< Std of the estimate itself: of the logit (stress) or of the mean
                         ///< rating, from the weights (Laplace / Bayesian ridge) and the offset.
};

/// What the model believes about one person's offset (logit or rating units): N(mean, variance)
/// after `labels` self-reports. Start from affect_model::prior_offset().
struct user_offset {
  double mean = 0;
  double variance = 0;
  std::uint32_t labels = 0;
};

/// Hyperparameters. The L2 strength is chosen from `lambdas` by an inner cross-validation grouped
/// by user inside the training rows only; the inner out-of-fold predictions also fit the Platt
/// calibration and the prior of the user offsets, so nothing is tuned on the users asked later.
struct affect_model_config {
  bool use_features = true; ///< false: intercept only, i.e. the base rate / mean plus offsets.
  std::vector<double> lambdas{0.1, 1, 10, 100, 1e3, 1e4, 1e5};
  unsigned inner_folds = 5;
  std::uint64_t seed = 1;
  bool calibrate = true;    ///< Platt scaling of the stress logit.
  bool user_offsets = true; ///< false: the offset prior has variance 0 (feedback changes nothing).
};

/// What a fit chose, for reports.
struct affect_fit_summary {
  double lambda = 0;
  double platt_scale = 1, platt_shift = 0; ///< Stress: calibrated logit = scale * raw + shift.
  double offset_std = 0;                   ///< Prior std of a user's offset (tau).
  double noise_std = 0;                    ///< Ratings: within-person residual std.
  double intercept = 0;
  std::vector<std::pair<std::string, double>> coefficients; ///< Per standardized feature.
};

/// A model of one target. Not thread-safe while fitting; predict() and observe() are const and
/// may run concurrently after fit().
class affect_model {
public:
  virtual ~affect_model() = default;

  [[nodiscard]] virtual affect_target target() const noexcept = 0;

  /// Fits on `rows` (indices into `data.rows`); every choice is made inside these rows' users.
  virtual void fit(const affect_dataset& data, std::span<const std::size_t> rows) = 0;

  /// Predicts for one recording of a person whose offset is believed to be `u`.
  [[nodiscard]] virtual affect_prediction predict(const affect_record& r,
                                                  const user_offset& u) const = 0;

  /// The belief about a person before any of their labels.
  [[nodiscard]] virtual user_offset prior_offset() const = 0;

  /// Updates the belief with one labelled recording of that person (an exact Gaussian update for
  /// ratings; for stress a moment-matched update with Gauss-Hermite quadrature). O(1) state.
  [[nodiscard]] virtual user_offset observe(const user_offset& u, const affect_record& r) const = 0;

  [[nodiscard]] virtual affect_fit_summary summary() const = 0;

  /// Predicts for a person with no labels yet.
  [[nodiscard]] affect_prediction predict(const affect_record& r) const {
    return predict(r, prior_offset());
  }
};

/// A logistic model for stress or a ridge model for valence / arousal.
[[nodiscard]] std::unique_ptr<affect_model> make_affect_model(affect_target t,
                                                              affect_model_config config = {});

// -- fitting primitives, exposed for tests --------------------------------------------------------

/// Value and gradient of the penalized logistic loss sum_i log(1 + exp(-s_i (x_i.w + b)))
/// + lambda/2 |w|^2, with s_i = 2 y_i - 1; `theta` is (w, b) and the intercept is not penalized.
struct loss_and_gradient {
  double value = 0;
  Eigen::VectorXd gradient;
};
[[nodiscard]] loss_and_gradient logistic_loss(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                              const Eigen::VectorXd& theta, double lambda);

/// A linear fit: weights, intercept, and the posterior covariance of (w, b) (Laplace for
/// logistic; sigma^2 (X'X + lambda I)^-1 for ridge, with `noise_variance` sigma^2).
struct linear_fit {
  Eigen::VectorXd w;
  double b = 0;
  Eigen::MatrixXd covariance;
  double noise_variance = 0;
};

/// Penalized logistic regression by Newton's method.
[[nodiscard]] linear_fit fit_logistic(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                      double lambda);

/// Ridge regression with an unpenalized intercept (normal equations).
[[nodiscard]] linear_fit fit_ridge(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                   double lambda);

} // namespace aia::model::state
