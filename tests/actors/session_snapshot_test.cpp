// Tests of session snapshots and the idempotency table they carry.
#include "actors/session_snapshot.hpp"

#include <catch2/catch.hpp>

using namespace aia;

TEST_CASE("a snapshot round-trips with its window, counters and idempotency table") {
  actors::session_snapshot s;
  s.window = model::feature_window(32);
  for (int i = 0; i < 50; ++i) {
    model::interaction x;
    x.timestamp = 1700000000.0 + i;
    x.user_id = "u";
    x.response_time = 0.3 * (i % 7);
    s.window.add(x);
  }
  s.last_seq = 50;
  s.interaction_count = 50;
  s.counts_by_type[0] = 50;
  s.first_seen = 1700000000.0;
  s.last_seen = 1700000049.0;
  s.state_updated_at = 1795000000.5;
  s.dedupe.mark("tab", 1);
  s.dedupe.mark("tab", 2);
  s.dedupe.mark("tab", 9);
  auto bytes = actors::encode_snapshot(s);
  auto back = actors::decode_snapshot(bytes.data(), bytes.size());
  REQUIRE(back);
  CHECK(back->last_seq == 50);
  CHECK(back->interaction_count == 50);
  CHECK(back->counts_by_type[0] == 50);
  CHECK(back->state_updated_at == 1795000000.5);
  CHECK(back->window.features().values == s.window.features().values);
  CHECK(back->window.count() == 50);
  CHECK(back->dedupe.seen("tab", 2));
  CHECK(back->dedupe.seen("tab", 9));
  CHECK_FALSE(back->dedupe.seen("tab", 3));
  CHECK_FALSE(back->dedupe.seen("other", 1));
}

TEST_CASE("truncated or foreign bytes are not a snapshot") {
  actors::session_snapshot s;
  auto bytes = actors::encode_snapshot(s);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    CHECK_FALSE(actors::decode_snapshot(bytes.data(), n));
  }
  std::vector<std::uint8_t> junk{0x92, 0x01, 0x02};
  CHECK_FALSE(actors::decode_snapshot(junk.data(), junk.size()));
}

TEST_CASE("the idempotency window compacts contiguous sequence numbers") {
  actors::seq_window w;
  for (std::uint64_t s : {3, 1, 2, 5}) {
    w.insert(s);
  }
  CHECK(w.floor == 4);
  CHECK(w.above == std::set<std::uint64_t>{5});
  CHECK(w.contains(1));
  CHECK_FALSE(w.contains(4));
  w.insert(4);
  CHECK(w.floor == 6);
  CHECK(w.above.empty());
}

TEST_CASE("an unmarked key is applied again, an empty key never counts as seen") {
  actors::dedupe_table t;
  t.mark("c", 7);
  CHECK(t.seen("c", 7));
  t.unmark("c", 7);
  CHECK_FALSE(t.seen("c", 7));
  t.mark("", 1);
  t.mark("c", 0);
  CHECK_FALSE(t.seen("", 1));
  CHECK_FALSE(t.seen("c", 0));
}

TEST_CASE("a snapshot carries the learner, and version 1 snapshots still decode") {
  actors::session_snapshot s;
  model::learning::learning_engine engine;
  model::interaction x;
  x.timestamp = 1700000000.0;
  x.type = model::interaction_type::answer;
  x.item_id = "q1";
  x.skill = "fractions";
  x.correct = 1;
  engine.observe(s.learner, x);
  auto bytes = actors::encode_snapshot(s);
  auto back = actors::decode_snapshot(bytes.data(), bytes.size());
  REQUIRE(back);
  REQUIRE(back->learner.find_skill("fractions"));
  CHECK(back->learner.find_skill("fractions")->p_known == s.learner.find_skill("fractions")->p_known);
  CHECK(back->learner.find_item("q1"));

  // Version 1: the same nine elements without the learner.
  actors::session_snapshot plain;
  auto v2 = actors::encode_snapshot(plain);
  auto learner_size = model::learning::encode_learner(plain.learner).size();
  REQUIRE(v2[0] == 0x9a);  // fixarray of 10
  REQUIRE(v2[1] == 0x02);
  std::vector<std::uint8_t> v1(v2.begin(), v2.end() - static_cast<std::ptrdiff_t>(learner_size + 2));
  v1[0] = 0x99;
  v1[1] = 0x01;
  auto old = actors::decode_snapshot(v1.data(), v1.size());
  REQUIRE(old);
  CHECK(old->learner.answers == 0);
  v1[1] = 0x02;  // a version 2 header on nine elements is refused
  CHECK_FALSE(actors::decode_snapshot(v1.data(), v1.size()));
}
