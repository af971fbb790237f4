// Tests of the knowledge-tracing scores against values worked out by hand.
#include "model/learning/kt_metrics.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

using namespace aia::model::learning;

TEST_CASE("AUC counts every positive-negative pair ranked right") {
  const std::vector<double> p{0.1, 0.4, 0.35, 0.8};
  const std::vector<std::uint8_t> y{0, 0, 1, 1};
  // Pairs (pos, neg): (0.35,0.1) 1, (0.35,0.4) 0, (0.8,0.1) 1, (0.8,0.4) 1 -> 3/4.
  CHECK(auc(p, y) == Approx(0.75));
}

TEST_CASE("AUC counts a tied pair as one half") {
  SECTION("one tie across the classes") {
    const std::vector<double> p{0.5, 0.5, 0.2, 0.9};
    const std::vector<std::uint8_t> y{1, 0, 0, 1};
    // (0.5,0.5) 1/2, (0.5,0.2) 1, (0.9,0.5) 1, (0.9,0.2) 1 -> 3.5/4.
    CHECK(auc(p, y) == Approx(0.875));
  }
  SECTION("everything tied") {
    const std::vector<double> p(6, 0.3);
    const std::vector<std::uint8_t> y{1, 0, 1, 0, 0, 1};
    CHECK(auc(p, y) == Approx(0.5));
  }
  SECTION("ties inside one class change nothing") {
    const std::vector<double> p{0.9, 0.9, 0.1, 0.1};
    const std::vector<std::uint8_t> y{1, 1, 0, 0};
    CHECK(auc(p, y) == Approx(1.0));
  }
}

TEST_CASE("AUC is undefined when one class is missing") {
  const std::vector<double> p{0.2, 0.7};
  const std::vector<std::uint8_t> y{1, 1};
  CHECK(std::isnan(auc(p, y)));
}

TEST_CASE("RMSE, log-loss and accuracy match the hand-computed values") {
  const std::vector<double> p{0.9, 0.2, 0.6, 0.5};
  const std::vector<std::uint8_t> y{1, 0, 0, 1};
  const auto s = score(p, y);
  CHECK(s.count == 4);
  // Squared errors 0.01, 0.04, 0.36, 0.25 -> mean 0.165.
  CHECK(s.rmse == Approx(std::sqrt(0.165)));
  // -(ln 0.9 + ln 0.8 + ln 0.4 + ln 0.5) / 4
  CHECK(s.log_loss == Approx(-(std::log(0.9) + std::log(0.8) + std::log(0.4) + std::log(0.5)) / 4));
  // p >= 0.5 predicts correct: right, right, wrong, right.
  CHECK(s.accuracy == Approx(0.75));
  // Pairs: (0.9,0.2) 1, (0.9,0.6) 1, (0.5,0.2) 1, (0.5,0.6) 0 -> 3/4.
  CHECK(s.auc == Approx(0.75));
}

TEST_CASE("log-loss stays finite for certain wrong predictions") {
  const std::vector<double> p{0.0, 1.0};
  const std::vector<std::uint8_t> y{1, 0};
  const auto s = score(p, y);
  CHECK(std::isfinite(s.log_loss));
  CHECK(s.log_loss == Approx(-std::log(1e-15)));
  CHECK(s.accuracy == 0);
}

TEST_CASE("empty input scores as NaN") {
  const auto s = score({}, {});
  CHECK(s.count == 0);
  CHECK(std::isnan(s.auc));
  CHECK(std::isnan(s.rmse));
}
