// The retention sweeper: removes raw events older than the privacy level's retention, through the
// store writer, at start and then every interval.
#pragma once

#include <caf/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <functional>

namespace aia::runtime {
class metrics_registry;
} // namespace aia::runtime

namespace aia::actors {

struct sweep_report;  // actors/messages/store.hpp

/// Settings of the retention sweeper.
struct retention_options {
  /// Raw events stored (stored_at) longer ago than this go, once a snapshot covers them
  /// (runtime::store::expire_events). 0 = the sweeper does nothing (Maximum keeps no events).
  double retention_seconds = 90 * 86400.0;
  /// Between the starts of two sweeps; a tick that finds a sweep still running skips its turn.
  /// 0 = only the sweep at start and those asked for with sweep_atom.
  std::chrono::milliseconds interval{std::chrono::minutes{10}};
  /// Events per expire call; a sweep calls again while a call removes a full batch.
  std::uint64_t batch = 5000;
  /// Seconds since the epoch; the system clock if empty. Tests inject their own.
  std::function<double()> clock;
  /// Called (on the sweeper's thread) after each sweep that removed something, e.g. for the
  /// audit log. An exception from it is logged and dropped.
  std::function<void(const sweep_report&)> on_swept;
  /// How long one expire call may take before the sweep counts as failed.
  std::chrono::milliseconds timeout{std::chrono::minutes{5}};
};

/// Spawns the sweeper. Each sweep sends `store_writer` (expire_atom, now - retention, batch)
/// until a call removes less than a full batch. Protocol: (sweep_atom) -> sweep_report | error
/// sweeps now (after the running sweep, if any) and answers when done (actors/messages/store.hpp).
/// Metrics: counter retention_events_expired_total, gauges retention_last_sweep_timestamp_seconds
/// and retention_cutoff_timestamp_seconds (after each sweep that ended well), counter
/// retention_sweep_failures_total. A failed sweep is logged and the next tick tries again.
/// Stops on an exit message.
caf::actor spawn_retention_sweeper(caf::actor_system& sys, caf::actor store_writer,
                                   retention_options opt, runtime::metrics_registry& metrics);

} // namespace aia::actors
