// privacy_audit_bench: durable appends per second to the audit log (one thread, then several
// sharing fsyncs through group commit) and verification throughput over a large log.
//
//   privacy_audit_bench [--appends N] [--threads T] [--entries M] [--dir DIR]
//
// N appends (default 1000) with one thread and again spread over T threads (default 8); a log of
// M entries (default 100000), written directly with the documented mac, then verified by
// verify_file and by audit_log::open. DIR (default: a fresh directory under /tmp) should sit on
// the disk the node's log would use: the append figures are the disk's fsync latency.
#include "bench/bench_args.hpp"
#include "privacy/audit_log.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using aia::bench::option;
using aia::bench::option_text;

namespace {

namespace fs = std::filesystem;
using aia::privacy::audit_kind;
using aia::privacy::audit_log;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

aia::privacy::audit_details sample_details(long i) {
  return {{"epsilon", 0.05}, {"query", std::string{"mean_dwell"}}, {"i", std::int64_t{i}}};
}

/// Appends `n` entries from one thread; prints rate and latency percentiles.
void bench_single(const fs::path& dir, long n) {
  auto a = audit_log::open(dir / "single.log", dir / "audit.key");
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(n));
  auto t0 = clock_type::now();
  for (long i = 0; i < n; ++i) {
    auto t = clock_type::now();
    a.append(audit_kind::budget_spend, "system", "u_" + std::to_string(i % 100), sample_details(i));
    us.push_back(seconds_since(t) * 1e6);
  }
  auto total = seconds_since(t0);
  std::sort(us.begin(), us.end());
  auto pct = [&us](double p) { return us[static_cast<std::size_t>(p * (us.size() - 1))]; };
  std::printf("append, 1 thread, fsync each:  %ld appends in %.2f s = %.0f appends/s; latency "
              "p50 %.0f us, p99 %.0f us, max %.0f us\n",
              n, total, n / total, pct(0.5), pct(0.99), us.back());
}

/// Appends `n` entries spread over `threads` threads; prints the rate (group commit).
void bench_threads(const fs::path& dir, long n, int threads) {
  auto a = audit_log::open(dir / "threads.log", dir / "audit.key");
  std::vector<std::thread> pool;
  auto per = n / threads;
  auto t0 = clock_type::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&a, per, t] {
      for (long i = 0; i < per; ++i) {
        a.append(audit_kind::budget_spend, "system", "u_" + std::to_string(t), sample_details(i));
      }
    });
  }
  for (auto& th : pool) {
    th.join();
  }
  auto total = seconds_since(t0);
  std::printf("append, %d threads, group commit: %ld appends in %.2f s = %.0f appends/s\n", threads,
              per * threads, total, per * threads / total);
}

std::string hmac_hex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 0xF];
  }
  return out;
}

/// Builds an `m`-entry log the fast way (no fsync per entry), then times its verification.
void bench_verify(const fs::path& dir, long m) {
  auto log = dir / "big.log";
  auto key_file = dir / "audit.key";
  { auto a = audit_log::open(log, key_file); }  // creates the log and its anchor at seq 0
  std::string key;
  {
    std::ifstream in{key_file};
    std::getline(in, key);
  }
  auto t0 = clock_type::now();
  {
    std::ofstream out{log, std::ios::binary | std::ios::app};
    std::string prev(64, '0');
    for (long i = 1; i <= m; ++i) {
      aia::privacy::audit_entry e;
      e.seq = static_cast<std::uint64_t>(i);
      e.time = 1700000000.0 + static_cast<double>(i) / 1000;
      e.kind = i % 7 == 0 ? audit_kind::erasure : audit_kind::budget_spend;
      e.actor = "system";
      e.subject = "u_" + std::to_string(i % 1000);
      e.details = sample_details(i);
      e.prev = prev;
      e.mac = hmac_hex(key, aia::privacy::canonical_bytes(e));
      out << aia::privacy::to_json(e) << '\n';
      prev = e.mac;
    }
  }
  auto size = fs::file_size(log);
  std::printf("built a %ld-entry log (%.1f MB, %.0f B/entry) in %.2f s\n", m, size / 1e6,
              static_cast<double>(size) / m, seconds_since(t0));

  double best = 1e9;
  for (int run = 0; run < 3; ++run) {
    auto t = clock_type::now();
    auto r = aia::privacy::verify_file(log, key_file);
    best = std::min(best, seconds_since(t));
    if (!r.ok() || r.entries != static_cast<std::uint64_t>(m)) {
      std::printf("verify FAILED: %s\n", r.reason.c_str());
      std::exit(1);
    }
  }
  std::printf("verify_file: %ld entries in %.3f s = %.0f entries/s (%.0f MB/s), best of 3; "
              "anchor behind at seq 0 as written\n",
              m, best, m / best, size / 1e6 / best);

  auto t = clock_type::now();
  auto a = audit_log::open(log, key_file);  // verifies the chain, brings the anchor up to date
  auto open_s = seconds_since(t);
  std::printf("audit_log::open (full verify + anchor update): %.3f s\n", open_s);
  t = clock_type::now();
  auto some = a.read({"u_7", std::nullopt, 0});
  std::printf("read(subject filter): %zu of %ld entries in %.3f s\n", some.size(), m,
              seconds_since(t));
}

} // namespace

int main(int argc, char** argv) {
  auto appends = option(argc, argv, "--appends", 1000);
  auto threads = static_cast<int>(option(argc, argv, "--threads", 8));
  auto entries = option(argc, argv, "--entries", 100000);
  auto dir_text = option_text(argc, argv, "--dir");
  if (appends < 1 || threads < 1 || entries < 1) {
    std::fprintf(stderr, "usage: privacy_audit_bench [--appends N] [--threads T] [--entries M] "
                         "[--dir DIR]\n");
    return 2;
  }
  fs::path dir;
  bool remove_dir = dir_text.empty();
  if (remove_dir) {
    auto pattern = (fs::temp_directory_path() / "aia-audit-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = pattern;
  } else {
    dir = dir_text;
    fs::create_directories(dir);
  }
  std::printf("privacy_audit_bench in %s (hardware threads: %u)\n", dir.c_str(),
              std::thread::hardware_concurrency());
  try {
    bench_single(dir, appends);
    bench_threads(dir, appends, threads);
    bench_verify(dir, entries);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "privacy_audit_bench: %s\n", e.what());
    return 1;
  }
  if (remove_dir) {
    fs::remove_all(dir);
  }
  return 0;
}
