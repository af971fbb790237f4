// Tests of the logistic knowledge-tracing model: the objective's gradient, the fit, and that a
// prediction depends only on earlier answers.
#include "model/learning/logistic_kt.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

using namespace aia::model::learning;

namespace {

logistic_problem random_problem(int rows, int cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0, 1);
  std::uniform_int_distribution<int> col(1, cols - 1);
  std::vector<Eigen::Triplet<double>> trip;
  logistic_problem p;
  p.y.resize(rows);
  p.weight.resize(rows);
  for (int i = 0; i < rows; ++i) {
    trip.emplace_back(i, 0, 1.0);
    for (int k = 0; k < 3; ++k) {
      trip.emplace_back(i, col(rng), g(rng));
    }
    p.y[i] = g(rng) > 0 ? 1 : 0;
    p.weight[i] = 1 + (i % 3);
  }
  p.x.resize(rows, cols);
  p.x.setFromTriplets(trip.begin(), trip.end());
  p.l2 = Eigen::VectorXd::Constant(cols, 0.01);
  p.l2[0] = 0;
  return p;
}

/// A learner whose chance of a right answer grows with practice on skill 1 (skill 2 is hard).
kt_dataset practice_data(int learners, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  kt_dataset d;
  d.skill_count = 3;
  d.problem_count = 21;
  for (int i = 0; i < learners; ++i) {
    kt_sequence s;
    const double ability = u(rng) - 0.5;
    int practice1 = 0;
    for (int t = 0; t < 30; ++t) {
      const bool first = u(rng) < 0.6;
      const std::uint32_t skill = first ? 1 : 2;
      const std::uint32_t problem = first ? 1 + (t % 10) : 11 + (t % 10);
      const double z = ability + (first ? -1.0 + 0.15 * practice1 : -0.5);
      const bool correct = u(rng) < 1 / (1 + std::exp(-z));
      s.problem.push_back(problem);
      s.skill.push_back(skill);
      s.correct.push_back(correct ? 1 : 0);
      practice1 += first ? 1 : 0;
    }
    d.sequences.push_back(std::move(s));
  }
  return d;
}

} // namespace

TEST_CASE("the objective's gradient matches central differences") {
  const auto p = random_problem(200, 12, 5);
  Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(12, -0.6, 0.7);
  Eigen::VectorXd g;
  const double f = logistic_objective(p, b, g);
  CHECK(std::isfinite(f));
  Eigen::VectorXd scratch;
  for (Eigen::Index j = 0; j < b.size(); ++j) {
    const double h = 1e-5;
    Eigen::VectorXd bp = b, bm = b;
    bp[j] += h;
    bm[j] -= h;
    const double numeric
        = (logistic_objective(p, bp, scratch) - logistic_objective(p, bm, scratch)) / (2 * h);
    CHECK(g[j] == Approx(numeric).margin(1e-7));
  }
}

TEST_CASE("the fit reaches a point where the gradient vanishes") {
  const auto p = random_problem(300, 10, 9);
  const auto b = fit_logistic(p, 500, 1e-9);
  Eigen::VectorXd g;
  const double f = logistic_objective(p, b, g);
  CHECK(g.lpNorm<Eigen::Infinity>() < 1e-6);
  Eigen::VectorXd zero = Eigen::VectorXd::Zero(10);
  CHECK(f < logistic_objective(p, zero, g));
}

TEST_CASE("the model learns that practice helps and that one skill is harder") {
  const auto train = practice_data(400, 1);
  const auto m = logistic_kt::fit(train, {});
  const std::uint32_t s1[] = {1};
  const std::uint32_t s2[] = {2};
  logistic_kt::learner fresh;
  logistic_kt::learner practised;
  for (int t = 0; t < 15; ++t) {
    m.update(practised, {1, s1}, true);
  }
  CHECK(m.predict(practised, {2, s1}) > m.predict(fresh, {2, s1}) + 0.1);
  CHECK(m.predict(fresh, {12, s2}) != Approx(m.predict(fresh, {2, s1})));
  const double p = m.predict(fresh, {99, s1}); // a problem never seen in training
  CHECK(p > 0.05);
  CHECK(p < 0.95);
}

TEST_CASE("a prediction never depends on the answer it predicts or later ones") {
  const auto train = practice_data(200, 2);
  const auto m = logistic_kt::fit(train, {});
  auto seq = practice_data(1, 3).sequences[0];
  auto replay = [&](const kt_sequence& s) {
    std::vector<double> out;
    logistic_kt::learner l;
    for (const auto& a : group_attempts(s)) {
      const auto item = item_of(s, a);
      out.push_back(m.predict(l, item));
      m.update(l, item, a.correct);
    }
    return out;
  };
  const auto before = replay(seq);
  const std::size_t t = 17;
  for (std::size_t i = t; i < seq.correct.size(); ++i) {
    seq.correct[i] = 1 - seq.correct[i];
  }
  const auto after = replay(seq);
  REQUIRE(before.size() == after.size());
  for (std::size_t i = 0; i <= t; ++i) {
    CHECK(before[i] == after[i]);
  }
  CHECK(before[t + 1] != after[t + 1]);
}

TEST_CASE("a learner's state grows with the skills and problems seen, not the answers") {
  const auto m = logistic_kt::fit(practice_data(50, 4), {});
  logistic_kt::learner l;
  const std::uint32_t s1[] = {1};
  for (int t = 0; t < 100; ++t) {
    m.update(l, {1, s1}, t % 2 == 0);
  }
  CHECK(l.skills.size() == 1);
  CHECK(l.problems.size() == 1);
  CHECK(l.attempts == 100);
  CHECK(l.succ == 50);
}
