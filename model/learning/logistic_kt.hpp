// Feature-based logistic knowledge tracing in the spirit of PFA and Best-LR (Gervet et al. 2020).
#pragma once

#include "model/learning/kt_data.hpp"

#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <cstdint>
#include <vector>

namespace aia::model::learning {

// -- regularised logistic regression ------------------------------------------------------------

/// A weighted, L2-regularised logistic regression over a sparse design.
struct logistic_problem {
  Eigen::SparseMatrix<double, Eigen::RowMajor> x;
  Eigen::VectorXd y;      ///< 0/1 per row
  Eigen::VectorXd weight; ///< per row; empty means 1
  Eigen::VectorXd l2;     ///< per column; empty means 0
};

/// The objective sum_i w_i loss_i / sum_i w_i + 1/2 sum_j l2_j b_j^2 at `b`; fills its gradient.
[[nodiscard]] double logistic_objective(const logistic_problem& p, const Eigen::VectorXd& b,
                                        Eigen::VectorXd& gradient);

/// Minimises logistic_objective() by L-BFGS from `start` (zeros if empty).
[[nodiscard]] Eigen::VectorXd fit_logistic(const logistic_problem& p, int max_iterations = 500,
                                           double gradient_tolerance = 1e-6,
                                           Eigen::VectorXd start = {});

// -- the knowledge-tracing model ----------------------------------------------------------------

/// Training settings; the L2 strengths are meant to be chosen on validation data.
struct logistic_kt_options {
  double l2 = 1e-6;         ///< on every weight but the bias and the problem difficulties
  double l2_problem = 1e-5; ///< on the problem difficulties (many problems are rare)
  int max_iterations = 400;
  bool group_attempts = true; ///< train on attempts (see group_attempts()) rather than rows
};

/// Logistic model over per-learner counts, recency and running accuracy, plus skill and problem
/// difficulties. Features of attempt t use only the learner's attempts before t.
class logistic_kt {
public:
  /// What the model keeps about one skill of one learner (28 bytes).
  struct skill_entry {
    std::uint32_t skill = 0;
    float succ = 0;
    float fail = 0;
    float ema = 0;      ///< exponentially weighted correctness (numerator)
    float ema_norm = 0; ///< its weight sum, for bias correction
    std::uint32_t last_attempt = 0;
    std::int8_t last = 0; ///< +1 / -1 for the skill's previous answer
  };
  /// What the model keeps about one problem of one learner (12 bytes).
  struct problem_entry {
    std::uint32_t problem = 0;
    float succ = 0;
    float fail = 0;
  };
  /// A learner's state; entries are sorted by id.
  struct learner {
    std::vector<skill_entry> skills;
    std::vector<problem_entry> problems;
    float succ = 0;
    float fail = 0;
    float ema = 0;
    float ema_norm = 0;
    float ability = 0;      ///< EWMA of (answer - the problem's mean correctness in training)
    float ability_norm = 0; ///< its weight sum
    std::int8_t last = 0;   ///< +1 / -1 for the previous answer, 0 before the first
    std::uint32_t attempts = 0;
  };

  logistic_kt() = default;

  /// Trains on `train` by replaying every learner's attempts through the same state updates.
  [[nodiscard]] static logistic_kt fit(const kt_dataset& train, const logistic_kt_options& opt);

  /// p(correct) of `item` before the answer.
  [[nodiscard]] double predict(const learner& l, const kt_item& item) const noexcept;
  /// Folds one answer into the learner's state.
  void update(learner& l, const kt_item& item, bool correct) const;

  [[nodiscard]] const Eigen::VectorXd& weights() const noexcept { return w_; }
  [[nodiscard]] std::uint32_t skill_count() const noexcept { return skills_; }
  [[nodiscard]] std::uint32_t problem_count() const noexcept { return problems_; }

  /// Number of features before the indexed blocks (bias, counts, recency, running accuracy).
  static constexpr std::uint32_t dense_features = 19;

private:
  logistic_kt(std::uint32_t skills, std::uint32_t problems)
      : skills_(skills), problems_(problems) {}

  /// Mean correctness of `item`'s problem in training (shrunk to its skills' mean).
  [[nodiscard]] float expected(const kt_item& item) const noexcept;

  Eigen::VectorXd w_;
  std::vector<float> problem_mean_; ///< smoothed mean correctness per problem in training
  std::vector<float> skill_mean_;   ///< mean correctness per skill in training
  float mean_ = 0.5F;
  std::uint32_t skills_ = 0;
  std::uint32_t problems_ = 0;
};

} // namespace aia::model::learning
