// SYNTHETIC behaviour simulator: interaction streams generated from latent user states.
// For load tests and unit tests of the adaptation loop only; see model/sim/README.md.
#pragma once

#include "model/interaction.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace aia::model::sim {

/// The hidden state driving the generated behaviour, each 0..1.
struct latent_state {
  double cognitive_load = 0.3;
  double fatigue = 0;
  double focus = 0.8;
  double engagement = 0.7;
};

/// A scripted latent trajectory: the state at `t` seconds since the session start.
using latent_trajectory = std::function<latent_state(double t)>;

/// A trajectory that stays at `s`.
[[nodiscard]] latent_trajectory constant_latent(latent_state s);

/// Settings of the simulator. Effect sizes are documented (with sources) in README.md.
struct sim_config {
  std::uint64_t seed = 1;
  std::string user_id = "sim-user";
  device_type device = device_type::desktop;
  double start_time = 1'700'000'000; ///< seconds since the epoch
  // -- default latent dynamics (ignored when a trajectory is given) --
  double fatigue_tau_min = 60; ///< fatigue = 1 - exp(-minutes on task / tau)
  double base_load = 0.3;
  double episode_load = 0.85;        ///< load during a high-load episode
  double episode_rate_per_min = 0.1; ///< Poisson onset rate of high-load episodes
  double episode_mean_s = 90;        ///< mean episode length (exponential)
  double base_focus = 0.85;          ///< focus = base - 0.4 fatigue, minus mind-wandering dips
  double wander_rate_per_min = 0.2;  ///< Poisson onset rate of mind-wandering dips (-0.4 focus)
  double wander_mean_s = 30;
  double base_engagement = 0.75; ///< engagement = base - 0.3 fatigue
  // -- behaviour --
  double base_gap_s = 2.0;      ///< median gap between events of a fresh, engaged user
  double base_response_s = 2.0; ///< median response time at zero load and fatigue
};

/// One generated interaction with the latent state that produced it (the ground truth).
struct sim_event {
  interaction x;
  latent_state truth;
};

/// Generates one user's stream. Deterministic for a given config (seed) and trajectory.
class behaviour_sim {
public:
  /// Uses the default latent dynamics (fatigue accumulating on task, load episodes, mind
  /// wandering).
  explicit behaviour_sim(sim_config cfg);
  /// Uses a scripted latent trajectory.
  behaviour_sim(sim_config cfg, latent_trajectory trajectory);

  /// The next event; timestamps strictly increase. An away period (tab hidden) yields its
  /// leaving and returning events on consecutive calls.
  [[nodiscard]] sim_event next();

  /// The events up to `duration_s` seconds after the session start (at most `max_events`); an
  /// event past the end is kept for the next call, so run(600) then run(1200) equals run(1200).
  [[nodiscard]] std::vector<sim_event> run(double duration_s, std::size_t max_events = 1'000'000);

  /// Seconds since the session start at the latest event.
  [[nodiscard]] double elapsed() const noexcept { return t_; }
  /// The latent state at the latest event.
  [[nodiscard]] const latent_state& latent() const noexcept { return latent_; }

private:
  void advance_latent(double dt);
  [[nodiscard]] double lognormal(double median, double sigma);
  [[nodiscard]] bool chance(double p);
  [[nodiscard]] sim_event make(interaction_type type, double gap);

  sim_config cfg_;
  latent_trajectory trajectory_;
  std::mt19937_64 rng_;
  latent_state latent_;
  double t_ = 0;              ///< seconds since the start
  double episode_left_s_ = 0; ///< remaining high-load episode
  double wander_left_s_ = 0;  ///< remaining mind-wandering dip
  bool away_ = false;         ///< tab hidden; the next event returns
  interaction_type away_type_ = interaction_type::blur;
  std::uint64_t seq_ = 0;
  std::optional<sim_event> pending_; ///< generated past run()'s end, returned next
};

/// Convenience: the events of one session of `duration_s` seconds.
[[nodiscard]] std::vector<sim_event> simulate(const sim_config& cfg, double duration_s);
/// As above with a scripted trajectory.
[[nodiscard]] std::vector<sim_event> simulate(const sim_config& cfg, double duration_s,
                                              latent_trajectory trajectory);

/// The interactions alone, for feeding a feature_window or a session.
[[nodiscard]] std::vector<interaction> interactions_of(const std::vector<sim_event>& events);

} // namespace aia::model::sim
