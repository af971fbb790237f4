// SYNTHETIC behaviour simulator: latent dynamics and the behavioural effects (see README.md).
#include "model/sim/behaviour_sim.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace aia::model::sim {

namespace {

double clamp01(double x) noexcept {
  return std::clamp(x, 0.0, 1.0);
}

/// Event types of ordinary activity, with base weights; `active` ones need engagement.
struct type_weight {
  interaction_type type;
  double weight;
  bool active;
};

constexpr std::array<type_weight, 8> activity_mix{{
    {interaction_type::click, 0.24, true},
    {interaction_type::answer, 0.12, true},
    {interaction_type::input, 0.08, true},
    {interaction_type::keypress, 0.08, true},
    {interaction_type::submit, 0.04, true},
    {interaction_type::scroll, 0.22, false},
    {interaction_type::hover, 0.14, false},
    {interaction_type::navigation, 0.08, false},
}};

bool has_response_time(interaction_type t) noexcept {
  return t == interaction_type::answer || t == interaction_type::submit
         || t == interaction_type::click;
}

bool has_dwell_time(interaction_type t) noexcept {
  return t == interaction_type::navigation || t == interaction_type::scroll
         || t == interaction_type::hover || t == interaction_type::focus;
}

} // namespace

latent_trajectory constant_latent(latent_state s) {
  return [s](double) { return s; };
}

behaviour_sim::behaviour_sim(sim_config cfg) : cfg_(std::move(cfg)), rng_(cfg_.seed) {
  advance_latent(0);
}

behaviour_sim::behaviour_sim(sim_config cfg, latent_trajectory trajectory)
    : cfg_(std::move(cfg)), trajectory_(std::move(trajectory)), rng_(cfg_.seed) {
  advance_latent(0);
}

// -- randomness ------------------------------------------------------------------------------

double behaviour_sim::lognormal(double median, double sigma) {
  std::normal_distribution<double> z{0.0, 1.0};
  return median * std::exp(sigma * z(rng_));
}

bool behaviour_sim::chance(double p) {
  std::uniform_real_distribution<double> u{0.0, 1.0};
  return u(rng_) < p;
}

// -- latent dynamics -------------------------------------------------------------------------

void behaviour_sim::advance_latent(double dt) {
  if (trajectory_) {
    const auto s = trajectory_(t_);
    latent_
        = {clamp01(s.cognitive_load), clamp01(s.fatigue), clamp01(s.focus), clamp01(s.engagement)};
    return;
  }
  // Episodes start as Poisson processes; their lengths are exponential.
  std::exponential_distribution<double> episode_len{1 / std::max(cfg_.episode_mean_s, 1.0)};
  std::exponential_distribution<double> wander_len{1 / std::max(cfg_.wander_mean_s, 1.0)};
  episode_left_s_ = std::max(episode_left_s_ - dt, 0.0);
  wander_left_s_ = std::max(wander_left_s_ - dt, 0.0);
  if (episode_left_s_ == 0 && chance(1 - std::exp(-cfg_.episode_rate_per_min * dt / 60))) {
    episode_left_s_ = episode_len(rng_);
  }
  if (wander_left_s_ == 0 && chance(1 - std::exp(-cfg_.wander_rate_per_min * dt / 60))) {
    wander_left_s_ = wander_len(rng_);
  }
  // Fatigue accumulates with time on task and saturates.
  const auto fatigue = 1 - std::exp(-t_ / 60 / std::max(cfg_.fatigue_tau_min, 1e-3));
  latent_.fatigue = clamp01(fatigue);
  latent_.cognitive_load = clamp01(episode_left_s_ > 0 ? cfg_.episode_load : cfg_.base_load);
  latent_.focus = clamp01(cfg_.base_focus - 0.4 * fatigue - (wander_left_s_ > 0 ? 0.4 : 0.0));
  latent_.engagement = clamp01(cfg_.base_engagement - 0.3 * fatigue);
}

// -- events ----------------------------------------------------------------------------------

sim_event behaviour_sim::make(interaction_type type, double gap) {
  const auto dt = std::max(gap, 0.05); // timestamps strictly increase
  t_ += dt;
  advance_latent(dt);
  sim_event e;
  e.truth = latent_;
  auto& x = e.x;
  x.timestamp = cfg_.start_time + t_;
  x.user_id = cfg_.user_id;
  x.type = type;
  x.device = cfg_.device;
  x.tab_active = 1;
  x.session_duration = t_ * 1000;
  x.client_id = "sim";
  x.seq = ++seq_;
  x.element_id = "el-" + std::to_string(seq_ % 17);
  return e;
}

sim_event behaviour_sim::next() {
  if (pending_) {
    auto e = std::move(*pending_);
    pending_.reset();
    return e;
  }
  const auto s = latent_; // behaviour follows the state at the previous event
  // Returning to the tab: the away time grows as focus drops.
  if (away_) {
    away_ = false;
    const auto back = away_type_ == interaction_type::blur ? interaction_type::focus
                                                           : interaction_type::visibility_change;
    auto e = make(back, lognormal(12 * (1 + 2 * (1 - s.focus)), 0.8));
    if (back == interaction_type::focus) {
      e.x.dwell_time = lognormal(4, 0.5);
    }
    return e;
  }
  // Idle: a long pause, more likely when tired or disengaged.
  if (chance(0.005 + 0.1 * s.fatigue + 0.05 * (1 - s.engagement))) {
    return make(interaction_type::idle, lognormal(40 * (1 + s.fatigue), 0.5));
  }
  // Leaving the tab: more likely with low focus (quadratic: rare while focused).
  const auto gap = lognormal(cfg_.base_gap_s * (1 + 0.6 * s.fatigue) / (0.35 + 0.65 * s.engagement),
                             0.6 + 0.3 * s.fatigue);
  if (chance(0.005 + 0.2 * (1 - s.focus) * (1 - s.focus))) {
    away_ = true;
    away_type_ = chance(0.5) ? interaction_type::blur : interaction_type::visibility_change;
    auto e = make(away_type_, gap);
    e.x.tab_active = 0;
    return e;
  }
  // Ordinary activity: engagement shifts the mix towards active events.
  std::array<double, activity_mix.size()> weights{};
  for (std::size_t i = 0; i < activity_mix.size(); ++i) {
    const auto& m = activity_mix[i];
    weights[i] = m.weight * (m.active ? 0.3 + s.engagement : 1.3 - s.engagement);
  }
  std::discrete_distribution<std::size_t> pick{weights.begin(), weights.end()};
  const auto type = activity_mix[pick(rng_)].type;
  // Response time: log-normal, median and spread growing with load (and fatigue).
  double response = absent;
  if (has_response_time(type)) {
    response = lognormal(cfg_.base_response_s * std::exp(0.9 * s.cognitive_load + 0.35 * s.fatigue),
                         0.3 + 0.4 * s.cognitive_load + 0.1 * s.fatigue);
  }
  auto e = make(type, present(response) ? std::max(gap, response) : gap);
  e.x.response_time = response;
  // Dwell: short when focus is low (skimming, switching away).
  if (has_dwell_time(type)) {
    e.x.dwell_time = lognormal(6 * (0.25 + 0.75 * s.focus), 0.7);
  }
  if (type == interaction_type::scroll) {
    e.x.scroll_distance = (chance(0.2) ? -1 : 1) * lognormal(300, 0.6);
  }
  return e;
}

std::vector<sim_event> behaviour_sim::run(double duration_s, std::size_t max_events) {
  std::vector<sim_event> out;
  while (out.size() < max_events) {
    auto e = next();
    if (e.x.timestamp - cfg_.start_time > duration_s) {
      pending_ = std::move(e);
      break;
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<sim_event> simulate(const sim_config& cfg, double duration_s) {
  behaviour_sim sim{cfg};
  return sim.run(duration_s);
}

std::vector<sim_event> simulate(const sim_config& cfg, double duration_s,
                                latent_trajectory trajectory) {
  behaviour_sim sim{cfg, std::move(trajectory)};
  return sim.run(duration_s);
}

std::vector<interaction> interactions_of(const std::vector<sim_event>& events) {
  std::vector<interaction> out;
  out.reserve(events.size());
  for (const auto& e : events) {
    out.push_back(e.x);
  }
  return out;
}

} // namespace aia::model::sim
