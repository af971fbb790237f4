// Tests of the FSRS-4.5 scheduler and the break rule.
#include "model/learning/scheduler.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

using namespace aia::model::learning;

namespace {

/// Reviews `s` at its scheduled time (target 0.9) with the given outcome.
memory_state on_time(const memory_state& s, bool correct) {
  return review(s, correct, next_review(s));
}

} // namespace

TEST_CASE("an unreviewed item is due now and has no recall") {
  const memory_state fresh;
  CHECK(next_review(fresh) == 0);
  CHECK(recall_probability(fresh, 3600) == 0);
}

TEST_CASE("the first review sets the published initial stability and difficulty") {
  const fsrs_params p;
  const auto good = review(memory_state{}, rating::good, 0);
  CHECK(good.stability_days == Approx(p.w[2]));
  CHECK(good.difficulty == Approx(p.w[4]));
  CHECK(good.reviews == 1);
  const auto again = review(memory_state{}, rating::again, 0);
  CHECK(again.stability_days == Approx(p.w[0]));
  CHECK(again.difficulty == Approx(p.w[4] + 2 * p.w[5]));
  CHECK(again.lapses == 1);
}

TEST_CASE("recall is 0.9 after one stability and falls with time") {
  const auto s = review(memory_state{}, rating::good, 0);
  CHECK(recall_probability(s, 0) == Approx(1.0));
  CHECK(recall_probability(s, s.stability_days * seconds_per_day) == Approx(0.9));
  CHECK(recall_probability(s, 10 * seconds_per_day) < recall_probability(s, seconds_per_day));
  SECTION("negative or NaN elapsed time reads as zero") {
    CHECK(recall_probability(s, -5) == Approx(1.0));
    CHECK(recall_probability(s, std::numeric_limits<double>::quiet_NaN()) == Approx(1.0));
  }
}

TEST_CASE("recall at the scheduled time equals the target") {
  auto s = review(memory_state{}, rating::good, 0);
  s = on_time(s, true);
  for (const double target : {0.7, 0.8, 0.9, 0.95}) {
    CHECK(recall_probability(s, next_review(s, target)) == Approx(target).margin(1e-9));
  }
  SECTION("a higher target means an earlier review") {
    CHECK(next_review(s, 0.95) < next_review(s, 0.9));
    CHECK(next_review(s, 0.9) < next_review(s, 0.8));
  }
  SECTION("targets are clamped to 0.5..0.99") {
    CHECK(next_review(s, 1.0) == Approx(next_review(s, 0.99)));
    CHECK(next_review(s, 0.1) == Approx(next_review(s, 0.5)));
  }
}

TEST_CASE("intervals grow with successful recalls") {
  auto s = review(memory_state{}, true, 0);
  double previous = next_review(s);
  for (int i = 0; i < 6; ++i) {
    s = on_time(s, true);
    const auto interval = next_review(s);
    CHECK(interval > previous);
    previous = interval;
  }
  CHECK(s.lapses == 0);
  CHECK(s.reviews == 7);
}

TEST_CASE("a lapse shrinks the interval and raises difficulty") {
  auto s = review(memory_state{}, true, 0);
  for (int i = 0; i < 4; ++i) {
    s = on_time(s, true);
  }
  const auto lapsed = on_time(s, false);
  CHECK(next_review(lapsed) < next_review(s));
  CHECK(lapsed.stability_days <= s.stability_days);
  CHECK(lapsed.difficulty > s.difficulty);
  CHECK(lapsed.lapses == 1);
}

TEST_CASE("easy grows stability more than good, hard less") {
  auto s = review(memory_state{}, rating::good, 0);
  const auto t = next_review(s);
  const auto hard = review(s, rating::hard, t);
  const auto good = review(s, rating::good, t);
  const auto easy = review(s, rating::easy, t);
  CHECK(hard.stability_days < good.stability_days);
  CHECK(good.stability_days < easy.stability_days);
}

TEST_CASE("a late successful review gains more stability than an early one") {
  auto s = review(memory_state{}, rating::good, 0);
  const auto early = review(s, true, 0.2 * next_review(s));
  const auto late = review(s, true, 2 * next_review(s));
  CHECK(late.stability_days > early.stability_days);
}

TEST_CASE("intervals are capped at the maximum interval") {
  fsrs_params p;
  p.max_interval_days = 30;
  memory_state s{10'000, 1, 10, 0};
  CHECK(next_review(s, 0.9, p) == Approx(30 * seconds_per_day));
}

TEST_CASE("no break is suggested early in a block while fresh") {
  const auto b = suggest_break(0.2, 10);
  CHECK_FALSE(b.take_break);
  CHECK(b.minutes == 0);
  CHECK(b.reason == break_reason::none);
}

TEST_CASE("breaks follow the documented rule") {
  SECTION("severe fatigue gets a long break at once") {
    const auto b = suggest_break(0.9, 2);
    CHECK(b.take_break);
    CHECK(b.minutes == 15);
    CHECK(b.reason == break_reason::severe_fatigue);
  }
  SECTION("high fatigue gets a ten minute break") {
    const auto b = suggest_break(0.75, 5);
    CHECK(b.minutes == 10);
    CHECK(b.reason == break_reason::high_fatigue);
  }
  SECTION("fifty minutes on task gets a break even when fresh") {
    const auto b = suggest_break(0.1, 55);
    CHECK(b.minutes == 10);
    CHECK(b.reason == break_reason::long_block);
  }
  SECTION("a 25 minute block with moderate fatigue gets a short break") {
    const auto b = suggest_break(0.45, 30);
    CHECK(b.minutes == 5);
    CHECK(b.reason == break_reason::block);
    CHECK_FALSE(suggest_break(0.2, 30).take_break);
  }
  SECTION("NaN and negative inputs read as zero") {
    CHECK_FALSE(suggest_break(std::nan(""), -4).take_break);
  }
  SECTION("the thresholds are configurable") {
    break_policy p;
    p.max_block_min = 20;
    CHECK(suggest_break(0, 21, p).reason == break_reason::long_block);
  }
}
