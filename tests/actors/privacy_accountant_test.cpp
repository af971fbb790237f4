// The privacy accountant: 200 concurrent spends against one budget never overspend it, a grant
// is durable before it is answered (a new accountant on the same store sees every grant), and
// budgets are separate. Real actors, real store writer and SQLite store.
#include "actors/privacy_accountant.hpp"

#include "actors/messages/privacy.hpp"
#include "actors/store_writer.hpp"
#include "runtime/metrics.hpp"
#include "tests/support/temp_dir.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace aia;
using namespace std::chrono_literals;

namespace {

actors::accountant_options pure_limits() {
  actors::accountant_options o;
  o.user = {1.0, 0, 0};     // ε 1, pure: the plain sum is the bound
  o.global = {2.0, 0, 0};
  return o;
}

/// An actor system with a store writer and an accountant over one SQLite file.
struct node {
  runtime::metrics_registry metrics;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor writer;
  caf::actor accountant;

  node(const std::shared_ptr<runtime::store>& st, actors::accountant_options opt) {
    cfg.set("scheduler.max-threads", 2);
    cfg.set("logger.verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
    writer = actors::spawn_store_writer(*sys, st, {}, metrics);
    accountant = actors::spawn_privacy_accountant(*sys, writer, opt, metrics);
  }

  ~node() {
    caf::anon_send_exit(accountant, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    accountant = nullptr;
    writer = nullptr;
    sys.reset();
  }

  actors::budget_report report(const std::string& budget) {
    caf::scoped_actor self{*sys};
    actors::budget_report out;
    self->request(accountant, 10s, actors::budget_atom::value, budget)
      .receive([&](const actors::budget_report& r) { out = r; },
               [](caf::error& err) { FAIL(caf::to_string(err)); });
    return out;
  }

  /// Sends `n` spends of `epsilon` to `budget` all at once; how many were granted.
  int spend_concurrently(const std::string& budget, int n, double epsilon) {
    std::atomic<int> granted{0};
    std::atomic<int> answered{0};
    for (int i = 0; i < n; ++i) {
      actors::spend_request r{budget, "test.release", "analytics", 0, epsilon, 0, 0, 0};
      sys->spawn([&granted, &answered, r](caf::event_based_actor* self, caf::actor to) {
        self->request(to, 30s, actors::spend_atom::value, r)
          .then(
            [&](const actors::budget_report& rep) {
              granted += rep.granted ? 1 : 0;
              ++answered;
            },
            [&](caf::error&) { ++answered; });
      }, accountant);
    }
    for (int i = 0; i < 3000 && answered.load() < n; ++i) {
      std::this_thread::sleep_for(10ms);
    }
    REQUIRE(answered.load() == n);
    return granted.load();
  }
};

} // namespace

TEST_CASE("200 concurrent spends never overspend one budget, and every grant is durable") {
  aia::test::temp_dir dir{"aia-accountant-test-"};
  std::shared_ptr<runtime::store> st =
    runtime::open_sqlite_store((dir / "t.db").string(), runtime::sqlite_sync::normal);
  {
    node n{st, pure_limits()};
    // ε 0.0075 each: 133 fit into 1.0 (133 × 0.0075 = 0.9975), the 134th would not.
    CHECK(n.spend_concurrently("alice", 200, 0.0075) == 133);
    auto r = n.report("alice");
    CHECK(r.releases == 133);
    CHECK(r.spent_epsilon <= 1.0);
    CHECK(r.spent_epsilon == Approx(0.9975));
    CHECK(n.metrics.get_counter("errors_total", "", {{"reason", "privacy_budget_exhausted"}})
            .value() == 67);
  }
  // A new accountant over the same store: the ledger is there, the budget still spent.
  node again{st, pure_limits()};
  auto r = again.report("alice");
  CHECK(r.releases == 133);
  CHECK(again.spend_concurrently("alice", 5, 0.0075) == 0);
}

TEST_CASE("budgets are separate: users from each other and from the global one") {
  aia::test::temp_dir dir{"aia-accountant-test-"};
  std::shared_ptr<runtime::store> st =
    runtime::open_sqlite_store((dir / "t.db").string(), runtime::sqlite_sync::normal);
  node n{st, pure_limits()};
  CHECK(n.spend_concurrently("bob", 3, 0.5) == 2);
  CHECK(n.spend_concurrently("carol", 1, 0.5) == 1);
  CHECK(n.spend_concurrently(std::string{actors::global_budget}, 5, 0.5) == 4);
  CHECK(n.report(std::string{actors::global_budget}).limit_epsilon == 2.0);
  CHECK(n.metrics.get_gauge("privacy_budget_consumption_rate", "").value() == Approx(1.0));
  auto fresh = n.report("dave");
  CHECK(fresh.releases == 0);
  CHECK(fresh.spent_epsilon == 0);
  CHECK(fresh.method == "none");
}
