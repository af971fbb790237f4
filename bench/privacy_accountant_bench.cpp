// privacy_accountant_bench: spends per second through the real privacy accountant actor, in front
// of the real store writer and a SQLite store (sync normal, values sealed), and their latency.
//
//   privacy_accountant_bench [--spends N] [--per-user K] [--threads T] [--dir DIR]
//
// (a) one budget, one requester, N spends one after another (default 2000); (b) 200 requesters
// on one budget, N spends in all, each requester sending its next spend when the last is
// answered; (c) 1000 user budgets, one requester each, K spends each (default 5), the first one
// loading the budget. Every spend is granted (the limit is far away); each one rewrites its
// budget's whole ledger, so the ledger's length is printed too. T scheduler threads (default 2,
// the node's default). DIR (default: a fresh directory under /tmp) holds the store.
#include "bench/bench_args.hpp"
#include "actors/messages/privacy.hpp"
#include "actors/privacy_accountant.hpp"
#include "actors/store_writer.hpp"
#include "runtime/metrics.hpp"
#include "runtime/store.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

using aia::bench::option;
using aia::bench::option_text;

namespace {

namespace fs = std::filesystem;
using namespace aia;
using clock_type = std::chrono::steady_clock;

/// What the requesters of one case measured; each adds its own figures when it is done.
struct run_stats {
  explicit run_stats(std::ptrdiff_t requesters) : done(requesters) {}
  std::mutex mutex;
  std::vector<double> us;  ///< latency of every spend
  long refused = 0;
  long failed = 0;
  std::uint64_t releases = 0;  ///< the longest ledger seen
  std::latch done;
};

struct requester_state {
  long left = 0;
  long refused = 0;
  long failed = 0;
  std::uint64_t releases = 0;
  std::vector<double> us;
};

using requester_ptr = caf::stateful_actor<requester_state>*;

/// Sends the next spend once the last is answered; reports to `st` after the last one.
void send_next(requester_ptr self, const caf::actor& acct, const actors::spend_request& r,
               run_stats* st) {
  auto& s = self->state;
  if (s.left-- == 0) {
    {
      std::lock_guard<std::mutex> guard{st->mutex};
      st->us.insert(st->us.end(), s.us.begin(), s.us.end());
      st->refused += s.refused;
      st->failed += s.failed;
      st->releases = std::max(st->releases, s.releases);
    }
    st->done.count_down();
    self->quit();
    return;
  }
  auto t0 = clock_type::now();
  self->request(acct, std::chrono::seconds(60), actors::spend_atom::value, r)
    .then(
      [self, acct, r, st, t0](const actors::budget_report& rep) {
        auto& s = self->state;
        s.us.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
        s.refused += rep.granted ? 0 : 1;
        s.releases = rep.releases;
        send_next(self, acct, r, st);
      },
      [self, acct, r, st](caf::error&) {
        ++self->state.failed;
        send_next(self, acct, r, st);
      });
}

void requester(requester_ptr self, caf::actor acct, actors::spend_request r, long n,
               run_stats* st) {
  self->state.left = n;
  self->state.us.reserve(static_cast<std::size_t>(n));
  send_next(self, acct, r, st);
}

/// Runs `requesters` requesters, the i-th spending `per_requester` times on budget_of(i).
template <class BudgetOf>
void run_case(caf::actor_system& sys, const caf::actor& acct, const char* what, long requesters,
              long per_requester, BudgetOf budget_of) {
  run_stats st{requesters};
  auto t0 = clock_type::now();
  for (long i = 0; i < requesters; ++i) {
    actors::spend_request r{budget_of(i), "bench.release", "analytics", 0, 0.01, 0, 0, 0};
    sys.spawn(requester, acct, std::move(r), per_requester, &st);
  }
  st.done.wait();
  auto total = std::chrono::duration<double>(clock_type::now() - t0).count();
  if (requesters == 1 && st.us.size() >= 200) {
    // One requester: the latencies are in spend order, so the ledger's growth shows.
    auto median = [](std::vector<double> v) {
      std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
      return v[v.size() / 2];
    };
    std::printf("    ledger 1-100: p50 %.0f us; ledger %zu-%zu: p50 %.0f us\n",
                median({st.us.begin(), st.us.begin() + 100}), st.us.size() - 99, st.us.size(),
                median({st.us.end() - 100, st.us.end()}));
  }
  std::sort(st.us.begin(), st.us.end());
  auto pct = [&st](double p) {
    return st.us.empty() ? 0.0 : st.us[static_cast<std::size_t>(p * (st.us.size() - 1))];
  };
  auto n = static_cast<double>(st.us.size());
  std::printf("%-40s %6.0f spends in %5.2f s = %7.0f spends/s; latency p50 %7.0f us, p99 %7.0f "
              "us, max %7.0f us; ledger up to %llu; refused %ld, failed %ld\n",
              what, n, total, n / total, pct(0.5), pct(0.99), st.us.empty() ? 0.0 : st.us.back(),
              static_cast<unsigned long long>(st.releases), st.refused, st.failed);
}

} // namespace

int main(int argc, char** argv) {
  auto spends = option(argc, argv, "--spends", 2000);
  auto per_user = option(argc, argv, "--per-user", 5);
  auto threads = option(argc, argv, "--threads", 2);
  auto dir_text = option_text(argc, argv, "--dir");
  fs::path dir;
  if (dir_text.empty()) {
    std::string tmpl = (fs::temp_directory_path() / "aia-acct-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      return 1;
    }
    dir = tmpl;
  } else {
    dir = dir_text;
    fs::create_directories(dir);
  }
  {
    std::shared_ptr<runtime::store> st
      = runtime::open_sqlite_store((dir / "bench.db").string(), runtime::sqlite_sync::normal);
    runtime::metrics_registry metrics;
    caf::actor_system_config cfg;
    cfg.set("scheduler.max-threads", static_cast<std::size_t>(threads));
    cfg.set("logger.verbosity", caf::atom("quiet"));
    caf::actor_system sys{cfg};
    auto writer = actors::spawn_store_writer(sys, st, {}, metrics);
    actors::accountant_options opt;
    opt.user = {1e9, 1e-5, 0};  // never exhausted: every spend is written
    opt.global = opt.user;
    auto acct = actors::spawn_privacy_accountant(sys, writer, opt, metrics);
    std::printf("privacy accountant + store writer + SQLite (sync normal) in %s, %ld scheduler "
                "threads; Laplace spends of epsilon 0.01\n",
                dir.c_str(), threads);
    run_case(sys, acct, "(a) 1 budget, 1 requester", 1, spends,
             [](long) { return std::string{"bench-a"}; });
    run_case(sys, acct, "(b) 1 budget, 200 requesters", 200, std::max(1L, spends / 200),
             [](long) { return std::string{"bench-b"}; });
    run_case(sys, acct, "(c) 1000 budgets, 1 requester each", 1000, per_user,
             [](long i) { return "bench-c-" + std::to_string(i); });
    caf::anon_send_exit(acct, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
  }
  if (dir_text.empty()) {
    fs::remove_all(dir);
  }
  return 0;
}
