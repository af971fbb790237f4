// Tests of the affect models (model/state/affect_models.hpp): the fitting primitives against
// derivatives and closed forms, and the per-user offsets on synthetic people.
#include "model/state/affect_models.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <numeric>
#include <random>

using namespace aia::model::state;

namespace {

/// People whose stress logit is -1.5 + signal * z(speed) + b_u and whose valence is
/// 4 + signal * z(speed) + c_u + noise, with b_u, c_u ~ N(0, offset_sd^2).
struct synthetic_people {
  affect_dataset data;
  std::vector<double> stress_offset, valence_offset;
};

synthetic_people make_people(int users, int per_user, double signal, double offset_sd,
                             std::uint64_t seed) {
  std::mt19937_64 rng{seed};
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unit;
  synthetic_people p;
  for (int u = 0; u < users; ++u) {
    p.data.users.push_back(std::to_string(u));
    p.stress_offset.push_back(offset_sd * normal(rng));
    p.valence_offset.push_back(offset_sd * normal(rng));
  }
  for (int i = 0; i < per_user; ++i) {
    for (int u = 0; u < users; ++u) {
      affect_record r;
      r.user = static_cast<std::uint32_t>(u);
      r.line = p.data.rows.size() + 2;
      double z = normal(rng);
      r.speed = 0.3 + 0.1 * z;
      r.accuracy = 0.6 + 0.1 * normal(rng);
      r.clicks = 0.01 * unit(rng);
      r.wheels = 0.01 * unit(rng);
      r.trajectories = 10 + std::floor(200 * unit(rng));
      r.day = static_cast<weekday>(rng() % 6);
      r.afternoon = unit(rng) < 0.5;
      double logit = -1.5 + signal * z + p.stress_offset[static_cast<std::size_t>(u)];
      r.stress = unit(rng) < 1 / (1 + std::exp(-logit));
      r.valence
          = 4 + signal * z + p.valence_offset[static_cast<std::size_t>(u)] + 0.7 * normal(rng);
      r.arousal = 3 + 0.7 * normal(rng);
      p.data.rows.push_back(r);
    }
  }
  return p;
}

std::vector<std::size_t> rows_of_users(const affect_dataset& d, std::uint32_t from,
                                       std::uint32_t to) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < d.rows.size(); ++i) {
    if (d.rows[i].user >= from && d.rows[i].user < to) {
      out.push_back(i);
    }
  }
  return out;
}

} // namespace

TEST_CASE("the logistic gradient matches central finite differences") {
  std::mt19937_64 rng{3};
  std::normal_distribution<double> normal;
  Eigen::MatrixXd x(40, 4);
  Eigen::VectorXd y(40), theta(5);
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    x.data()[i] = normal(rng);
  }
  for (Eigen::Index i = 0; i < 40; ++i) {
    y[i] = normal(rng) > 0.3 ? 1 : 0;
  }
  for (Eigen::Index i = 0; i < 5; ++i) {
    theta[i] = normal(rng);
  }
  for (double lambda : {0.0, 0.7, 10.0}) {
    auto g = logistic_loss(x, y, theta, lambda).gradient;
    for (Eigen::Index j = 0; j < theta.size(); ++j) {
      double h = 1e-6;
      Eigen::VectorXd up = theta, down = theta;
      up[j] += h;
      down[j] -= h;
      double numeric
          = (logistic_loss(x, y, up, lambda).value - logistic_loss(x, y, down, lambda).value)
            / (2 * h);
      CHECK(g[j] == Approx(numeric).epsilon(1e-6).margin(1e-7));
    }
  }
  SECTION("and vanishes at the fitted optimum") {
    auto fit = fit_logistic(x, y, 0.7);
    Eigen::VectorXd opt(5);
    opt << fit.w, fit.b;
    CHECK(logistic_loss(x, y, opt, 0.7).gradient.cwiseAbs().maxCoeff() < 1e-8);
    CHECK(fit.covariance.rows() == 5);
    CHECK(fit.covariance.diagonal().minCoeff() > 0);
  }
}

TEST_CASE("ridge regression matches its closed forms") {
  std::mt19937_64 rng{5};
  std::normal_distribution<double> normal;
  Eigen::MatrixXd x(60, 3);
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    x.data()[i] = normal(rng);
  }
  Eigen::VectorXd y = x * Eigen::Vector3d(1, -2, 0.5);
  y.array() += 3;
  for (Eigen::Index i = 0; i < 60; ++i) {
    y[i] += 0.3 * normal(rng);
  }
  for (double lambda : {0.0, 2.0, 50.0}) {
    auto fit = fit_ridge(x, y, lambda);
    // augmented least squares on centred data: [Xc; sqrt(lambda) I] w = [yc; 0], solved by QR
    Eigen::RowVectorXd mx = x.colwise().mean();
    Eigen::MatrixXd a(63, 3);
    a << x.rowwise() - mx, std::sqrt(lambda) * Eigen::MatrixXd::Identity(3, 3);
    Eigen::VectorXd rhs(63);
    rhs << y.array() - y.mean(), Eigen::VectorXd::Zero(3);
    Eigen::VectorXd w = a.colPivHouseholderQr().solve(rhs);
    for (int j = 0; j < 3; ++j) {
      CHECK(fit.w[j] == Approx(w[j]).epsilon(1e-9));
    }
    CHECK(fit.b == Approx(y.mean() - mx.dot(w)).epsilon(1e-9));
  }
  SECTION("an orthonormal centred design shrinks least squares by 1 / (1 + lambda)") {
    Eigen::MatrixXd q = Eigen::MatrixXd::Zero(4, 2);
    q << 0.5, 0.5, 0.5, -0.5, -0.5, 0.5, -0.5, -0.5; // centred, orthonormal columns
    Eigen::VectorXd t(4);
    t << 1, 2, 3, 5;
    auto fit = fit_ridge(q, t, 3);
    Eigen::VectorXd ols = q.transpose() * (t.array() - t.mean()).matrix();
    CHECK(fit.w[0] == Approx(ols[0] / 4));
    CHECK(fit.w[1] == Approx(ols[1] / 4));
    CHECK(fit.b == Approx(t.mean()));
  }
}

TEST_CASE("the valence offset converges to a person's true offset") {
  auto p = make_people(40, 25, 0.0, 0.8, 11);
  auto model = make_affect_model(affect_target::valence);
  model->fit(p.data, rows_of_users(p.data, 0, 39));
  auto s = model->summary();
  CHECK(s.offset_std == Approx(0.8).margin(0.35));
  CHECK(s.noise_std == Approx(0.7).margin(0.1));
  // the held-out person: a true offset of 1.5 and 400 self-reports
  std::mt19937_64 rng{12};
  std::normal_distribution<double> normal;
  auto u = model->prior_offset();
  CHECK(u.variance == Approx(s.offset_std * s.offset_std));
  affect_record r = p.data.rows[0];
  double before = model->predict(r, u).std;
  for (int i = 0; i < 400; ++i) {
    r.valence = 4 + 1.5 + 0.7 * normal(rng);
    u = model->observe(u, r);
  }
  CHECK(u.labels == 400);
  CHECK(u.mean == Approx(1.5 - (s.intercept - 4)).margin(0.15));
  CHECK(u.variance < 0.01);
  CHECK(model->predict(r, u).std < before);
  CHECK(model->predict(r, u).latent_std < 0.15);
}

TEST_CASE("the stress offset converges to a person's true offset") {
  auto p = make_people(60, 30, 0.0, 1.0, 21);
  auto model = make_affect_model(affect_target::stress);
  model->fit(p.data, rows_of_users(p.data, 0, 60));
  auto s = model->summary();
  CHECK(s.offset_std == Approx(1.0).margin(0.4));
  std::mt19937_64 rng{22};
  std::uniform_real_distribution<double> unit;
  double true_logit = -1.5 + 1.5; // a person stressed half of the time
  affect_record r = p.data.rows[0];
  auto u = model->prior_offset();
  for (int i = 0; i < 600; ++i) {
    r.stress = unit(rng) < 1 / (1 + std::exp(-true_logit));
    u = model->observe(u, r);
  }
  auto pred = model->predict(r, u);
  CHECK(pred.mean == Approx(0.5).margin(0.07));
  CHECK(pred.std == Approx(std::sqrt(pred.mean * (1 - pred.mean))));
  CHECK(u.variance < 0.05);
  SECTION("a person with no labels gets the population rate and a wide logit") {
    auto prior = model->predict(r);
    CHECK(prior.mean < 0.35);
    CHECK(prior.latent_std > pred.latent_std);
  }
}

TEST_CASE("the stress model finds a real signal and reports calibrated probabilities") {
  auto p = make_people(40, 30, 1.0, 0.0, 31);
  auto model = make_affect_model(affect_target::stress);
  model->fit(p.data, rows_of_users(p.data, 0, 30));
  auto s = model->summary();
  CHECK(s.coefficients.size() == affect_feature_count);
  CHECK(s.coefficients[0].first == "speed");
  CHECK(s.coefficients[0].second > 0.5);
  CHECK(s.platt_scale == Approx(1.0).margin(0.3));
  // on the unseen people, the mean probability matches the observed rate
  double sum_p = 0, sum_y = 0;
  for (auto i : rows_of_users(p.data, 30, 40)) {
    sum_p += model->predict(p.data.rows[i]).mean;
    sum_y += p.data.rows[i].stress ? 1 : 0;
  }
  CHECK(sum_p / sum_y == Approx(1.0).margin(0.2));
  SECTION("without features it predicts the base rate") {
    affect_model_config cfg;
    cfg.use_features = false;
    auto flat = make_affect_model(affect_target::stress, cfg);
    auto train = rows_of_users(p.data, 0, 30);
    flat->fit(p.data, train);
    double rate = 0;
    for (auto i : train) {
      rate += p.data.rows[i].stress ? 1 : 0;
    }
    rate /= static_cast<double>(train.size());
    CHECK(flat->predict(p.data.rows[0]).mean == Approx(rate).margin(0.01));
    CHECK(flat->predict(p.data.rows[0]).mean == Approx(flat->predict(p.data.rows[5]).mean));
  }
}
