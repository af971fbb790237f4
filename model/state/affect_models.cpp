// The affect models: features and their scaling, the logistic and ridge fits, the stress and the
// rating model with nested hyperparameter choice, Platt calibration and per-user offsets.
#include "model/state/affect_models.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace aia::model::state {

namespace {

constexpr std::size_t raw_count = affect_feature_count - 1;
constexpr double intercept_penalty = 1e-6; // keeps the intercept finite when one class is absent

// -- small numerics -------------------------------------------------------------------------------

double sigmoid(double t) {
  return t >= 0 ? 1 / (1 + std::exp(-t)) : std::exp(t) / (1 + std::exp(t));
}

double log_sigmoid(double t) {
  return t >= 0 ? -std::log1p(std::exp(-t)) : t - std::log1p(std::exp(t));
}

/// Gauss-Hermite rule for E[f(Z)], Z ~ N(0, 1): nodes and weights (summing to 1), by the
/// Golub-Welsch eigenvalue method.
struct normal_rule {
  static constexpr int size = 24;
  Eigen::VectorXd nodes, weights;
  normal_rule() {
    Eigen::MatrixXd j = Eigen::MatrixXd::Zero(size, size);
    for (int i = 1; i < size; ++i) {
      j(i, i - 1) = j(i - 1, i) = std::sqrt(i / 2.0);
    }
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(j);
    nodes = es.eigenvalues() * std::sqrt(2.0);
    weights = es.eigenvectors().row(0).transpose().array().square();
  }
};

const normal_rule& rule() {
  static const normal_rule r;
  return r;
}

/// E[sigmoid(T)] for T ~ N(mu, var).
double expected_sigmoid(double mu, double var) {
  if (var <= 0) {
    return sigmoid(mu);
  }
  const auto& q = rule();
  double sd = std::sqrt(var), p = 0;
  for (int i = 0; i < normal_rule::size; ++i) {
    p += q.weights[i] * sigmoid(mu + sd * q.nodes[i]);
  }
  return p;
}

// -- features -------------------------------------------------------------------------------------

std::array<double, raw_count> raw_features(const affect_record& r) {
  auto day = [&](weekday d) { return r.day == d ? 1.0 : 0.0; };
  return {r.speed,
          r.accuracy,
          r.clicks,
          r.wheels,
          r.trajectories > 0 ? std::log(r.trajectories) : std::numeric_limits<double>::quiet_NaN(),
          r.afternoon ? 1.0 : 0.0,
          day(weekday::tuesday),
          day(weekday::wednesday),
          day(weekday::thursday),
          day(weekday::friday),
          day(weekday::weekend)};
}

/// Standardizes with the training rows' means and std's; a missing value reads as the mean.
/// z-scores are clipped to +-5 so one extreme recording cannot dominate a fit.
class scaler {
public:
  scaler() = default;
  scaler(const affect_dataset& data, std::span<const std::size_t> rows, bool use_features)
      : use_(use_features) {
    for (std::size_t c = 0; c < raw_count; ++c) {
      double n = 0, s = 0, ss = 0;
      for (auto i : rows) {
        double v = raw_features(data.rows[i])[c];
        if (!std::isnan(v)) {
          n += 1;
          s += v;
          ss += v * v;
        }
      }
      mean_[c] = n > 0 ? s / n : 0;
      double var = n > 1 ? (ss - s * s / n) / (n - 1) : 0;
      sd_[c] = var > 1e-24 ? std::sqrt(var) : 1;
    }
  }

  [[nodiscard]] Eigen::Index cols() const { return use_ ? affect_feature_count : 0; }

  [[nodiscard]] Eigen::VectorXd row(const affect_record& r) const {
    Eigen::VectorXd x(cols());
    if (!use_) {
      return x;
    }
    auto raw = raw_features(r);
    for (std::size_t c = 0; c < raw_count; ++c) {
      x[c] = std::isnan(raw[c]) ? 0 : std::clamp((raw[c] - mean_[c]) / sd_[c], -5.0, 5.0);
    }
    x[raw_count] = x[0] * x[1]; // speed x accuracy, the paper's interaction
    return x;
  }

  [[nodiscard]] Eigen::MatrixXd matrix(const affect_dataset& data,
                                       std::span<const std::size_t> rows) const {
    Eigen::MatrixXd x(static_cast<Eigen::Index>(rows.size()), cols());
    for (std::size_t k = 0; k < rows.size(); ++k) {
      x.row(static_cast<Eigen::Index>(k)) = row(data.rows[rows[k]]).transpose();
    }
    return x;
  }

private:
  bool use_ = true;
  std::array<double, raw_count> mean_{}, sd_{};
};

Eigen::VectorXd labels(const affect_dataset& data, std::span<const std::size_t> rows,
                       affect_target t) {
  Eigen::VectorXd y(static_cast<Eigen::Index>(rows.size()));
  for (std::size_t k = 0; k < rows.size(); ++k) {
    y[static_cast<Eigen::Index>(k)] = label_of(data.rows[rows[k]], t);
  }
  return y;
}

/// x with a trailing 1 for the intercept.
Eigen::VectorXd with_one(const Eigen::VectorXd& x) {
  Eigen::VectorXd out(x.size() + 1);
  out << x, 1.0;
  return out;
}

// -- the nested choice of lambda ------------------------------------------------------------------

/// Out-of-fold linear predictions (logit or rating) of an inner grouped CV inside `rows`, for the
/// lambda (from the grid) with the lowest loss. An empty vector if `rows` hold fewer than 2 users.
struct inner_result {
  double lambda = 1;
  std::vector<double> oof;
};

inner_result inner_cv(const affect_dataset& data, std::span<const std::size_t> rows,
                      const affect_model_config& cfg, affect_target t) {
  const bool binary = t == affect_target::stress;
  inner_result best;
  best.lambda = cfg.lambdas.empty() ? 1.0 : cfg.lambdas[cfg.lambdas.size() / 2];
  auto folds = group_folds(data, rows, cfg.inner_folds < 2 ? 2 : cfg.inner_folds, cfg.seed + 17);
  if (folds.size() < 2) {
    return best;
  }
  // position of each row index inside `rows`
  std::vector<std::size_t> pos(data.rows.size());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    pos[rows[k]] = k;
  }
  std::vector<double> grid = cfg.use_features ? cfg.lambdas : std::vector<double>{1.0};
  if (grid.empty()) {
    grid.push_back(1.0);
  }
  double best_loss = std::numeric_limits<double>::infinity();
  for (double lambda : grid) {
    std::vector<double> oof(rows.size());
    double loss = 0;
    for (std::size_t f = 0; f < folds.size(); ++f) {
      std::vector<std::size_t> train;
      for (std::size_t g = 0; g < folds.size(); ++g) {
        if (g != f) {
          train.insert(train.end(), folds[g].begin(), folds[g].end());
        }
      }
      scaler s{data, train, cfg.use_features};
      auto x = s.matrix(data, train);
      auto y = labels(data, train, t);
      auto fit = binary ? fit_logistic(x, y, lambda) : fit_ridge(x, y, lambda);
      for (auto i : folds[f]) {
        double z = s.row(data.rows[i]).dot(fit.w) + fit.b;
        oof[pos[i]] = z;
        double yi = label_of(data.rows[i], t);
        loss += binary ? -log_sigmoid(yi > 0.5 ? z : -z) : (yi - z) * (yi - z);
      }
    }
    if (loss < best_loss) {
      best_loss = loss;
      best.lambda = lambda;
      best.oof = std::move(oof);
    }
  }
  return best;
}

/// Rows grouped by user, as positions into `rows`.
std::vector<std::vector<std::size_t>> groups_of(const affect_dataset& data,
                                                std::span<const std::size_t> rows) {
  std::vector<int> slot(data.users.size(), -1);
  std::vector<std::vector<std::size_t>> out;
  for (std::size_t k = 0; k < rows.size(); ++k) {
    auto u = data.rows[rows[k]].user;
    if (slot[u] < 0) {
      slot[u] = static_cast<int>(out.size());
      out.emplace_back();
    }
    out[static_cast<std::size_t>(slot[u])].push_back(k);
  }
  return out;
}

void fill_summary(affect_fit_summary& s, const linear_fit& fit) {
  s.intercept = fit.b;
  s.coefficients.clear();
  for (Eigen::Index c = 0; c < fit.w.size(); ++c) {
    s.coefficients.emplace_back(std::string{affect_feature_names()[static_cast<std::size_t>(c)]},
                                fit.w[c]);
  }
}

// -- stress ---------------------------------------------------------------------------------------

/// Marginal log-likelihood of the users' labels when each user's logit is shifted by c0 + b_u,
/// b_u ~ N(0, tau^2), with c0 maximized (Newton's method from `c0`, the value
/// at a nearby tau). Returns (loglik, c0).
std::pair<double, double> offset_likelihood(const std::vector<std::vector<std::size_t>>& groups,
                                            const std::vector<double>& logit,
                                            const Eigen::VectorXd& y, double tau, double c0) {
  const auto& q = rule();
  double loglik = 0;
  std::vector<double> lw(normal_rule::size);
  for (int iter = 0; iter < 12; ++iter) {
    double grad = 0, curv = 0;
    loglik = 0;
    for (const auto& g : groups) {
      double top = -std::numeric_limits<double>::infinity();
      for (int n = 0; n < normal_rule::size; ++n) {
        double b = c0 + tau * q.nodes[n], l = std::log(q.weights[n]);
        for (auto k : g) {
          double z = logit[k] + b;
          l += log_sigmoid(y[static_cast<Eigen::Index>(k)] > 0.5 ? z : -z);
        }
        lw[static_cast<std::size_t>(n)] = l;
        top = std::max(top, l);
      }
      double norm = 0;
      for (double l : lw) {
        norm += std::exp(l - top);
      }
      loglik += top + std::log(norm);
      // d/dc0 log L_u = E[g], -d2/dc0^2 log L_u = E[h] - Var[g], over the posterior of b_u
      double eg = 0, eg2 = 0;
      for (int n = 0; n < normal_rule::size; ++n) {
        double post = std::exp(lw[static_cast<std::size_t>(n)] - top) / norm;
        double b = c0 + tau * q.nodes[n], gn = 0, hn = 0;
        for (auto k : g) {
          double p = sigmoid(logit[k] + b);
          gn += y[static_cast<Eigen::Index>(k)] - p;
          hn += p * (1 - p);
        }
        eg += post * gn;
        eg2 += post * gn * gn;
        curv += post * hn;
      }
      grad += eg;
      curv -= eg2 - eg * eg;
    }
    double step = grad / std::max(curv, 1e-6);
    c0 += std::clamp(step, -2.0, 2.0);
    if (std::abs(step) < 1e-6) {
      break;
    }
  }
  return {loglik, c0};
}

class stress_model final : public affect_model {
public:
  explicit stress_model(affect_model_config cfg) : cfg_(std::move(cfg)) {}

  affect_target target() const noexcept override { return affect_target::stress; }

  void fit(const affect_dataset& data, std::span<const std::size_t> rows) override {
    auto inner = inner_cv(data, rows, cfg_, affect_target::stress);
    auto y = labels(data, rows, affect_target::stress);
    summary_ = {};
    summary_.lambda = inner.lambda;
    if (!inner.oof.empty()) {
      // Platt scaling on the inner out-of-fold logits
      Eigen::VectorXd z = Eigen::Map<const Eigen::VectorXd>(inner.oof.data(),
                                                            static_cast<Eigen::Index>(rows.size()));
      if (cfg_.calibrate && cfg_.use_features) {
        auto platt = fit_logistic(z, y, 1e-6);
        summary_.platt_scale = platt.w[0];
        summary_.platt_shift = platt.b;
      }
      std::vector<double> logit(rows.size());
      for (std::size_t k = 0; k < rows.size(); ++k) {
        logit[k] = summary_.platt_scale * inner.oof[k] + summary_.platt_shift;
      }
      // prior of the user offsets: tau by golden section on the marginal likelihood
      if (cfg_.user_offsets) {
        auto groups = groups_of(data, rows);
        double warm = 0;
        auto value = [&](double tau) {
          auto v = offset_likelihood(groups, logit, y, tau, warm);
          warm = v.second;
          return v;
        };
        double lo = 0, hi = 3, r = (std::sqrt(5.0) - 1) / 2;
        double a = hi - r * (hi - lo), b = lo + r * (hi - lo);
        double fa = value(a).first, fb = value(b).first;
        for (int i = 0; i < 25; ++i) {
          if (fa < fb) {
            lo = a, a = b, fa = fb, b = lo + r * (hi - lo), fb = value(b).first;
          } else {
            hi = b, b = a, fb = fa, a = hi - r * (hi - lo), fa = value(a).first;
          }
        }
        double tau = (lo + hi) / 2;
        auto at_tau = value(tau);
        auto at_zero = value(0);
        if (at_zero.first >= at_tau.first) {
          tau = 0, at_tau = at_zero;
        }
        summary_.offset_std = tau;
        shift_ = at_tau.second;
      }
    }
    scaler_ = scaler{data, rows, cfg_.use_features};
    fit_ = fit_logistic(scaler_.matrix(data, rows), y, summary_.lambda);
    fill_summary(summary_, fit_);
  }

  affect_prediction predict(const affect_record& r, const user_offset& u) const override {
    auto x = with_one(scaler_.row(r));
    double z = x.head(fit_.w.size()).dot(fit_.w) + fit_.b;
    double var_z = x.dot(fit_.covariance * x);
    double a = summary_.platt_scale;
    double mu = a * z + summary_.platt_shift + shift_ + u.mean;
    double var = a * a * var_z + u.variance;
    double p = expected_sigmoid(mu, var);
    return {p, std::sqrt(p * (1 - p)), std::sqrt(var)};
  }

  user_offset prior_offset() const override {
    return {0, summary_.offset_std * summary_.offset_std, 0};
  }

  user_offset observe(const user_offset& u, const affect_record& r) const override {
    user_offset out = u;
    ++out.labels;
    if (u.variance <= 0) {
      return out;
    }
    // moments of N(m, v) * sigmoid(s (l + b)), by quadrature
    double l = summary_.platt_scale * (scaler_.row(r).dot(fit_.w) + fit_.b) + summary_.platt_shift
               + shift_;
    double s = r.stress ? 1 : -1, sd = std::sqrt(u.variance);
    const auto& q = rule();
    double z0 = 0, z1 = 0, z2 = 0;
    for (int n = 0; n < normal_rule::size; ++n) {
      double b = u.mean + sd * q.nodes[n];
      double w = q.weights[n] * sigmoid(s * (l + b));
      z0 += w, z1 += w * b, z2 += w * b * b;
    }
    out.mean = z1 / z0;
    out.variance = std::max(z2 / z0 - out.mean * out.mean, 1e-12);
    return out;
  }

  affect_fit_summary summary() const override { return summary_; }

private:
  affect_model_config cfg_;
  scaler scaler_;
  linear_fit fit_;
  affect_fit_summary summary_;
  double shift_ = 0; // c0: the conditional intercept's shift from the marginal one
};

// -- valence, arousal -----------------------------------------------------------------------------

class rating_model final : public affect_model {
public:
  rating_model(affect_target t, affect_model_config cfg) : target_(t), cfg_(std::move(cfg)) {}

  affect_target target() const noexcept override { return target_; }

  void fit(const affect_dataset& data, std::span<const std::size_t> rows) override {
    auto inner = inner_cv(data, rows, cfg_, target_);
    auto y = labels(data, rows, target_);
    summary_ = {};
    summary_.lambda = inner.lambda;
    scaler_ = scaler{data, rows, cfg_.use_features};
    fit_ = fit_ridge(scaler_.matrix(data, rows), y, summary_.lambda);
    noise_var_ = fit_.noise_variance;
    if (!inner.oof.empty()) {
      // one-way ANOVA of the out-of-fold residuals by user: within = noise, between = tau^2
      auto groups = groups_of(data, rows);
      double n = static_cast<double>(rows.size()), users = static_cast<double>(groups.size());
      double total = 0, within = 0, between = 0, sum_n2 = 0;
      for (std::size_t k = 0; k < rows.size(); ++k) {
        total += y[static_cast<Eigen::Index>(k)] - inner.oof[k];
      }
      double grand = total / n;
      for (const auto& g : groups) {
        double m = 0;
        for (auto k : g) {
          m += y[static_cast<Eigen::Index>(k)] - inner.oof[k];
        }
        m /= static_cast<double>(g.size());
        for (auto k : g) {
          double e = y[static_cast<Eigen::Index>(k)] - inner.oof[k] - m;
          within += e * e;
        }
        between += static_cast<double>(g.size()) * (m - grand) * (m - grand);
        sum_n2 += static_cast<double>(g.size() * g.size());
      }
      double msw = within / std::max(1.0, n - users);
      double msb = between / std::max(1.0, users - 1);
      double n0 = (n - sum_n2 / n) / std::max(1.0, users - 1);
      double tau2 = n0 > 0 ? std::max(0.0, (msb - msw) / n0) : 0;
      if (cfg_.user_offsets) {
        summary_.offset_std = std::sqrt(tau2);
        noise_var_ = msw;
      } else {
        noise_var_ = msw + tau2;
      }
    }
    summary_.noise_std = std::sqrt(noise_var_);
    fill_summary(summary_, fit_);
  }

  affect_prediction predict(const affect_record& r, const user_offset& u) const override {
    auto x = with_one(scaler_.row(r));
    double mean = x.head(fit_.w.size()).dot(fit_.w) + fit_.b + u.mean;
    double latent = x.dot(fit_.covariance * x) + u.variance;
    return {std::clamp(mean, 1.0, 7.0), std::sqrt(noise_var_ + latent), std::sqrt(latent)};
  }

  user_offset prior_offset() const override {
    return {0, summary_.offset_std * summary_.offset_std, 0};
  }

  user_offset observe(const user_offset& u, const affect_record& r) const override {
    user_offset out = u;
    ++out.labels;
    if (u.variance <= 0 || noise_var_ <= 0) {
      return out;
    }
    double residual = label_of(r, target_) - (scaler_.row(r).dot(fit_.w) + fit_.b);
    double precision = 1 / u.variance + 1 / noise_var_;
    out.mean = (u.mean / u.variance + residual / noise_var_) / precision;
    out.variance = 1 / precision;
    return out;
  }

  affect_fit_summary summary() const override { return summary_; }

private:
  affect_target target_;
  affect_model_config cfg_;
  scaler scaler_;
  linear_fit fit_;
  affect_fit_summary summary_;
  double noise_var_ = 1;
};

} // namespace

// -- public functions -----------------------------------------------------------------------------

std::string_view to_string(affect_target t) noexcept {
  switch (t) {
  case affect_target::stress:
    return "stress";
  case affect_target::valence:
    return "valence";
  case affect_target::arousal:
    return "arousal";
  }
  return "?";
}

double label_of(const affect_record& r, affect_target t) noexcept {
  switch (t) {
  case affect_target::stress:
    return r.stress ? 1 : 0;
  case affect_target::valence:
    return r.valence;
  case affect_target::arousal:
    return r.arousal;
  }
  return 0;
}

const std::array<std::string_view, affect_feature_count>& affect_feature_names() {
  static const std::array<std::string_view, affect_feature_count> names{
      "speed",   "accuracy",  "clicks",   "wheels", "log_trajectories", "afternoon",
      "tuesday", "wednesday", "thursday", "friday", "weekend",          "speed_x_accuracy"};
  return names;
}

std::unique_ptr<affect_model> make_affect_model(affect_target t, affect_model_config config) {
  if (t == affect_target::stress) {
    return std::make_unique<stress_model>(std::move(config));
  }
  return std::make_unique<rating_model>(t, std::move(config));
}

loss_and_gradient logistic_loss(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                const Eigen::VectorXd& theta, double lambda) {
  auto p = x.cols();
  Eigen::VectorXd w = theta.head(p);
  double b = theta[p];
  Eigen::VectorXd z = (x * w).array() + b;
  loss_and_gradient out;
  out.value = lambda / 2 * w.squaredNorm() + intercept_penalty / 2 * b * b;
  Eigen::VectorXd r(z.size());
  for (Eigen::Index i = 0; i < z.size(); ++i) {
    out.value -= log_sigmoid(y[i] > 0.5 ? z[i] : -z[i]);
    r[i] = sigmoid(z[i]) - y[i];
  }
  out.gradient.resize(p + 1);
  out.gradient.head(p) = x.transpose() * r + lambda * w;
  out.gradient[p] = r.sum() + intercept_penalty * b;
  return out;
}

linear_fit fit_logistic(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, double lambda) {
  auto p = x.cols();
  Eigen::MatrixXd xt(x.rows(), p + 1);
  xt << x, Eigen::VectorXd::Ones(x.rows());
  Eigen::VectorXd penalty = Eigen::VectorXd::Constant(p + 1, lambda);
  penalty[p] = intercept_penalty;
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(p + 1);
  Eigen::MatrixXd h;
  auto hessian = [&](const Eigen::VectorXd& th) {
    Eigen::VectorXd z = xt * th;
    Eigen::VectorXd d = z.unaryExpr([](double t) { return sigmoid(t) * (1 - sigmoid(t)); });
    Eigen::MatrixXd out = xt.transpose() * d.asDiagonal() * xt;
    out.diagonal() += penalty;
    return out;
  };
  auto current = logistic_loss(x, y, theta, lambda);
  for (int iter = 0; iter < 100; ++iter) {
    h = hessian(theta);
    Eigen::VectorXd step = h.ldlt().solve(current.gradient);
    // backtracking: Newton steps on a flat likelihood can overshoot
    double t = 1;
    auto next = logistic_loss(x, y, theta - step, lambda);
    while (next.value > current.value + 1e-12 && t > 1e-8) {
      t /= 2;
      next = logistic_loss(x, y, theta - t * step, lambda);
    }
    theta -= t * step;
    current = next;
    if ((t * step).cwiseAbs().maxCoeff() < 1e-10) {
      break;
    }
  }
  h = hessian(theta);
  linear_fit out;
  out.w = theta.head(p);
  out.b = theta[p];
  out.covariance = h.ldlt().solve(Eigen::MatrixXd::Identity(p + 1, p + 1));
  return out;
}

linear_fit fit_ridge(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, double lambda) {
  auto n = x.rows(), p = x.cols();
  linear_fit out;
  Eigen::RowVectorXd mean_x
      = n > 0 ? Eigen::RowVectorXd(x.colwise().mean()) : Eigen::RowVectorXd::Zero(p);
  double mean_y = n > 0 ? y.mean() : 0;
  Eigen::MatrixXd xc = x.rowwise() - mean_x;
  Eigen::MatrixXd a = xc.transpose() * xc;
  a.diagonal().array() += lambda;
  out.w = a.ldlt().solve(xc.transpose() * (y.array() - mean_y).matrix());
  out.b = mean_y - mean_x.dot(out.w);
  Eigen::VectorXd residual = (y - x * out.w).array() - out.b;
  out.noise_variance
      = residual.squaredNorm() / static_cast<double>(std::max<Eigen::Index>(1, n - p - 1));
  // posterior covariance of (w, b) under a N(0, sigma^2 / lambda) prior and a flat intercept
  Eigen::MatrixXd xt(n, p + 1);
  xt << x, Eigen::VectorXd::Ones(n);
  Eigen::MatrixXd g = xt.transpose() * xt;
  g.diagonal().head(p).array() += lambda;
  out.covariance = out.noise_variance * g.ldlt().solve(Eigen::MatrixXd::Identity(p + 1, p + 1));
  return out;
}

} // namespace aia::model::state
