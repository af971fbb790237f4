// Retention: a timer-driven actor that asks the store writer to expire old raw events in batches.
#include "actors/retention_sweeper.hpp"

#include "actors/messages/store.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

namespace aia::actors {

namespace {

using sweep_tick_atom = caf::atom_constant<caf::atom("sweeptick")>;

/// What every handler needs; shared, so that the lambdas do not copy the options' functions.
struct sweeper_env {
  caf::actor writer;
  retention_options opt;
  runtime::counter& expired;
  runtime::counter& failures;
  runtime::gauge& last_sweep;
  runtime::gauge& cutoff;
};

using env_ptr = std::shared_ptr<const sweeper_env>;

struct sweeper_state {
  static inline const char* name = "retention_sweeper";
  /// Not an aggregate: CAF 0.17 constructs the state as State(self) when it can, and C++20 would
  /// take that as aggregate initialisation, setting `running` from the actor pointer.
  sweeper_state() = default;
  bool running = false;
  std::uint64_t removed = 0;  ///< by the running sweep so far
  double cutoff = 0;          ///< of the running sweep
  /// Answered when the running sweep ends.
  std::vector<caf::typed_response_promise<sweep_report>> current;
  /// Asked while a sweep ran: answered by a fresh sweep after it (with the clock of then).
  std::vector<caf::typed_response_promise<sweep_report>> next;
};

using sweeper_ptr = caf::stateful_actor<sweeper_state>*;

void step(sweeper_ptr self, const env_ptr& env);

/// Starts a sweep with the cutoff of now.
void start(sweeper_ptr self, const env_ptr& env) {
  auto& st = self->state;
  st.running = true;
  st.removed = 0;
  st.cutoff = env->opt.clock() - env->opt.retention_seconds;
  step(self, env);
}

/// Ends the running sweep (`err` if it failed): metrics, log, hook, answers; then the sweep asked
/// for meanwhile, if any.
void finish(sweeper_ptr self, const env_ptr& env, const caf::error* err) {
  auto& st = self->state;
  auto waiting = std::exchange(st.current, {});
  if (err != nullptr) {
    env->failures.inc();
    // What the batches before the failure removed stays removed (and counted).
    log::warn("retention.sweep_failed", {{"errc", caf::to_string(*err)}, {"events", st.removed}});
    for (auto& rp : waiting) {
      rp.deliver(*err);
    }
  } else {
    sweep_report r{st.removed, st.cutoff, env->opt.clock()};
    env->last_sweep.set(r.finished_at);
    env->cutoff.set(r.cutoff);
    if (r.removed > 0) {
      log::info("retention.swept", {{"events", r.removed}, {"cutoff", r.cutoff}});
      if (env->opt.on_swept) {
        try {
          env->opt.on_swept(r);
        } catch (const std::exception& e) {
          log::error("retention.hook_failed", {{"reason", e.what()}});
        }
      }
    }
    for (auto& rp : waiting) {
      rp.deliver(r);
    }
  }
  st.running = false;
  if (!st.next.empty()) {
    st.current = std::exchange(st.next, {});
    start(self, env);
  }
}

/// One expire call; another while a call removes a full batch (more may be left).
void step(sweeper_ptr self, const env_ptr& env) {
  self->request(env->writer, env->opt.timeout, expire_atom::value, self->state.cutoff,
                env->opt.batch)
    .then(
      [self, env](std::uint64_t n) {
        self->state.removed += n;
        env->expired.inc(n);
        if (n >= env->opt.batch) {
          step(self, env);
        } else {
          finish(self, env, nullptr);
        }
      },
      [self, env](caf::error& err) { finish(self, env, &err); });
}

caf::behavior sweeper(sweeper_ptr self, env_ptr env) {
  bool enabled = env->opt.retention_seconds > 0;  // false for 0 and NaN
  if (enabled) {
    self->send(self, sweep_tick_atom::value);  // the sweep at start
  }
  return {
    [self, env, enabled](sweep_atom) -> caf::result<sweep_report> {
      if (!enabled) {
        return sweep_report{0, 0, env->opt.clock()};
      }
      auto rp = self->make_response_promise<sweep_report>();
      if (self->state.running) {
        self->state.next.push_back(rp);
      } else {
        self->state.current.push_back(rp);
        start(self, env);
      }
      return rp;
    },
    [self, env](sweep_tick_atom) {
      if (!self->state.running) {
        start(self, env);
      }
      if (env->opt.interval.count() > 0) {
        self->delayed_send(self, env->opt.interval, sweep_tick_atom::value);
      }
    },
  };
}

} // namespace

caf::actor spawn_retention_sweeper(caf::actor_system& sys, caf::actor store_writer,
                                   retention_options opt, runtime::metrics_registry& metrics) {
  if (!opt.clock) {
    opt.clock = [] {
      return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
    };
  }
  opt.batch = std::max<std::uint64_t>(opt.batch, 1);  // 0 would never end a sweep
  auto env = std::make_shared<const sweeper_env>(sweeper_env{
    std::move(store_writer), std::move(opt),
    metrics.get_counter("retention_events_expired_total",
                        "Raw events removed because they outlived the retention"),
    metrics.get_counter("retention_sweep_failures_total", "Retention sweeps that failed"),
    metrics.get_gauge("retention_last_sweep_timestamp_seconds",
                      "When the last retention sweep that ended well ended"),
    metrics.get_gauge("retention_cutoff_timestamp_seconds",
                      "The stored_at cutoff of the last retention sweep that ended well")});
  // Arguments go through spawn, not a capture (CAF 0.17, see store_writer.cpp).
  return sys.spawn(sweeper, std::move(env));
}

} // namespace aia::actors
