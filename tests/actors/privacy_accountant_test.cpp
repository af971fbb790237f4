// The privacy accountant: 200 concurrent spends against one budget never overspend it, a grant
// is durable before it is answered (a new accountant on the same store sees every grant),
// budgets are separate, forgotten budgets are read again from the store, and the utilisation
// gauges. Real actors, real store writer and SQLite store.
#include "actors/privacy_accountant.hpp"

#include "actors/messages/privacy.hpp"
#include "actors/messages/store.hpp"
#include "actors/store_writer.hpp"
#include "runtime/metrics.hpp"
#include "tests/support/temp_dir.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

using namespace aia;
using namespace std::chrono_literals;

namespace {

actors::accountant_options pure_limits() {
  actors::accountant_options o;
  o.user = {1.0, 0, 0};     // ε 1, pure: the plain sum is the bound
  o.global = {2.0, 0, 0};
  return o;
}

using open_atom = caf::atom_constant<caf::atom("open")>;
using loads_atom = caf::atom_constant<caf::atom("loads")>;

struct gate_state {
  bool open = true;
  int loads = 0;
  std::vector<std::pair<runtime::user_record, caf::response_promise>> held;
};

/// Forwards to the store writer, but while closed holds every record write (a write in flight
/// for as long as the test wants); counts the loads.
caf::behavior gated_store(caf::stateful_actor<gate_state>* self, caf::actor writer) {
  auto forward = [self, writer](runtime::user_record rec, caf::response_promise rp) {
    self->request(writer, caf::infinite, actors::put_record_atom::value, std::move(rec))
      .then([rp](bool ok) mutable { rp.deliver(ok); },
            [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  };
  return {
    [self, forward](actors::put_record_atom, runtime::user_record& rec) {
      auto rp = self->make_response_promise();
      if (self->state.open) {
        forward(std::move(rec), rp);
      } else {
        self->state.held.emplace_back(std::move(rec), rp);
      }
      return rp;
    },
    [self, writer](actors::load_atom, std::string& user) {
      ++self->state.loads;
      return self->delegate(writer, actors::load_atom::value, std::move(user));
    },
    [self, forward](open_atom, bool open) {
      self->state.open = open;
      if (open) {
        for (auto& [rec, rp] : self->state.held) {
          forward(std::move(rec), rp);
        }
        self->state.held.clear();
      }
    },
    [self](loads_atom) { return self->state.loads; },
  };
}

/// An actor system with a store writer and an accountant over one SQLite file.
struct node {
  runtime::metrics_registry metrics;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor writer;
  caf::actor accountant;

  caf::actor gate;  ///< between the accountant and the writer

  node(const std::shared_ptr<runtime::store>& st, actors::accountant_options opt) {
    cfg.set("scheduler.max-threads", 2);
    cfg.set("logger.verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
    writer = actors::spawn_store_writer(*sys, st, {}, metrics);
    gate = sys->spawn(gated_store, writer);
    accountant = actors::spawn_privacy_accountant(*sys, gate, opt, metrics);
  }

  ~node() {
    caf::anon_send_exit(accountant, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    accountant = nullptr;
    gate = nullptr;
    writer = nullptr;
    sys.reset();
  }

  /// Holds (false) or lets through (true) the record writes to the store.
  void open_gate(bool open) { caf::anon_send(gate, open_atom::value, open); }

  int loads() {
    caf::scoped_actor self{*sys};
    int out = -1;
    self->request(gate, 10s, loads_atom::value)
      .receive([&](int n) { out = n; }, [](caf::error& err) { FAIL(caf::to_string(err)); });
    return out;
  }

  /// Erases the user's records in the store itself (as the GDPR erasure does).
  void erase_in_store(const std::string& user) {
    caf::scoped_actor self{*sys};
    self->request(writer, 10s, actors::erase_atom::value, user)
      .receive([](const runtime::erase_counts&) {},
               [](caf::error& err) { FAIL(caf::to_string(err)); });
  }

  bool forget(const std::string& budget) {
    caf::scoped_actor self{*sys};
    bool out = false;
    self->request(accountant, 10s, actors::forget_atom::value, budget)
      .receive([&](bool ok) { out = ok; }, [](caf::error& err) { FAIL(caf::to_string(err)); });
    return out;
  }

  bool forget_all() {
    caf::scoped_actor self{*sys};
    bool out = false;
    self->request(accountant, 10s, actors::forget_atom::value)
      .receive([&](bool ok) { out = ok; }, [](caf::error& err) { FAIL(caf::to_string(err)); });
    return out;
  }

  actors::budget_report spend(const std::string& budget, double epsilon) {
    caf::scoped_actor self{*sys};
    actors::budget_report out;
    actors::spend_request r{budget, "test.release", "analytics", 0, epsilon, 0, 0, 0};
    self->request(accountant, 10s, actors::spend_atom::value, r)
      .receive([&](const actors::budget_report& rep) { out = rep; },
               [](caf::error& err) { FAIL(caf::to_string(err)); });
    return out;
  }

  double gauge(const std::string& name, const runtime::labels& l = {}) {
    return metrics.get_gauge(name, "", l).value();
  }

  actors::budget_report report(const std::string& budget) {
    caf::scoped_actor self{*sys};
    actors::budget_report out;
    self->request(accountant, 10s, actors::budget_atom::value, budget)
      .receive([&](const actors::budget_report& r) { out = r; },
               [](caf::error& err) { FAIL(caf::to_string(err)); });
    return out;
  }

  /// Sends `n` spends of `epsilon` to `budget` all at once, every `forget_every`-th (0 = none)
  /// from a requester that sends a forget-all first; how many were granted. Every spend must be
  /// answered, and none with an error.
  int spend_concurrently(const std::string& budget, int n, double epsilon, int forget_every = 0) {
    std::atomic<int> granted{0};
    std::atomic<int> answered{0};
    std::atomic<int> failed{0};
    for (int i = 0; i < n; ++i) {
      actors::spend_request r{budget, "test.release", "analytics", 0, epsilon, 0, 0, 0};
      bool forget = forget_every > 0 && i % forget_every == 0;
      auto requester = [&granted, &answered, &failed, r, forget](caf::event_based_actor* self,
                                                                 caf::actor to) {
        if (forget) {
          caf::anon_send(to, actors::forget_atom::value);  // its answer is not wanted
        }
        self->request(to, 30s, actors::spend_atom::value, r)
          .then(
            [&](const actors::budget_report& rep) {
              granted += rep.granted ? 1 : 0;
              ++answered;
            },
            [&](caf::error&) {
              ++failed;
              ++answered;
            });
      };
      sys->spawn(requester, accountant);
    }
    for (int i = 0; i < 3000 && answered.load() < n; ++i) {
      std::this_thread::sleep_for(10ms);
    }
    REQUIRE(answered.load() == n);
    CHECK(failed.load() == 0);
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

TEST_CASE("a forgotten budget is read again from the store: after erasure it is fresh") {
  aia::test::temp_dir dir{"aia-accountant-test-"};
  std::shared_ptr<runtime::store> st =
    runtime::open_sqlite_store((dir / "t.db").string(), runtime::sqlite_sync::normal);
  node n{st, pure_limits()};
  CHECK(n.spend("erin", 0.5).granted);
  CHECK(n.spend("erin", 0.5).granted);
  CHECK_FALSE(n.spend("erin", 0.5).granted);
  n.erase_in_store("erin");
  // Still cached: the erased ledger goes on counting until the budget is forgotten.
  CHECK_FALSE(n.spend("erin", 0.5).granted);
  CHECK(n.forget("erin"));
  CHECK(n.report("erin").releases == 0);
  auto r = n.spend("erin", 0.5);
  CHECK(r.granted);
  CHECK(r.releases == 1);
  CHECK(r.spent_epsilon == Approx(0.5));
  CHECK(n.forget("nobody"));  // nothing cached: forgotten at once
  // The fresh ledger is what the store holds (written as version 1 after the erasure).
  node again{st, pure_limits()};
  CHECK(again.report("erin").releases == 1);
}

TEST_CASE("forgetting a budget with a write in flight waits for it, then reloads") {
  aia::test::temp_dir dir{"aia-accountant-test-"};
  std::shared_ptr<runtime::store> st =
    runtime::open_sqlite_store((dir / "t.db").string(), runtime::sqlite_sync::normal);
  node n{st, pure_limits()};
  CHECK(n.spend("frank", 0.1).granted);
  REQUIRE(n.loads() == 1);
  n.open_gate(false);
  caf::scoped_actor self{*n.sys};
  auto spend = [&](double epsilon) {
    actors::spend_request r{"frank", "test.release", "analytics", 0, epsilon, 0, 0, 0};
    self->send(n.accountant, actors::spend_atom::value, r);
  };
  // Mailbox order: a spend (its write held), the forget, then two spends that must wait for
  // the reload; 0.5 + 0.4 would overspend 1.0 after the 0.1 and the 0.5 in flight.
  spend(0.5);
  self->send(n.accountant, actors::forget_atom::value, std::string{"frank"});
  spend(0.3);
  spend(0.4);
  bool quiet = true;
  self->receive([&](const actors::budget_report&) { quiet = false; },
                [&](bool) { quiet = false; }, caf::after(200ms) >> [] {});
  CHECK(quiet);  // nothing answered while the write is held
  CHECK(n.loads() == 1);
  n.open_gate(true);
  std::vector<actors::budget_report> reports;
  std::optional<bool> forgotten;
  for (int i = 0; i < 4; ++i) {
    self->receive([&](const actors::budget_report& r) { reports.push_back(r); },
                  [&](bool ok) { forgotten = ok; },
                  caf::after(10s) >> [] { FAIL("no answer"); });
  }
  REQUIRE(forgotten.has_value());
  CHECK(*forgotten);
  // The 0.5 in flight and the 0.3 are granted (0.9 after the reload); the 0.4 is refused at
  // once, so it may overtake the 0.3's grant.
  REQUIRE(reports.size() == 3);
  CHECK(reports[0].granted);
  CHECK(reports[0].spent_epsilon == Approx(0.6));
  auto refused = std::find_if(reports.begin(), reports.end(),
                              [](const actors::budget_report& r) { return !r.granted; });
  REQUIRE(refused != reports.end());
  CHECK(refused->spent_epsilon == Approx(0.9));
  CHECK(std::count_if(reports.begin(), reports.end(),
                      [](const actors::budget_report& r) { return r.granted; })
        == 2);
  CHECK(n.loads() == 2);  // the slot was dropped once the write was done, and read again
  node again{st, pure_limits()};
  CHECK(again.report("frank").releases == 3);
  CHECK(again.report("frank").spent_epsilon == Approx(0.9));
}

TEST_CASE("forget-all during 200 concurrent spends keeps the budget exact") {
  aia::test::temp_dir dir{"aia-accountant-test-"};
  std::shared_ptr<runtime::store> st =
    runtime::open_sqlite_store((dir / "t.db").string(), runtime::sqlite_sync::normal);
  node n{st, pure_limits()};
  CHECK(n.spend("gina", 0.0075).granted);  // cached before the forgets come
  CHECK(n.spend_concurrently("gina", 199, 0.0075, 4) == 132);
  CHECK(n.loads() > 1);  // dropped and read again on the way
  CHECK(n.forget_all());
  auto r = n.report("gina");
  CHECK(r.releases == 133);
  CHECK(r.spent_epsilon == Approx(0.9975));
  CHECK(n.spend_concurrently("gina", 20, 0.0075, 2) == 0);
  node again{st, pure_limits()};
  CHECK(again.report("gina").releases == 133);
}

TEST_CASE("the utilization gauges show the global budget and the cached user budgets") {
  aia::test::temp_dir dir{"aia-accountant-test-"};
  std::shared_ptr<runtime::store> st =
    runtime::open_sqlite_store((dir / "t.db").string(), runtime::sqlite_sync::normal);
  auto opt = pure_limits();
  opt.level = "HIGH";
  node n{st, opt};
  auto util = [&n](const char* scope) {
    return n.gauge("privacy_budget_utilization", {{"scope", scope}, {"level", "HIGH"}});
  };
  CHECK(util("global") == 0);
  CHECK(util("user_max") == 0);
  CHECK(n.spend(std::string{actors::global_budget}, 0.5).granted);
  CHECK(util("global") == Approx(0.25));
  CHECK(n.gauge("privacy_budget_consumption_rate") == Approx(0.25));
  CHECK(n.spend("hank", 0.5).granted);
  CHECK(n.spend("ida", 0.25).granted);
  CHECK(n.spend("ida", 0.75).granted);
  CHECK_FALSE(n.spend("hank", 0.6).granted);
  CHECK(util("user_mean") == Approx(0.75));
  CHECK(util("user_max") == Approx(1.0));
  CHECK(n.metrics.get_counter("privacy_spends_refused_total", "").value() == 1);
  CHECK(n.forget("ida"));
  CHECK(util("user_mean") == Approx(0.5));
  CHECK(util("user_max") == Approx(0.5));
  CHECK(n.forget_all());
  CHECK(util("user_mean") == 0);
  CHECK(util("user_max") == 0);
  CHECK(util("global") == Approx(0.25));  // forgetting changes no budget
  CHECK_FALSE(n.spend("ida", 0.1).granted);  // read again: the ledger is still spent
  CHECK(util("user_max") == Approx(1.0));
}
