// Tests of BKT: the EM fit on data drawn from known parameters, and the online updates.
#include "model/learning/bkt.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace aia::model::learning;

namespace {

/// `learners` sequences of `length` answers drawn from `p`.
bkt_observations simulate(const bkt_params& p, int learners, int length, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  bkt_observations obs(learners);
  for (auto& y : obs) {
    bool known = u(rng) < p.init;
    for (int t = 0; t < length; ++t) {
      const double pc = known ? 1 - p.slip : p.guess;
      y.push_back(u(rng) < pc ? 1 : 0);
      known = known ? u(rng) >= p.forget : u(rng) < p.learn;
    }
  }
  return obs;
}

} // namespace

TEST_CASE("EM never lowers the log-likelihood and recovers the generating parameters") {
  const bkt_params truth{0.25, 0.15, 0.2, 0.1, 0.0};
  const auto obs = simulate(truth, 800, 25, 7);
  bkt_fit_options opt;
  opt.tolerance = 1e-9;
  const auto r = fit_bkt(obs, opt, bkt_params{0.5, 0.3, 0.25, 0.2, 0.0});
  REQUIRE(r.log_likelihood.size() >= 3);
  for (std::size_t i = 1; i < r.log_likelihood.size(); ++i) {
    CHECK(r.log_likelihood[i] >= r.log_likelihood[i - 1] - 1e-7);
  }
  CHECK(r.params.init == Approx(truth.init).margin(0.05));
  CHECK(r.params.learn == Approx(truth.learn).margin(0.04));
  CHECK(r.params.guess == Approx(truth.guess).margin(0.04));
  CHECK(r.params.slip == Approx(truth.slip).margin(0.04));
  CHECK(r.log_likelihood.back() >= bkt_log_likelihood(truth, obs) - 1.0);
}

TEST_CASE("EM with forgetting stays monotone and finds the forgetting rate") {
  const bkt_params truth{0.3, 0.2, 0.15, 0.1, 0.08};
  const auto obs = simulate(truth, 800, 30, 11);
  bkt_fit_options opt;
  opt.forgetting = true;
  opt.tolerance = 1e-9;
  const auto r = fit_bkt(obs, opt);
  for (std::size_t i = 1; i < r.log_likelihood.size(); ++i) {
    CHECK(r.log_likelihood[i] >= r.log_likelihood[i - 1] - 1e-7);
  }
  CHECK(r.params.forget == Approx(truth.forget).margin(0.04));
  CHECK(r.params.learn == Approx(truth.learn).margin(0.06));
}

TEST_CASE("guess and slip stay within their bounds even when the data pull them out") {
  // Answers that ignore learning: 50% correct throughout.
  bkt_observations obs(200);
  std::mt19937 rng(3);
  for (auto& y : obs) {
    for (int t = 0; t < 20; ++t) {
      y.push_back(static_cast<std::uint8_t>(rng() & 1U));
    }
  }
  const auto r = fit_bkt(obs, {});
  CHECK(r.params.guess <= 0.3);
  CHECK(r.params.slip <= 0.3);
  for (std::size_t i = 1; i < r.log_likelihood.size(); ++i) {
    CHECK(r.log_likelihood[i] >= r.log_likelihood[i - 1] - 1e-7);
  }
}

TEST_CASE("the posterior update follows Bayes' rule and then the learning transition") {
  const bkt_params p{0.4, 0.1, 0.2, 0.1, 0.0};
  // Correct: 0.4*0.9 / (0.4*0.9 + 0.6*0.2) = 0.75, then 0.75 + 0.25*0.1.
  CHECK(p.posterior(0.4, true) == Approx(0.775));
  // Wrong: 0.4*0.1 / (0.04 + 0.6*0.8) = 0.076923, then + (1 - that) * 0.1.
  const double post = 0.04 / (0.04 + 0.48);
  CHECK(p.posterior(0.4, false) == Approx(post + (1 - post) * 0.1));
  CHECK(p.p_correct(0.4) == Approx(0.4 * 0.9 + 0.6 * 0.2));
}

TEST_CASE("a learner's mastery rises with right answers and predictions use it") {
  const bkt_params p{0.2, 0.1, 0.2, 0.1, 0.0};
  const bkt_model m({p, p, p}, p);
  bkt_model::learner l;
  const std::uint32_t skill1[] = {1};
  const std::uint32_t both[] = {1, 2};
  const kt_item item{5, skill1};
  CHECK(m.predict(l, item) == Approx(p.p_correct(0.2)));
  m.update(l, item, true);
  m.update(l, item, true);
  CHECK(m.mastery(l, 1) > 0.8);
  CHECK(m.mastery(l, 2) == Approx(0.2));
  CHECK(m.predict(l, item) > 0.7);
  // A two-skill item averages its skills' predictions.
  const kt_item two{6, both};
  CHECK(m.predict(l, two)
        == Approx((p.p_correct(m.mastery(l, 1)) + p.p_correct(0.2)) / 2).epsilon(1e-6));
}

TEST_CASE("fitting a dataset gives each skill its own parameters") {
  kt_dataset d;
  d.skill_count = 3;
  d.problem_count = 3;
  const auto easy = simulate({0.8, 0.2, 0.25, 0.05, 0}, 100, 10, 1);
  const auto hard = simulate({0.05, 0.05, 0.1, 0.2, 0}, 100, 10, 2);
  for (std::size_t i = 0; i < easy.size(); ++i) {
    kt_sequence s;
    for (std::size_t t = 0; t < easy[i].size(); ++t) {
      s.problem.insert(s.problem.end(), {1, 2});
      s.skill.insert(s.skill.end(), {1, 2});
      s.correct.insert(s.correct.end(), {easy[i][t], hard[i][t]});
    }
    d.sequences.push_back(std::move(s));
  }
  const auto m = bkt_model::fit(d);
  CHECK(m.params(1).init > 0.6);
  CHECK(m.params(2).init < 0.2);
  // A skill outside the vocabulary falls back to the pooled fit.
  CHECK(m.params(99).init == m.pooled().init);
}
