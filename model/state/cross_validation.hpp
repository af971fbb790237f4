// Leave-users-out evaluation of the affect models: folds grouped by user, the metrics (AUC, Brier,
// calibration error, MAE, RMSE), the majority / mean baselines and the gain from feedback labels.
#pragma once

#include "model/state/affect_data.hpp"
#include "model/state/affect_models.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace aia::model::state {

// -- metrics (NaN when undefined, e.g. AUC with one class) ----------------------------------------

/// Area under the ROC curve (Mann-Whitney, ties count one half).
[[nodiscard]] double auc(std::span<const double> p, std::span<const double> y);
/// Mean squared error of probabilities.
[[nodiscard]] double brier(std::span<const double> p, std::span<const double> y);
/// Mean negative log-likelihood (probabilities clipped to [1e-12, 1 - 1e-12]).
[[nodiscard]] double log_loss(std::span<const double> p, std::span<const double> y);
/// Expected calibration error: |mean p - mean y| over `bins` equal-width bins, weighted by size.
[[nodiscard]] double expected_calibration_error(std::span<const double> p,
                                                std::span<const double> y, unsigned bins = 10);
[[nodiscard]] double mae(std::span<const double> pred, std::span<const double> y);
[[nodiscard]] double rmse(std::span<const double> pred, std::span<const double> y);

// -- folds ----------------------------------------------------------------------------------------

/// One outer fold: training and test rows (indices into the dataset), with no user in both.
struct fold_split {
  std::vector<std::size_t> train, test;
};

/// `folds` splits of all rows, grouped by user (group_folds); 0 = leave one user out.
[[nodiscard]] std::vector<fold_split> user_splits(const affect_dataset& data, unsigned folds,
                                                  std::uint64_t seed);

// -- the evaluation -------------------------------------------------------------------------------

struct cv_config {
  unsigned folds = 10;
  std::uint64_t seed = 1;
  std::vector<unsigned> feedback{0, 1, 3, 5, 10}; ///< Numbers of a person's labels to learn from.
  unsigned bootstrap = 1000; ///< Resamples of the test users for 95% intervals; 0 = none.
  affect_model_config model;
};

/// A 95% interval (NaN when not computed).
struct interval {
  double lo = 0, hi = 0;
};

struct binary_scores {
  double auc = 0, brier = 0, ece = 0, log_loss = 0;
};

struct regression_scores {
  double mae = 0, rmse = 0;
};

/// Stress on every test row, nobody's labels known.
struct stress_evaluation {
  std::size_t rows = 0, users = 0;
  double base_rate = 0;
  /// Pooled over all test rows. Baseline: each training fold's base rate; its pooled AUC is not
  /// 0.5, because the folds' rates differ and a fold holding stressed people trains on a lower
  /// rate (the negative bias of pooled cross-validated AUC), which is why fold_auc is given too.
  binary_scores model, baseline;
  double fold_auc = 0;          ///< Mean of the per-fold AUCs (the baseline's is 0.5).
  interval auc_ci;              ///< Of the model's AUC, resampling users.
  interval brier_gain_ci;       ///< Of baseline Brier minus model Brier, resampling users.
  double within_person_auc = 0; ///< Mean AUC inside each user having both classes.
  std::size_t within_users = 0;
  double mean_latent_std = 0; ///< Mean std of the logit.
};

/// Valence or arousal on every test row, nobody's labels known.
struct rating_evaluation {
  affect_target target = affect_target::valence;
  regression_scores model, baseline; ///< Baseline: the training folds' mean.
  interval mae_gain_ci;              ///< Of baseline MAE minus model MAE, resampling users.
  double coverage90 = 0;             ///< Share of labels inside mean +- 1.645 std.
};

/// Scores after k of a person's labels, on the same rows for every k: the rows after each
/// user's first max(k) (file order), of the users having more. `personal`: the intercept-only
/// model with the same per-user offset, i.e. what knowing the person gives without the mouse.
struct feedback_row {
  unsigned k = 0;
  binary_scores stress, stress_personal;
  regression_scores valence, valence_personal, arousal, arousal_personal;
};

struct feedback_evaluation {
  std::size_t users = 0, rows = 0;
  std::vector<feedback_row> by_k;
};

struct state_evaluation {
  unsigned folds = 0;
  stress_evaluation stress;
  rating_evaluation valence, arousal;
  feedback_evaluation feedback;
};

/// Leave-users-out cross-validation of the three models, beside their baselines, and the gain
/// after k feedback labels. Deterministic for a given config.
[[nodiscard]] state_evaluation evaluate_state(const affect_dataset& data, const cv_config& cfg);

} // namespace aia::model::state
