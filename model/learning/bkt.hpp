// Bayesian knowledge tracing (Corbett & Anderson 1995) with optional forgetting, fitted by EM.
#pragma once

#include "model/learning/kt_data.hpp"

#include <cstdint>
#include <utility>
#include <vector>

namespace aia::model::learning {

/// One skill's BKT parameters: a two-state hidden Markov model (known / unknown).
struct bkt_params {
  double init = 0.3;   ///< p(L0): known before the first attempt
  double learn = 0.1;  ///< p(T): unknown -> known after an attempt
  double guess = 0.2;  ///< p(G): correct while unknown
  double slip = 0.1;   ///< p(S): wrong while known
  double forget = 0.0; ///< p(F): known -> unknown after an attempt (0 in classic BKT)

  /// p(correct) given p(known).
  [[nodiscard]] double p_correct(double p_known) const noexcept {
    return p_known * (1 - slip) + (1 - p_known) * guess;
  }
  /// p(known) after observing one answer, including the transition to the next attempt.
  [[nodiscard]] double posterior(double p_known, bool correct) const noexcept;
};

/// Bounds and stopping rule of the EM fit. The bounds keep the model identifiable: guess and slip
/// below 0.3 make "known" the state that answers correctly.
struct bkt_fit_options {
  bool forgetting = false;
  int max_iterations = 200;
  double tolerance = 1e-7; ///< stop when the log-likelihood gains less than this per observation
  double max_guess = 0.3;
  double max_slip = 0.3;
  double max_forget = 0.5;
  double min_prob = 1e-4; ///< every parameter stays in [min_prob, 1 - min_prob] (forget: [0, ...])
};

/// A fit's outcome: the parameters and the log-likelihood before each iteration and at the end.
struct bkt_fit_result {
  bkt_params params;
  std::vector<double> log_likelihood;
};

/// One skill's observations: a 0/1 sequence per learner.
using bkt_observations = std::vector<std::vector<std::uint8_t>>;

/// Log-likelihood of `obs` under `p` (forward algorithm).
[[nodiscard]] double bkt_log_likelihood(const bkt_params& p, const bkt_observations& obs);

/// Baum-Welch EM from `start`; each M-step maximises within the bounds, so the log-likelihood
/// never decreases.
[[nodiscard]] bkt_fit_result fit_bkt(const bkt_observations& obs, const bkt_fit_options& opt,
                                     bkt_params start = {});

/// Per-skill BKT over a skill vocabulary; skills it never saw use the pooled fit.
class bkt_model {
public:
  /// A learner's state: p(known) per skill seen so far, sorted by skill (about 8 bytes a skill).
  struct learner {
    std::vector<std::pair<std::uint32_t, float>> known;
  };

  bkt_model() = default;
  bkt_model(std::vector<bkt_params> per_skill, bkt_params pooled);

  /// Fits the pooled parameters on all skills, then each skill from them, on `train`'s rows.
  [[nodiscard]] static bkt_model fit(const kt_dataset& train, const bkt_fit_options& opt = {});

  /// p(correct) of `item` before the answer: the mean over its skills.
  [[nodiscard]] double predict(const learner& l, const kt_item& item) const noexcept;
  /// Folds one answer into the learner's state (every skill of the item).
  void update(learner& l, const kt_item& item, bool correct) const;
  /// p(known) of `skill` for `l` now.
  [[nodiscard]] double mastery(const learner& l, std::uint32_t skill) const noexcept;

  [[nodiscard]] const bkt_params& params(std::uint32_t skill) const noexcept {
    return skill < per_skill_.size() ? per_skill_[skill] : pooled_;
  }
  [[nodiscard]] const bkt_params& pooled() const noexcept { return pooled_; }

private:
  std::vector<bkt_params> per_skill_;
  bkt_params pooled_;
};

} // namespace aia::model::learning
