// Tests of the feature window: ranges, determinism, the features' meaning, snapshots and size.
#include "model/features.hpp"

#include "model/detail/feature_layout.hpp"
#include "synthetic_streams.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <set>
#include <string>

using namespace aia::model;
using namespace aia::model::testing;
namespace f = aia::model::detail;

namespace {

/// True if every feature is finite and in its documented range.
bool in_range(const feature_vector& v) {
  for (std::size_t i = 0; i < feature_count; ++i) {
    const bool signed_feature
        = i == f::response_time_trend || i == f::response_time_drift || i == f::dwell_time_trend;
    const double lo = signed_feature ? -1 : 0;
    if (!std::isfinite(v.values[i]) || v.values[i] < lo || v.values[i] > 1) {
      return false;
    }
  }
  return true;
}

std::optional<feature_window> restore(const std::vector<std::uint8_t>& bytes) {
  return feature_window::deserialize(bytes.data(), bytes.size());
}

double feature(const feature_window& w, f::feature i) {
  return w.features().values[i];
}

} // namespace

TEST_CASE("a fresh window counts nothing and reports typical features") {
  const feature_window w;
  CHECK(w.count() == 0);
  const auto v = w.features();
  CHECK(in_range(v));
  CHECK(v.values[f::evidence] == 0);
  CHECK(v.values[f::response_time_mean] == f::feature_table[f::response_time_mean].typical);
}

TEST_CASE("feature names are unique snake_case words, one per index") {
  std::set<std::string> names;
  for (std::size_t i = 0; i < feature_count; ++i) {
    const auto name = feature_name(i);
    REQUIRE(!name.empty());
    CHECK(name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string_view::npos);
    names.emplace(name);
  }
  CHECK(names.size() == feature_count);
  CHECK(feature_name(feature_count).empty());
}

TEST_CASE("features stay in range for extreme inputs") {
  stream_builder s;
  SECTION("huge times and distances") {
    for (int i = 0; i < 200; ++i) {
      auto& x = s.add(interaction_type::scroll, 1e9, 1e12, 1e15);
      x.scroll_distance = i % 2 == 0 ? 1e300 : -1e300;
      x.session_duration = 1e18;
    }
  }
  SECTION("zero times and no gaps") {
    for (int i = 0; i < 10'000; ++i) {
      auto& x = s.add(static_cast<interaction_type>(i % interaction_type_count), 0, 0, 0);
      x.scroll_distance = 0;
    }
  }
  SECTION("unusable numbers and timestamps running backwards") {
    for (int i = 0; i < 100; ++i) {
      auto& x = s.add(interaction_type::click, i % 2 == 0 ? -50.0 : 40.0, -1, INFINITY);
      x.scroll_distance = NAN;
      x.tab_active = 7;
    }
  }
  const auto w = window_of(s.events);
  CHECK(w.count() == s.events.size());
  CHECK(in_range(w.features()));
}

TEST_CASE("the same stream gives the same features however it is fed") {
  const auto xs = hesitant_user(150);
  const auto whole = window_of(xs);
  feature_window pieces{64};
  for (std::size_t i = 0; i < xs.size(); ++i) {
    pieces.add(xs[i]);
    if (i % 17 == 0) {
      (void)pieces.features(); // reading must not change anything
    }
    if (i == 90) {
      pieces = *restore(pieces.serialize()); // resume from a snapshot mid-stream
    }
  }
  CHECK(pieces.features().values == whole.features().values);
  CHECK(pieces.serialize() == whole.serialize());
}

TEST_CASE("features depend on the gaps between timestamps, not on absolute time") {
  auto xs = steady_user(120);
  const auto before = window_of(xs).features();
  for (auto& x : xs) {
    x.timestamp += 1'048'576; // a power of two: the shifted timestamps keep their exact gaps
  }
  const auto after = window_of(xs).features();
  for (std::size_t i = 0; i < feature_count; ++i) {
    CHECK(after.values[i] == Approx(before.values[i]).margin(1e-12));
  }
}

TEST_CASE("slowing responses show as a positive trend and drift") {
  const auto slowing = window_of(paced_user(200, 2, 1, 5));
  const auto steady = window_of(paced_user(200, 2, 1, 1));
  CHECK(feature(slowing, f::response_time_drift) > 0.5);
  CHECK(feature(slowing, f::response_time_trend) > 0.05);
  CHECK(std::fabs(feature(steady, f::response_time_drift)) < 0.1);
  CHECK(std::fabs(feature(steady, f::response_time_trend)) < 0.05);
  CHECK(feature(slowing, f::response_time_mean) > feature(steady, f::response_time_mean));
}

TEST_CASE("an inactive tab and blur events show in the tab features") {
  const auto distracted = window_of(distracted_user(120), 60); // 60: whole cycles of 6
  const auto steady = window_of(steady_user(120));
  CHECK(feature(distracted, f::tab_inactive_fraction) == Approx(0.5));
  CHECK(feature(distracted, f::blur_fraction) == Approx(1.0 / 3));
  CHECK(feature(steady, f::tab_inactive_fraction) == 0);
  CHECK(feature(steady, f::blur_fraction) == 0);
}

TEST_CASE("long gaps and idle events count as idle, quick successions as bursts") {
  stream_builder s;
  for (int i = 0; i < 40; ++i) {
    s.add(interaction_type::click, i % 4 == 0 ? 45.0 : 0.1);
  }
  const auto w = window_of(s.events);
  // The window never saw the first event's predecessor, so that event has no gap.
  CHECK(feature(w, f::idle_fraction) == Approx(9.0 / 40));
  CHECK(feature(w, f::burst_fraction) == Approx(30.0 / 39));
  CHECK(feature(window_of(sparse_idle_user(40)), f::idle_fraction) == 1);
  CHECK(feature(window_of(steady_user(40)), f::idle_fraction) == 0);
}

TEST_CASE("hovers without clicks and typing without input read as hesitation") {
  const auto hesitant = window_of(hesitant_user(80));
  const auto steady = window_of(steady_user(80));
  CHECK(feature(hesitant, f::hover_click_ratio) > feature(steady, f::hover_click_ratio) + 0.3);
  CHECK(feature(hesitant, f::keypress_input_ratio) > feature(steady, f::keypress_input_ratio));
  CHECK(feature(steady, f::type_entropy) > feature(hesitant, f::type_entropy));
}

TEST_CASE("the session restarts after a gap of more than half an hour") {
  stream_builder s;
  for (int i = 0; i < 100; ++i) {
    s.add(interaction_type::click, 30); // 50 minutes
  }
  const double long_session = feature(window_of(s.events), f::session_duration);
  s.add(interaction_type::click, 3600).session_duration = 0;
  s.add(interaction_type::click, 5).session_duration = 5000;
  const double fresh_session = feature(window_of(s.events), f::session_duration);
  CHECK(long_session > 0.6);
  CHECK(fresh_session < 0.1);
}

TEST_CASE("the ring forgets interactions older than its capacity") {
  stream_builder s;
  for (int i = 0; i < 200; ++i) {
    s.add(interaction_type::click, 2);
  }
  for (int i = 0; i < 32; ++i) {
    s.add(interaction_type::scroll, 2);
  }
  CHECK(feature(window_of(s.events, 32), f::mix_click) == 0);
  CHECK(feature(window_of(s.events, 64), f::mix_click) == Approx(0.5));
}

TEST_CASE("evidence grows with the number of interactions") {
  const double few = feature(window_of(steady_user(5)), f::evidence);
  const double many = feature(window_of(steady_user(500)), f::evidence);
  CHECK(few > 0);
  CHECK(many > few);
  CHECK(many < 1);
}

TEST_CASE("a snapshot round-trips exactly") {
  SECTION("a full ring that has wrapped") {
    const auto w = window_of(hesitant_user(300), 64);
    const auto copy = restore(w.serialize());
    REQUIRE(copy);
    CHECK(copy->serialize() == w.serialize());
    CHECK(copy->features().values == w.features().values);
    CHECK(copy->count() == w.count());
    // The copy goes on exactly as the original does.
    auto a = w;
    auto b = *copy;
    for (const auto& x : steady_user(50)) {
      a.add(x);
      b.add(x);
    }
    CHECK(a.features().values == b.features().values);
  }
  SECTION("a window without optional fields") {
    feature_window w{8};
    interaction x;
    x.timestamp = 1'700'000'000.25;
    w.add(x);
    const auto copy = restore(w.serialize());
    REQUIRE(copy);
    CHECK(copy->serialize() == w.serialize());
  }
  SECTION("an empty window") {
    const auto copy = restore(feature_window{}.serialize());
    REQUIRE(copy);
    CHECK(copy->count() == 0);
  }
}

TEST_CASE("garbage and truncated snapshots are rejected without crashing") {
  const auto bytes = window_of(hesitant_user(100)).serialize();
  SECTION("every truncation") {
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      CHECK_FALSE(feature_window::deserialize(bytes.data(), n));
    }
  }
  SECTION("trailing bytes, no data, a wrong format version") {
    auto longer = bytes;
    longer.push_back(0);
    CHECK_FALSE(restore(longer));
    CHECK_FALSE(feature_window::deserialize(nullptr, 10));
    auto version = bytes;
    version[1] = 2; // the first element of the top-level array
    CHECK_FALSE(restore(version));
  }
  SECTION("an array that claims four billion elements") {
    const std::vector<std::uint8_t> huge = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01};
    CHECK_FALSE(restore(huge));
  }
  SECTION("every single-byte corruption either fails or gives a sane window") {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      for (std::uint8_t b : {0x00, 0x7f, 0xc1, 0xdd, 0xff}) {
        auto bad = bytes;
        bad[i] = b;
        if (const auto w = restore(bad)) {
          CHECK(in_range(w->features()));
        }
      }
    }
  }
}

TEST_CASE("a window stays small") {
  const auto w = window_of(steady_user(1000), 64);
  CHECK(w.memory_bytes() < 1024);
  CHECK(w.memory_bytes() >= sizeof(feature_window) + 64 * 8);
  CHECK(w.serialize().size() < 1024);
  CHECK(window_of(steady_user(3), 64).memory_bytes() <= w.memory_bytes());
}
