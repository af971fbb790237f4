// Leave-users-out cross-validation of the affect models, metrics and user-bootstrap intervals.
#include "model/state/cross_validation.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

namespace aia::model::state {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr std::array<affect_target, 3> targets{affect_target::stress, affect_target::valence,
                                               affect_target::arousal};

/// Predictions and labels gathered for one score.
struct pairs {
  std::vector<double> pred, y;
  void add(double p, double label) {
    pred.push_back(p);
    y.push_back(label);
  }
};

binary_scores binary_of(const pairs& s) {
  return {auc(s.pred, s.y), brier(s.pred, s.y), expected_calibration_error(s.pred, s.y),
          log_loss(s.pred, s.y)};
}

regression_scores regression_of(const pairs& s) {
  return {mae(s.pred, s.y), rmse(s.pred, s.y)};
}

/// 2.5% and 97.5% quantiles of `stat` over resamples of the users (rows grouped in `users`).
template <class Stat>
interval bootstrap(const std::vector<std::vector<std::size_t>>& users, unsigned resamples,
                   std::uint64_t seed, Stat stat) {
  if (resamples == 0 || users.empty()) {
    return {nan, nan};
  }
  std::mt19937_64 rng{seed};
  std::vector<double> values;
  std::vector<std::size_t> rows;
  for (unsigned b = 0; b < resamples; ++b) {
    rows.clear();
    for (std::size_t j = 0; j < users.size(); ++j) {
      const auto& u = users[rng() % users.size()];
      rows.insert(rows.end(), u.begin(), u.end());
    }
    double v = stat(rows);
    if (!std::isnan(v)) {
      values.push_back(v);
    }
  }
  if (values.empty()) {
    return {nan, nan};
  }
  std::sort(values.begin(), values.end());
  auto at = [&](double q) {
    return values[static_cast<std::size_t>(q * static_cast<double>(values.size() - 1) + 0.5)];
  };
  return {at(0.025), at(0.975)};
}

/// Per target: every row's prediction (indexed like data.rows) by the model and the baseline.
struct row_predictions {
  std::vector<double> model, std, baseline, latent;
};

} // namespace

// -- metrics --------------------------------------------------------------------------------------

double auc(std::span<const double> p, std::span<const double> y) {
  std::vector<std::size_t> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return p[a] < p[b]; });
  double pos = 0, rank_sum = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j < order.size() && p[order[j]] == p[order[i]]) {
      ++j;
    }
    double mid_rank = (static_cast<double>(i + j) + 1) / 2; // ranks i+1..j, averaged
    for (std::size_t k = i; k < j; ++k) {
      if (y[order[k]] > 0.5) {
        pos += 1;
        rank_sum += mid_rank;
      }
    }
    i = j;
  }
  double neg = static_cast<double>(p.size()) - pos;
  if (pos == 0 || neg == 0) {
    return nan;
  }
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

double brier(std::span<const double> p, std::span<const double> y) {
  return rmse(p, y) * rmse(p, y);
}

double log_loss(std::span<const double> p, std::span<const double> y) {
  if (p.empty()) {
    return nan;
  }
  double s = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    double q = std::clamp(p[i], 1e-12, 1 - 1e-12);
    s -= y[i] > 0.5 ? std::log(q) : std::log(1 - q);
  }
  return s / static_cast<double>(p.size());
}

double expected_calibration_error(std::span<const double> p, std::span<const double> y,
                                  unsigned bins) {
  if (p.empty() || bins == 0) {
    return nan;
  }
  std::vector<double> n(bins), sp(bins), sy(bins);
  for (std::size_t i = 0; i < p.size(); ++i) {
    auto b = std::min<std::size_t>(bins - 1, static_cast<std::size_t>(std::max(0.0, p[i]) * bins));
    n[b] += 1;
    sp[b] += p[i];
    sy[b] += y[i];
  }
  double e = 0;
  for (unsigned b = 0; b < bins; ++b) {
    e += std::abs(sp[b] - sy[b]); // = n_b |mean p - mean y|
  }
  return e / static_cast<double>(p.size());
}

double mae(std::span<const double> pred, std::span<const double> y) {
  if (pred.empty()) {
    return nan;
  }
  double s = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) {
    s += std::abs(pred[i] - y[i]);
  }
  return s / static_cast<double>(pred.size());
}

double rmse(std::span<const double> pred, std::span<const double> y) {
  if (pred.empty()) {
    return nan;
  }
  double s = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) {
    s += (pred[i] - y[i]) * (pred[i] - y[i]);
  }
  return std::sqrt(s / static_cast<double>(pred.size()));
}

// -- folds ----------------------------------------------------------------------------------------

std::vector<fold_split> user_splits(const affect_dataset& data, unsigned folds,
                                    std::uint64_t seed) {
  std::vector<std::size_t> all(data.rows.size());
  std::iota(all.begin(), all.end(), 0);
  auto groups = group_folds(data, all, folds, seed);
  std::vector<fold_split> out(groups.size());
  for (std::size_t f = 0; f < groups.size(); ++f) {
    out[f].test = groups[f];
    for (std::size_t g = 0; g < groups.size(); ++g) {
      if (g != f) {
        out[f].train.insert(out[f].train.end(), groups[g].begin(), groups[g].end());
      }
    }
    std::sort(out[f].train.begin(), out[f].train.end());
  }
  return out;
}

// -- the evaluation -------------------------------------------------------------------------------

state_evaluation evaluate_state(const affect_dataset& data, const cv_config& cfg) {
  state_evaluation out;
  auto splits = user_splits(data, cfg.folds, cfg.seed);
  out.folds = static_cast<unsigned>(splits.size());
  auto by_user = rows_by_user(data);
  unsigned max_k
      = cfg.feedback.empty() ? 0 : *std::max_element(cfg.feedback.begin(), cfg.feedback.end());
  std::array<row_predictions, 3> rows;
  for (auto& r : rows) {
    r.model.assign(data.rows.size(), nan);
    r.std = r.baseline = r.latent = r.model;
  }
  // feedback[target][k index]: (model, personal) pairs on the rows after the first max_k
  std::array<std::vector<std::array<pairs, 2>>, 3> feedback;
  for (auto& f : feedback) {
    f.resize(cfg.feedback.size());
  }
  auto personal_cfg = cfg.model;
  personal_cfg.use_features = false;
  for (const auto& split : splits) {
    // users of this test fold, in order
    std::vector<std::uint32_t> test_users;
    for (auto i : split.test) {
      auto u = data.rows[i].user;
      if (std::find(test_users.begin(), test_users.end(), u) == test_users.end()) {
        test_users.push_back(u);
      }
    }
    for (std::size_t t = 0; t < targets.size(); ++t) {
      auto model = make_affect_model(targets[t], cfg.model);
      auto personal = make_affect_model(targets[t], personal_cfg);
      model->fit(data, split.train);
      personal->fit(data, split.train);
      double base = 0;
      for (auto i : split.train) {
        base += label_of(data.rows[i], targets[t]);
      }
      base /= std::max<double>(1, static_cast<double>(split.train.size()));
      for (auto i : split.test) {
        auto p = model->predict(data.rows[i]);
        rows[t].model[i] = p.mean;
        rows[t].std[i] = p.std;
        rows[t].latent[i] = p.latent_std;
        rows[t].baseline[i] = base;
      }
      // feedback: learn each person's offset from their first labels, score the rest
      for (auto u : test_users) {
        const auto& mine = by_user[u];
        if (mine.size() <= max_k) {
          continue;
        }
        for (int kind = 0; kind < 2; ++kind) {
          const auto& m = kind == 0 ? *model : *personal;
          std::vector<user_offset> after(max_k + 1);
          after[0] = m.prior_offset();
          for (unsigned j = 0; j < max_k; ++j) {
            after[j + 1] = m.observe(after[j], data.rows[mine[j]]);
          }
          for (std::size_t ki = 0; ki < cfg.feedback.size(); ++ki) {
            for (std::size_t j = max_k; j < mine.size(); ++j) {
              const auto& r = data.rows[mine[j]];
              feedback[t][ki][kind].add(m.predict(r, after[cfg.feedback[ki]]).mean,
                                        label_of(r, targets[t]));
            }
          }
        }
      }
    }
  }
  // -- pooled scores on every row
  auto gather
      = [&](std::span<const std::size_t> idx, const std::vector<double>& pred, affect_target t) {
          pairs s;
          for (auto i : idx) {
            s.add(pred[i], label_of(data.rows[i], t));
          }
          return s;
        };
  std::vector<std::size_t> all(data.rows.size());
  std::iota(all.begin(), all.end(), 0);
  {
    auto& e = out.stress;
    e.rows = data.rows.size();
    e.users = data.users.size();
    auto y = gather(all, rows[0].baseline, affect_target::stress).y;
    e.base_rate = y.empty() ? nan : std::accumulate(y.begin(), y.end(), 0.0) / y.size();
    e.model = binary_of(gather(all, rows[0].model, affect_target::stress));
    e.baseline = binary_of(gather(all, rows[0].baseline, affect_target::stress));
    double sum_auc = 0, n_auc = 0;
    for (const auto& split : splits) {
      auto f = gather(split.test, rows[0].model, affect_target::stress);
      double a = auc(f.pred, f.y);
      if (!std::isnan(a)) {
        sum_auc += a;
        n_auc += 1;
      }
    }
    e.fold_auc = n_auc > 0 ? sum_auc / n_auc : nan;
    e.auc_ci = bootstrap(by_user, cfg.bootstrap, cfg.seed + 1, [&](const auto& idx) {
      auto s = gather(idx, rows[0].model, affect_target::stress);
      return auc(s.pred, s.y);
    });
    e.brier_gain_ci = bootstrap(by_user, cfg.bootstrap, cfg.seed + 2, [&](const auto& idx) {
      auto m = gather(idx, rows[0].model, affect_target::stress);
      auto b = gather(idx, rows[0].baseline, affect_target::stress);
      return brier(b.pred, b.y) - brier(m.pred, m.y);
    });
    double sum = 0;
    for (const auto& idx : by_user) {
      auto s = gather(idx, rows[0].model, affect_target::stress);
      double a = auc(s.pred, s.y);
      if (!std::isnan(a)) {
        sum += a;
        ++e.within_users;
      }
    }
    e.within_person_auc = e.within_users > 0 ? sum / static_cast<double>(e.within_users) : nan;
    e.mean_latent_std = std::accumulate(rows[0].latent.begin(), rows[0].latent.end(), 0.0)
                        / std::max<double>(1, static_cast<double>(rows[0].latent.size()));
  }
  for (std::size_t t = 1; t < 3; ++t) {
    auto& e = t == 1 ? out.valence : out.arousal;
    e.target = targets[t];
    e.model = regression_of(gather(all, rows[t].model, targets[t]));
    e.baseline = regression_of(gather(all, rows[t].baseline, targets[t]));
    e.mae_gain_ci = bootstrap(by_user, cfg.bootstrap, cfg.seed + 2 + t, [&](const auto& idx) {
      auto m = gather(idx, rows[t].model, targets[t]);
      auto b = gather(idx, rows[t].baseline, targets[t]);
      return mae(b.pred, b.y) - mae(m.pred, m.y);
    });
    double inside = 0;
    for (auto i : all) {
      double y = label_of(data.rows[i], targets[t]);
      inside += std::abs(y - rows[t].model[i]) <= 1.645 * rows[t].std[i] ? 1 : 0;
    }
    e.coverage90 = all.empty() ? nan : inside / static_cast<double>(all.size());
  }
  // -- the feedback table
  for (const auto& mine : by_user) {
    if (mine.size() > max_k) {
      ++out.feedback.users;
      out.feedback.rows += mine.size() - max_k;
    }
  }
  for (std::size_t ki = 0; ki < cfg.feedback.size(); ++ki) {
    feedback_row r;
    r.k = cfg.feedback[ki];
    r.stress = binary_of(feedback[0][ki][0]);
    r.stress_personal = binary_of(feedback[0][ki][1]);
    r.valence = regression_of(feedback[1][ki][0]);
    r.valence_personal = regression_of(feedback[1][ki][1]);
    r.arousal = regression_of(feedback[2][ki][0]);
    r.arousal_personal = regression_of(feedback[2][ki][1]);
    out.feedback.by_k.push_back(r);
  }
  return out;
}

} // namespace aia::model::state
