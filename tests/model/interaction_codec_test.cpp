// Tests of the event log's interaction encoding.
#include "model/interaction_codec.hpp"

#include "model/user_state.hpp"

#include <catch2/catch.hpp>

#include <cstring>

using namespace aia::model;

TEST_CASE("an interaction survives encoding, absent fields included") {
  interaction x;
  x.timestamp = 1634567890.123;
  x.user_id = "user123";
  x.type = interaction_type::visibility_change;
  x.element_id = "nav-menu";
  x.response_time = 0.8;
  x.scroll_distance = -150;
  x.device = device_type::mobile;
  x.tab_active = 0;
  x.client_id = "c";
  x.seq = 42;
  auto bytes = encode_interaction(x);
  auto y = decode_interaction(bytes.data(), bytes.size());
  REQUIRE(y);
  CHECK(y->timestamp == x.timestamp);
  CHECK(y->user_id == "user123");
  CHECK(y->type == interaction_type::visibility_change);
  CHECK(y->element_id == "nav-menu");
  CHECK(y->response_time == 0.8);
  CHECK_FALSE(present(y->dwell_time));
  CHECK(y->scroll_distance == -150);
  CHECK(y->device == device_type::mobile);
  CHECK(y->tab_active == 0);
  CHECK_FALSE(present(y->session_duration));
  CHECK(y->client_id == "c");
  CHECK(y->seq == 42);
}

TEST_CASE("data minimisation drops the element id") {
  interaction x;
  x.user_id = "u";
  x.element_id = "secret-button";
  auto bytes = encode_interaction(x, false);
  CHECK(decode_interaction(bytes.data(), bytes.size())->element_id.empty());
}

TEST_CASE("malformed and truncated bytes are refused") {
  interaction x;
  x.user_id = "u";
  auto bytes = encode_interaction(x);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    CHECK_FALSE(decode_interaction(bytes.data(), n));
  }
  std::vector<std::uint8_t> junk{0x93, 0x01, 0x02, 0x03};
  CHECK_FALSE(decode_interaction(junk.data(), junk.size()));
}

TEST_CASE("a header claiming billions of elements is refused without allocating for them") {
  // Found by tests/fuzz (regressions/fuzz_msgpack_interaction): an array32 of 2^32-1 elements,
  // and a map32 inside the 13-element array; without limits msgpack reserved 64-128 GiB.
  const std::vector<std::uint8_t> huge_array{0xdd, 0xff, 0xff, 0xff, 0xff};
  CHECK_FALSE(aia::model::decode_interaction(huge_array.data(), huge_array.size()));
  std::vector<std::uint8_t> map_inside{0x9d, 0x01, 0xdf, 0xff, 0xff, 0xff, 0xff};
  CHECK_FALSE(aia::model::decode_interaction(map_inside.data(), map_inside.size()));
}

TEST_CASE("doubles are stored as float64 whatever their value, 2^64 included") {
  aia::model::interaction x;
  x.user_id = "u";
  x.timestamp = 1700000000.0;              // integral: stays a double
  x.scroll_distance = 18446744073709551616.0;  // 2^64 (msgpack-c's pack_double: UB)
  auto bytes = aia::model::encode_interaction(x, true);
  auto back = aia::model::decode_interaction(bytes.data(), bytes.size());
  REQUIRE(back);
  CHECK(back->timestamp == 1700000000.0);
  CHECK(back->scroll_distance == 18446744073709551616.0);
}

TEST_CASE("the learning fields of an answer survive encoding") {
  interaction x;
  x.user_id = "u";
  x.type = interaction_type::answer;
  x.item_id = "q-17";
  x.skill = "fractions";
  x.correct = 1;
  x.modality = static_cast<std::int8_t>(learning_style::visual);
  auto bytes = encode_interaction(x);
  auto y = decode_interaction(bytes.data(), bytes.size());
  REQUIRE(y);
  CHECK(y->item_id == "q-17");
  CHECK(y->skill == "fractions");
  CHECK(y->correct == 1);
  CHECK(y->modality == 0);
  CHECK(is_graded_answer(*y));
  interaction plain;
  plain.user_id = "u";
  auto z = decode_interaction(encode_interaction(plain).data(), encode_interaction(plain).size());
  REQUIRE(z);
  CHECK(z->correct == -1);
  CHECK(z->modality == -1);
  CHECK_FALSE(is_graded_answer(*z));
}

TEST_CASE("events stored in version 1 (13 elements, no learning fields) still decode") {
  // [1, 1700000000.5, "u", 0 (click), "", NaN x3, 0, -1, NaN, "c", 7] as written before v2.
  std::vector<std::uint8_t> v1{0x9d, 0x01, 0xcb};
  auto put_double = [&](double d) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &d, sizeof bits);
    for (int i = 7; i >= 0; --i) {
      v1.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
    }
  };
  put_double(1700000000.5);
  v1.insert(v1.end(), {0xa1, 'u', 0x00, 0xa0});
  for (int i = 0; i < 3; ++i) {
    v1.push_back(0xcb);
    put_double(absent);
  }
  v1.insert(v1.end(), {0x00, 0xff, 0xcb});
  put_double(absent);
  v1.insert(v1.end(), {0xa1, 'c', 0x07});
  auto x = decode_interaction(v1.data(), v1.size());
  REQUIRE(x);
  CHECK(x->timestamp == 1700000000.5);
  CHECK(x->user_id == "u");
  CHECK(x->client_id == "c");
  CHECK(x->seq == 7);
  CHECK(x->item_id.empty());
  CHECK(x->correct == -1);
  v1[1] = 0x02;  // a version 2 header with version 1's length is refused
  CHECK_FALSE(decode_interaction(v1.data(), v1.size()));
}
