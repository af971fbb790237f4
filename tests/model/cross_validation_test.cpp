// Tests of the leave-users-out evaluation (model/state/cross_validation.hpp): the metrics on
// hand-computed cases, folds that never share a user, and the whole run on synthetic people.
#include "model/state/cross_validation.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <set>

using namespace aia::model::state;

namespace {

/// People with a stress and valence signal in speed and a personal offset on both.
affect_dataset make_people(int users, int per_user, double signal, double offset_sd,
                           std::uint64_t seed) {
  std::mt19937_64 rng{seed};
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unit;
  affect_dataset d;
  std::vector<double> b, c;
  for (int u = 0; u < users; ++u) {
    d.users.push_back(std::to_string(u));
    b.push_back(offset_sd * normal(rng));
    c.push_back(offset_sd * normal(rng));
  }
  for (int u = 0; u < users; ++u) {
    for (int i = 0; i < per_user; ++i) {
      affect_record r;
      r.user = static_cast<std::uint32_t>(u);
      double z = normal(rng);
      r.speed = 0.3 + 0.1 * z;
      r.accuracy = 0.6 + 0.1 * normal(rng);
      r.trajectories = 50;
      r.stress = unit(rng) < 1 / (1 + std::exp(1.5 - signal * z - b[static_cast<std::size_t>(u)]));
      r.valence = 4 + signal * z + c[static_cast<std::size_t>(u)] + 0.7 * normal(rng);
      r.arousal = 3 + c[static_cast<std::size_t>(u)] + 0.7 * normal(rng);
      d.rows.push_back(r);
    }
  }
  return d;
}

} // namespace

TEST_CASE("the metrics agree with hand-computed values") {
  std::vector<double> y{0, 0, 1, 1};
  CHECK(auc(std::vector<double>{0.1, 0.2, 0.3, 0.4}, y) == 1.0);
  CHECK(auc(std::vector<double>{0.4, 0.3, 0.2, 0.1}, y) == 0.0);
  CHECK(auc(std::vector<double>{0.5, 0.5, 0.5, 0.5}, y) == 0.5);
  CHECK(auc(std::vector<double>{0.1, 0.3, 0.2, 0.4}, y) == 0.75);
  CHECK(auc(std::vector<double>{0.1, 0.3, 0.3, 0.4}, y) == 0.875); // one tie: a half
  CHECK(std::isnan(auc(std::vector<double>{0.1, 0.2}, std::vector<double>{0, 0})));
  std::vector<double> p{0.1, 0.2, 0.7, 0.9};
  CHECK(brier(p, y) == Approx((0.01 + 0.04 + 0.09 + 0.01) / 4));
  CHECK(log_loss(p, y)
        == Approx(-(std::log(0.9) + std::log(0.8) + std::log(0.7) + std::log(0.9)) / 4));
  // bins of width 0.5: {0.1, 0.2} vs labels {0, 0}; {0.7, 0.9} vs {1, 1}
  CHECK(expected_calibration_error(p, y, 2) == Approx((2 * 0.15 + 2 * 0.2) / 4));
  CHECK(mae(std::vector<double>{1, 2, 3}, std::vector<double>{2, 2, 5}) == Approx(1));
  CHECK(rmse(std::vector<double>{1, 2, 3}, std::vector<double>{2, 2, 5})
        == Approx(std::sqrt(5.0 / 3)));
}

TEST_CASE("no user is ever in both the training and the test rows of a fold") {
  auto d = make_people(23, 7, 0.0, 0.0, 1);
  for (unsigned folds : {10u, 3u, 0u}) {
    auto splits = user_splits(d, folds, 9);
    CHECK(splits.size() == (folds == 0 ? 23 : folds));
    std::multiset<std::size_t> tested;
    for (const auto& s : splits) {
      std::set<std::uint32_t> train_users, test_users;
      for (auto i : s.train) {
        train_users.insert(d.rows[i].user);
      }
      for (auto i : s.test) {
        test_users.insert(d.rows[i].user);
        tested.insert(i);
      }
      for (auto u : test_users) {
        CHECK(train_users.count(u) == 0);
      }
      CHECK(s.train.size() + s.test.size() == d.rows.size());
    }
    CHECK(tested.size() == d.rows.size());
    CHECK(std::set<std::size_t>(tested.begin(), tested.end()).size() == d.rows.size());
  }
}

TEST_CASE("with a real signal the models beat their baselines and feedback helps") {
  auto d = make_people(30, 20, 1.0, 0.8, 7);
  cv_config cfg;
  cfg.folds = 5;
  cfg.bootstrap = 50;
  cfg.model.lambdas = {1, 100}; // a short grid keeps the test fast
  auto e = evaluate_state(d, cfg);
  CHECK(e.folds == 5);
  CHECK(e.stress.rows == d.rows.size());
  CHECK(e.stress.model.auc > 0.6);
  CHECK(e.stress.fold_auc > 0.6);
  CHECK(e.stress.model.brier < e.stress.baseline.brier);
  CHECK(e.stress.auc_ci.lo < e.stress.model.auc);
  CHECK(e.stress.auc_ci.hi > e.stress.model.auc);
  CHECK(e.valence.model.mae < e.valence.baseline.mae - 0.2);
  CHECK(e.valence.coverage90 == Approx(0.9).margin(0.06));
  CHECK(e.valence.mae_gain_ci.lo > 0);
  REQUIRE(e.feedback.by_k.size() == 5);
  CHECK(e.feedback.users == 30);
  CHECK(e.feedback.rows == 30 * 10);
  const auto& k0 = e.feedback.by_k.front();
  const auto& k10 = e.feedback.by_k.back();
  CHECK(k10.k == 10);
  // arousal is the person's offset plus noise: knowing the person is all there is to learn
  CHECK(k10.arousal.mae < k0.arousal.mae - 0.2);
  CHECK(k10.arousal_personal.mae < k0.arousal_personal.mae - 0.2);
  CHECK(k10.valence.mae < k10.valence_personal.mae);
  CHECK(k10.stress.brier < k0.stress.brier);
  SECTION("the same config gives the same figures") {
    auto again = evaluate_state(d, cfg);
    CHECK(again.stress.model.auc == e.stress.model.auc);
    CHECK(again.feedback.by_k.back().valence.mae == k10.valence.mae);
  }
}
