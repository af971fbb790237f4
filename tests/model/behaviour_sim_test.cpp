// Tests of the SYNTHETIC behaviour simulator: reproducibility and the direction of each effect.
#include "model/sim/behaviour_sim.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <vector>

using namespace aia::model;
using namespace aia::model::sim;

namespace {

constexpr double hour = 3600;

std::vector<sim_event> steady(latent_state s, std::uint64_t seed = 3, double duration = hour) {
  sim_config cfg;
  cfg.seed = seed;
  return simulate(cfg, duration, constant_latent(s));
}

struct summary {
  double rt_mean = 0;
  double rt_var = 0;
  double idle_fraction = 0;
  double idle_seconds = 0;  ///< total gap before idle events
  double away_fraction = 0; ///< blur or visibility_change with tab_active = 0
  double dwell_mean = 0;
  double events_per_min = 0;
};

summary summarise(const std::vector<sim_event>& events) {
  summary s;
  double n_rt = 0;
  double sq = 0;
  double n_dwell = 0;
  double previous = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& x = events[i].x;
    if (present(x.response_time)) {
      s.rt_mean += x.response_time;
      sq += x.response_time * x.response_time;
      ++n_rt;
    }
    if (present(x.dwell_time) && x.type != interaction_type::focus) {
      s.dwell_mean += x.dwell_time;
      ++n_dwell;
    }
    if (x.type == interaction_type::idle) {
      s.idle_fraction += 1;
      s.idle_seconds += i == 0 ? 0 : x.timestamp - previous;
    }
    if ((x.type == interaction_type::blur || x.type == interaction_type::visibility_change)
        && x.tab_active == 0) {
      s.away_fraction += 1;
    }
    previous = x.timestamp;
  }
  const auto n = static_cast<double>(events.size());
  s.rt_mean /= n_rt;
  s.rt_var = sq / n_rt - s.rt_mean * s.rt_mean;
  s.dwell_mean /= n_dwell;
  s.idle_fraction /= n;
  s.away_fraction /= n;
  s.events_per_min = n / ((events.back().x.timestamp - events.front().x.timestamp) / 60);
  return s;
}

} // namespace

TEST_CASE("the same seed gives the same stream") {
  sim_config cfg;
  cfg.seed = 42;
  const auto a = simulate(cfg, 1800);
  const auto b = simulate(cfg, 1800);
  REQUIRE(a.size() == b.size());
  REQUIRE(a.size() > 100);
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].x.timestamp == b[i].x.timestamp);
    CHECK(a[i].x.type == b[i].x.type);
    CHECK(std::isnan(a[i].x.response_time) == std::isnan(b[i].x.response_time));
  }
  SECTION("a different seed gives a different stream") {
    cfg.seed = 43;
    const auto c = simulate(cfg, 1800);
    CHECK((c.size() != a.size() || c[5].x.timestamp != a[5].x.timestamp));
  }
  SECTION("running in pieces equals running at once") {
    behaviour_sim sim{cfg};
    auto first = sim.run(600);
    const auto rest = sim.run(1800);
    first.insert(first.end(), rest.begin(), rest.end());
    REQUIRE(first.size() == a.size());
    CHECK(first.back().x.timestamp == a.back().x.timestamp);
  }
}

TEST_CASE("generated interactions are well formed with increasing timestamps") {
  sim_config cfg;
  cfg.user_id = "u-7";
  const auto events = simulate(cfg, 1800);
  double previous = 0;
  std::uint64_t seq = 0;
  for (const auto& e : events) {
    const auto& x = e.x;
    CHECK(x.timestamp > previous);
    CHECK(x.timestamp - cfg.start_time <= 1800);
    CHECK(x.seq == ++seq);
    CHECK(x.user_id == "u-7");
    CHECK(x.session_duration == Approx((x.timestamp - cfg.start_time) * 1000));
    CHECK((!present(x.response_time) || x.response_time >= 0));
    CHECK((!present(x.dwell_time) || x.dwell_time >= 0));
    previous = x.timestamp;
  }
}

TEST_CASE("responses are slower and more variable under high load") {
  const auto low = summarise(steady({0.1, 0.1, 0.8, 0.7}));
  const auto high = summarise(steady({0.9, 0.1, 0.8, 0.7}));
  CHECK(high.rt_mean > 1.5 * low.rt_mean);
  CHECK(high.rt_var > 2 * low.rt_var);
}

TEST_CASE("fatigue brings more idling and slower responses") {
  const auto fresh = summarise(steady({0.3, 0.0, 0.8, 0.7}));
  const auto tired = summarise(steady({0.3, 0.9, 0.8, 0.7}));
  CHECK(tired.idle_fraction > 2 * fresh.idle_fraction);
  CHECK(tired.idle_seconds > 1.5 * fresh.idle_seconds); // share of the hour spent idle
  CHECK(tired.rt_mean > fresh.rt_mean);
}

TEST_CASE("low focus brings more tab switches and shorter dwell") {
  const auto focused = summarise(steady({0.3, 0.1, 0.9, 0.7}));
  const auto distracted = summarise(steady({0.3, 0.1, 0.2, 0.7}));
  CHECK(distracted.away_fraction > 3 * focused.away_fraction);
  CHECK(distracted.dwell_mean < focused.dwell_mean);
  SECTION("every away event is followed by a return with the tab active") {
    const auto events = steady({0.3, 0.1, 0.2, 0.7});
    for (std::size_t i = 0; i + 1 < events.size(); ++i) {
      if (events[i].x.tab_active == 0) {
        CHECK(events[i + 1].x.tab_active == 1);
        CHECK((events[i + 1].x.type == interaction_type::focus
               || events[i + 1].x.type == interaction_type::visibility_change));
      }
    }
  }
}

TEST_CASE("low engagement brings fewer interactions") {
  const auto engaged = summarise(steady({0.3, 0.1, 0.8, 0.9}));
  const auto bored = summarise(steady({0.3, 0.1, 0.8, 0.15}));
  CHECK(bored.events_per_min < 0.7 * engaged.events_per_min);
}

TEST_CASE("the default dynamics accumulate fatigue and produce load episodes") {
  sim_config cfg;
  cfg.seed = 11;
  const auto events = simulate(cfg, 2 * hour);
  REQUIRE(events.size() > 100);
  CHECK(events.front().truth.fatigue < 0.05);
  CHECK(events.back().truth.fatigue > 0.8);
  bool episode = false;
  for (std::size_t i = 1; i < events.size(); ++i) {
    CHECK(events[i].truth.fatigue >= events[i - 1].truth.fatigue);
    episode = episode || events[i].truth.cognitive_load > 0.8;
  }
  CHECK(episode);
  SECTION("engagement and focus decline on average") {
    CHECK(events.back().truth.engagement < events.front().truth.engagement);
  }
  SECTION("the interactions can be taken alone") {
    CHECK(interactions_of(events).size() == events.size());
  }
}
