// ws_loadgen's figures: the counters the connections fill, the latency percentiles, and the two
// outputs (a human table and one JSON line).
#pragma once

#include "bench/loadgen_settings.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
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

/// Everything ws_loadgen reports at the end.
struct load_report {
  const load_settings* cfg = nullptr;
  latency_summary latency;
  double sent_eps = 0;       ///< events sent per second in the measured window
  double answered_eps = 0;   ///< events answered per second in the measured window
  std::uint64_t unanswered = 0;
  bool timed_out = false;    ///< the overall deadline fired before an orderly end
  double cpu_seconds = 0;    ///< user + system CPU time of the load generator itself
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
              "\"loadgen_cpu_s\":%.3f,\"timed_out\":%s}\n",
              static_cast<unsigned long long>(total), u(t.late_answers), u(t.skipped),
              static_cast<unsigned long long>(r.unanswered), u(t.batches_unsent),
              u(t.unexpected), r.cpu_seconds, r.timed_out ? "true" : "false");
}

} // namespace aia::bench
