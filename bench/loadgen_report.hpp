// ws_loadgen's figures: the counters the connections fill, the latency percentiles, and the two
// outputs (a human table and one JSON line).
#pragma once

#include "bench/loadgen_settings.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace aia::bench {

/// Counters shared by every connection (any thread).
struct load_tally {
  std::atomic<std::uint64_t> connected{0}, connect_failed{0}, closed_early{0};
  std::atomic<std::uint64_t> batches_sent{0}, events_sent_in_window{0}, batches_unsent{0};
  std::atomic<std::uint64_t> acks{0}, updates{0}, recommendations{0}, metrics{0}, other{0};
  std::atomic<std::uint64_t> events_answered_in_window{0}, unexpected{0};
  std::atomic<std::uint64_t> late_answers{0};  ///< answers to batches refused by an error before
  std::atomic<std::uint64_t> skipped{0};       ///< batches never acked, passed by later answers
  std::atomic<std::uint64_t> duplicate_acks{0};  ///< acks of batches the node had stored before
  std::atomic<std::uint64_t> duplicate_acks_settling{0};  ///< of those: settled an acked batch
  std::atomic<std::uint64_t> duplicate_acks_pending{0};   ///< of those: came before any ack
  std::atomic<std::int64_t> in_flight{0};  ///< batches sent and not yet answered

  /// Counts one error frame with its code; the first message of each code is kept.
  void add_error(const std::string& code, const std::string& message) {
    std::lock_guard<std::mutex> guard{errors_mtx};
    ++errors[code];
    error_messages.try_emplace(code, message);
  }

  std::mutex errors_mtx;
  std::map<std::string, std::uint64_t> errors;
  std::map<std::string, std::string> error_messages;
};

/// Latency percentiles in milliseconds (nearest rank).
struct latency_summary {
  std::size_t n = 0;
  double p50 = 0, p99 = 0, p999 = 0, max = 0;
};

/// Sorts `samples` and reads the percentiles.
inline latency_summary summarize(std::vector<float>& samples) {
  latency_summary s;
  s.n = samples.size();
  if (samples.empty()) {
    return s;
  }
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(s.n)));
    return static_cast<double>(samples[std::clamp<std::size_t>(rank, 1, s.n) - 1]);
  };
  s.p50 = at(0.50);
  s.p99 = at(0.99);
  s.p999 = at(0.999);
  s.max = samples.back();
  return s;
}

/// `--kill-pid`: what the kill of a node did to the batches (times from the SIGKILL).
struct kill_summary {
  bool active = false;       ///< --kill-pid given
  bool sent = false;         ///< the SIGKILL was sent (the window reached the kill time)
  int kill_errno = 0;        ///< errno of kill(2), 0 if it worked
  int pid = 0;
  double at_s = 0;           ///< seconds into the measured window
  std::uint64_t outstanding = 0;   ///< batches sent before the kill and not settled at it
  std::uint64_t outstanding_errored = 0;     ///< of those, settled by an error frame
  std::uint64_t outstanding_unanswered = 0;  ///< of those, never settled (or given up)
  double recovery_ms = -1;   ///< kill -> the last of those settled; -1 if one never was
  std::uint64_t settled_by_duplicate = 0;  ///< batches answered by a duplicate ack (no update)
  std::uint64_t duplicate_then_acked = 0;  ///< duplicate acks followed by the batch's own ack
  std::uint64_t after_unanswered = 0;  ///< batches sent after the kill, never settled
  std::uint64_t after_errored = 0;     ///< batches sent after the kill, settled by an error
  latency_summary after;     ///< latency of batches sent after the kill and answered
  latency_summary before;    ///< the same for batches sent in the window before the kill
  /// Max latency (ms) and count of the answered batches sent in each 100 ms after the kill
  /// (the last slice: from 1 s to the end): how long the disturbance lasted.
  static constexpr std::size_t slices = 11;
  double slice_max[slices] = {};
  std::uint64_t slice_n[slices] = {};
};

/// `--avoid-owner`: the users the connections got.
struct user_choice {
  bool active = false;
  std::string first, last;      ///< the first and the last user id used
  std::uint64_t skipped = 0;    ///< user ids passed over because NAME owns them
};

/// Everything ws_loadgen reports at the end.
struct load_report {
  const load_settings* cfg = nullptr;
  latency_summary latency;
  double sent_eps = 0;       ///< events sent per second in the measured window
  double answered_eps = 0;   ///< events answered per second in the measured window
  std::uint64_t unanswered = 0;
  bool timed_out = false;    ///< the overall deadline fired before an orderly end
  double cpu_seconds = 0;    ///< user + system CPU time of the load generator itself
  user_choice users;
  kill_summary kill;
};

/// Writes the human-readable table to stdout.
inline void print_table(const load_report& r, load_tally& t) {
  const auto& c = *r.cfg;
  std::printf("ws_loadgen  mode=%s target=%s connections=%d batch=%d window=%d threads=%d\n",
              to_string(c.mode), c.echo ? "echo" : "node", c.connections, c.batch, c.window,
              c.threads);
  std::printf("  %-28s %llu ok, %llu failed, %llu closed early\n", "connections",
              static_cast<unsigned long long>(t.connected.load()),
              static_cast<unsigned long long>(t.connect_failed.load()),
              static_cast<unsigned long long>(t.closed_early.load()));
  if (c.mode != load_mode::hold) {
    std::printf("  %-28s %.1f s (after %.1f s warm-up)\n", "measured", c.duration, c.warmup);
    if (c.mode == load_mode::open) {
      std::printf("  %-28s %.0f\n", "target events/s", c.rate);
    }
    std::printf("  %-28s %.0f sent, %.0f answered\n", "events/s", r.sent_eps, r.answered_eps);
  }
  std::printf("  %-28s p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (n=%zu)\n", "latency ms",
              r.latency.p50, r.latency.p99, r.latency.p999, r.latency.max, r.latency.n);
  std::printf("  %-28s %llu sent, %llu acks, %llu updates, %llu recs, %llu metrics, %llu other\n",
              "batches / frames", static_cast<unsigned long long>(t.batches_sent.load()),
              static_cast<unsigned long long>(t.acks.load()),
              static_cast<unsigned long long>(t.updates.load()),
              static_cast<unsigned long long>(t.recommendations.load()),
              static_cast<unsigned long long>(t.metrics.load()),
              static_cast<unsigned long long>(t.other.load()));
  std::printf("  %-28s", "errors");
  if (t.errors.empty()) {
    std::printf(" none");
  }
  for (const auto& [code, n] : t.errors) {
    std::printf(" %s=%llu (\"%s\")", code.c_str(), static_cast<unsigned long long>(n),
                t.error_messages[code].c_str());
  }
  std::printf("\n  %-28s %llu answered after an error, %llu never acked\n", "mismatches",
              static_cast<unsigned long long>(t.late_answers.load()),
              static_cast<unsigned long long>(t.skipped.load()));
  std::printf("  %-28s %.2f s\n", "load generator CPU", r.cpu_seconds);
  std::printf("  %-28s %llu unanswered, %llu unsent, %llu unexpected%s\n", "at the end",
              static_cast<unsigned long long>(r.unanswered),
              static_cast<unsigned long long>(t.batches_unsent.load()),
              static_cast<unsigned long long>(t.unexpected.load()),
              r.timed_out ? ", DEADLINE HIT" : "");
  if (r.users.active) {
    std::printf("  %-28s owner is never %s (of %zu nodes): %s .. %s, %llu ids skipped\n",
                "users", c.avoid_owner.c_str(), c.nodes.size(), r.users.first.c_str(),
                r.users.last.c_str(), static_cast<unsigned long long>(r.users.skipped));
  }
  if (r.kill.active) {
    const auto& k = r.kill;
    if (!k.sent) {
      std::printf("  %-28s pid %d NOT killed (the window ended first)\n", "kill", k.pid);
    } else {
      std::printf("  %-28s SIGKILL pid %d at %.3f s into the window%s%s\n", "kill", k.pid,
                  k.at_s, k.kill_errno ? ", kill failed: " : "",
                  k.kill_errno ? std::strerror(k.kill_errno) : "");
      std::printf("  %-28s %llu batches (%llu settled by an error, %llu never answered)\n",
                  "outstanding at the kill", static_cast<unsigned long long>(k.outstanding),
                  static_cast<unsigned long long>(k.outstanding_errored),
                  static_cast<unsigned long long>(k.outstanding_unanswered));
      if (k.recovery_ms >= 0) {
        std::printf("  %-28s %.1f ms (kill -> last of them answered)\n", "recovery", k.recovery_ms);
      } else {
        std::printf("  %-28s NOT recovered: %llu outstanding batches never answered\n",
                    "recovery", static_cast<unsigned long long>(k.outstanding_unanswered));
      }
      std::printf("  %-28s p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (n=%zu; %llu errors, "
                  "%llu unanswered)\n",
                  "latency ms, sent after kill", k.after.p50, k.after.p99, k.after.p999,
                  k.after.max, k.after.n, static_cast<unsigned long long>(k.after_errored),
                  static_cast<unsigned long long>(k.after_unanswered));
      std::printf("  %-28s", "  max ms by 0.1 s after kill");
      for (std::size_t i = 0; i < kill_summary::slices; ++i) {
        std::printf(" %.1f", k.slice_max[i]);
      }
      std::printf("  (the last: 1 s to the end)\n");
      std::printf("  %-28s p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (n=%zu)\n",
                  "latency ms, before the kill", k.before.p50, k.before.p99, k.before.p999,
                  k.before.max, k.before.n);
      std::printf("  %-28s %llu (%llu settled a batch acked before the kill, %llu came before "
                  "any ack; the rest were ignored)\n",
                  "duplicate acks", static_cast<unsigned long long>(t.duplicate_acks.load()),
                  static_cast<unsigned long long>(t.duplicate_acks_settling.load()),
                  static_cast<unsigned long long>(t.duplicate_acks_pending.load()));
      std::printf("  %-28s %llu batches answered by a duplicate ack (no update), %llu duplicate "
                  "acks followed by the batch's own ack and update\n", "",
                  static_cast<unsigned long long>(k.settled_by_duplicate),
                  static_cast<unsigned long long>(k.duplicate_then_acked));
    }
  }
}

/// Writes the figures as one JSON line to stdout.
inline void print_json(const load_report& r, load_tally& t) {
  const auto& c = *r.cfg;
  auto u = [](const std::atomic<std::uint64_t>& x) {
    return static_cast<unsigned long long>(x.load());
  };
  std::printf("{\"mode\":\"%s\",\"target\":\"%s\",\"connections\":%d,\"batch\":%d,\"window\":%d,"
              "\"rate\":%.1f,\"duration_s\":%.3f,\"connected\":%llu,\"connect_failed\":%llu,"
              "\"closed_early\":%llu,\"sent_eps\":%.1f,\"answered_eps\":%.1f,",
              to_string(c.mode), c.echo ? "echo" : "node", c.connections, c.batch, c.window,
              c.rate, c.duration, u(t.connected), u(t.connect_failed), u(t.closed_early),
              r.sent_eps, r.answered_eps);
  std::printf("\"latency_ms\":{\"n\":%zu,\"p50\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},",
              r.latency.n, r.latency.p50, r.latency.p99, r.latency.p999, r.latency.max);
  std::printf("\"batches_sent\":%llu,\"acks\":%llu,\"updates\":%llu,\"recommendations\":%llu,"
              "\"metrics\":%llu,\"other\":%llu,\"errors\":{",
              u(t.batches_sent), u(t.acks), u(t.updates), u(t.recommendations), u(t.metrics),
              u(t.other));
  std::uint64_t total = 0;
  for (const char* sep = ""; const auto& [code, n] : t.errors) {
    std::printf("%s\"%s\":%llu", sep, code.c_str(), static_cast<unsigned long long>(n));
    total += n;
    sep = ",";
  }
  std::printf("},\"errors_total\":%llu,\"late_answers\":%llu,\"never_acked\":%llu,"
              "\"unanswered\":%llu,\"unsent\":%llu,\"unexpected\":%llu,"
              "\"loadgen_cpu_s\":%.3f,\"timed_out\":%s",
              static_cast<unsigned long long>(total), u(t.late_answers), u(t.skipped),
              static_cast<unsigned long long>(r.unanswered), u(t.batches_unsent),
              u(t.unexpected), r.cpu_seconds, r.timed_out ? "true" : "false");
  if (r.users.active) {
    std::printf(",\"avoid_owner\":\"%s\",\"nodes\":%zu,\"first_user\":\"%s\","
                "\"last_user\":\"%s\",\"users_skipped\":%llu",
                c.avoid_owner.c_str(), c.nodes.size(), r.users.first.c_str(),
                r.users.last.c_str(), static_cast<unsigned long long>(r.users.skipped));
  }
  if (r.kill.active) {
    const auto& k = r.kill;
    std::printf(",\"kill_pid\":%d,\"kill_sent\":%s,\"kill_errno\":%d,\"kill_at_s\":%.3f,"
                "\"recovery_ms\":%.3f,\"outstanding_at_kill\":%llu,"
                "\"outstanding_errored\":%llu,\"outstanding_unanswered\":%llu,"
                "\"duplicate_acks\":%llu,\"duplicate_acks_settling\":%llu,"
                "\"duplicate_acks_pending\":%llu,\"settled_by_duplicate\":%llu,"
                "\"duplicate_then_acked\":%llu,\"after_kill_n\":%zu,\"after_kill_p50\":%.3f,"
                "\"after_kill_p99\":%.3f,\"after_kill_p999\":%.3f,\"after_kill_max\":%.3f,"
                "\"after_kill_errored\":%llu,\"after_kill_unanswered\":%llu,"
                "\"before_kill_p50\":%.3f,\"before_kill_p99\":%.3f,\"before_kill_max\":%.3f",
                k.pid, k.sent ? "true" : "false", k.kill_errno, k.at_s, k.recovery_ms,
                static_cast<unsigned long long>(k.outstanding),
                static_cast<unsigned long long>(k.outstanding_errored),
                static_cast<unsigned long long>(k.outstanding_unanswered),
                u(t.duplicate_acks), u(t.duplicate_acks_settling), u(t.duplicate_acks_pending),
                static_cast<unsigned long long>(k.settled_by_duplicate),
                static_cast<unsigned long long>(k.duplicate_then_acked), k.after.n, k.after.p50, k.after.p99, k.after.p999,
                k.after.max, static_cast<unsigned long long>(k.after_errored),
                static_cast<unsigned long long>(k.after_unanswered), k.before.p50, k.before.p99,
                k.before.max);
    std::printf(",\"after_kill_max_by_100ms\":[");
    for (std::size_t i = 0; i < kill_summary::slices; ++i) {
      std::printf("%s%.3f", i ? "," : "", k.slice_max[i]);
    }
    std::printf("],\"after_kill_n_by_100ms\":[");
    for (std::size_t i = 0; i < kill_summary::slices; ++i) {
      std::printf("%s%llu", i ? "," : "", static_cast<unsigned long long>(k.slice_n[i]));
    }
    std::printf("]");
  }
  std::printf("}\n");
}

} // namespace aia::bench
