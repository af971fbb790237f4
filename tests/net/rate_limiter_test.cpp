// Token buckets: the burst, the steady refill, independent keys and bounded memory.
#include "net/auth/rate_limiter.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace aia::net::auth;

TEST_CASE("a bucket allows a burst of the per-minute figure, then one per 60/rate seconds") {
  token_bucket b{100, 1000.0};
  for (int i = 0; i < 100; ++i) {
    REQUIRE(b.take(1000.0) == 0);
  }
  auto wait = b.take(1000.0);
  CHECK(wait == Approx(0.6));           // 60 s / 100
  CHECK(b.take(1000.3) == Approx(0.3)); // half refilled
  CHECK(b.take(1000.6) == 0);           // one token back
  CHECK(b.take(1000.6) > 0);
  CHECK_FALSE(b.full(1000.6));
  CHECK(b.full(1000.6 + 60));           // a minute refills it all
  for (int i = 0; i < 100; ++i) {       // and no more than the burst
    REQUIRE(b.take(1000.6 + 600) == 0);
  }
  CHECK(b.take(1000.6 + 600) > 0);
}

TEST_CASE("the limiter keeps one bucket per key, and zero disables it") {
  rate_limiter lim{2};
  CHECK(lim.take("alice", 10) == 0);
  CHECK(lim.take("alice", 10) == 0);
  CHECK(lim.take("alice", 10) == Approx(30));
  CHECK(lim.take("bob", 10) == 0);  // another key, its own bucket
  rate_limiter off{0};
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(off.take("alice", 10) == 0);
  }
  CHECK(off.size() == 0);
}

TEST_CASE("past max_keys, buckets that refilled are forgotten") {
  rate_limiter lim{60, 10};
  for (int i = 0; i < 10; ++i) {
    lim.take("k" + std::to_string(i), 0);
  }
  CHECK(lim.size() == 10);
  lim.take("late", 120);  // two minutes on: all ten are full again, so they go
  CHECK(lim.size() == 1);
  lim.take("again", 120);
  CHECK(lim.size() == 2);
}
