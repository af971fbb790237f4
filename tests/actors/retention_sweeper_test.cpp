// Tests of the retention sweeper: it removes exactly the covered events past the retention, in
// batches, moves its metrics, survives a failing store and tries again at the next tick. Real
// actors, a real SQLite store behind the real store writer, an injected clock.
#include "actors/retention_sweeper.hpp"

#include "actors/messages/session.hpp"
#include "actors/messages/store.hpp"
#include "actors/store_writer.hpp"
#include "runtime/metrics.hpp"
#include "tests/support/temp_dir.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <variant>

using namespace aia;
using namespace std::chrono_literals;

namespace {

constexpr double day = 86400.0;
constexpr double t0 = 1.7e9;  ///< the injected clock's start

struct fixture {
  test::temp_dir dir{"aia-sweeper-test-"};
  runtime::metrics_registry metrics;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor writer;
  caf::actor sweeper;
  std::shared_ptr<std::atomic<double>> now = std::make_shared<std::atomic<double>>(t0);
  std::vector<actors::sweep_report> swept;  ///< on_swept's reports (read after the sweep reply)

  fixture() {
    cfg.set("scheduler.max-threads", 2);
    cfg.set("logger.verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
    std::shared_ptr<runtime::store> st =
      runtime::open_sqlite_store((dir / "t.db").string(), runtime::sqlite_sync::normal);
    writer = actors::spawn_store_writer(*sys, st, {}, metrics);
  }

  ~fixture() {
    if (sweeper) {
      caf::anon_send_exit(sweeper, caf::exit_reason::user_shutdown);
    }
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    sweeper = nullptr;
    writer = nullptr;
    sys.reset();  // waits for both
  }

  /// Options with the fixture's clock and hook, and no tick within a test's time.
  actors::retention_options options() {
    actors::retention_options opt;
    opt.interval = std::chrono::hours{1};
    opt.clock = [now = now] { return now->load(); };
    opt.on_swept = [this](const actors::sweep_report& r) { swept.push_back(r); };
    return opt;
  }

  void spawn(actors::retention_options opt, caf::actor store) {
    sweeper = actors::spawn_retention_sweeper(*sys, std::move(store), std::move(opt), metrics);
  }

  /// Writes `events` and `snapshots` through the writer; true once durable.
  bool write(std::vector<runtime::stored_event> events,
             std::vector<runtime::snapshot_record> snapshots = {}) {
    caf::scoped_actor self{*sys};
    bool ok = false;
    self->request(writer, 10s, actors::write_atom::value, std::move(events), std::move(snapshots))
      .receive([&](bool durable) { ok = durable; }, [](caf::error&) {});
    return ok;
  }

  /// Asks for one sweep and waits for it; its report, or the error it failed with.
  std::variant<actors::sweep_report, caf::error> try_sweep() {
    caf::scoped_actor self{*sys};
    std::variant<actors::sweep_report, caf::error> out;
    self->request(sweeper, 10s, actors::sweep_atom::value)
      .receive([&](actors::sweep_report& r) { out = r; }, [&](caf::error& err) { out = err; });
    return out;
  }

  /// One sweep that must succeed.
  actors::sweep_report sweep() {
    auto r = try_sweep();
    if (auto* err = std::get_if<caf::error>(&r)) {
      FAIL(sys->render(*err));
    }
    return std::get<actors::sweep_report>(r);
  }

  actors::loaded_history load(const std::string& user) {
    caf::scoped_actor self{*sys};
    actors::loaded_history out;
    self->request(writer, 10s, actors::load_atom::value, user)
      .receive([&](actors::loaded_history& h) { out = std::move(h); }, [](caf::error&) {});
    return out;
  }

  /// The scan's view of `user`: every event still held, covered or not.
  actors::scanned_user held(const std::string& user) {
    caf::scoped_actor self{*sys};
    actors::scanned_user out;
    self->request(writer, 10s, actors::scan_atom::value, std::string{}, std::uint64_t{100})
      .receive(
        [&](actors::user_page_msg& page) {
          for (auto& u : page.users) {
            if (u.user_id == user) {
              out = std::move(u);
            }
          }
        },
        [](caf::error&) {});
    return out;
  }

  std::uint64_t counter(const char* name) { return metrics.get_counter(name, "").value(); }
  double gauge(const char* name) { return metrics.get_gauge(name, "").value(); }
};

runtime::stored_event event_at(const std::string& user, std::uint64_t seq, double stored_at) {
  return runtime::stored_event{user, seq, "c", seq, stored_at, stored_at, {1, 2, 3}};
}

/// A stand-in store writer whose expire calls fail `failures` times, then remove nothing; counts
/// the calls.
caf::behavior flaky_writer(caf::event_based_actor*, std::shared_ptr<std::atomic<int>> calls,
                           int failures) {
  return {
    [calls, failures](actors::expire_atom, double, std::uint64_t) -> caf::result<std::uint64_t> {
      if (calls->fetch_add(1) < failures) {
        return actors::make_error(actors::session_errc::store_failed);
      }
      return std::uint64_t{0};
    },
  };
}

} // namespace

TEST_CASE("a sweep removes exactly the covered events older than the retention") {
  fixture f;
  // u1: seq 1..4 stored 30, 20, 10 and 1 days before t0, a snapshot covering 1..3; seq 5 stored
  // 40 days before, after the snapshot (uncovered). u2: old, no snapshot at all.
  REQUIRE(f.write({event_at("u1", 1, t0 - 30 * day), event_at("u1", 2, t0 - 20 * day),
                   event_at("u1", 3, t0 - 10 * day), event_at("u1", 4, t0 - 1 * day),
                   event_at("u1", 5, t0 - 40 * day), event_at("u2", 1, t0 - 30 * day),
                   event_at("u2", 2, t0 - 30 * day)},
                  {runtime::snapshot_record{"u1", 3, {3}, t0}}));
  f.spawn(f.options(), f.writer);

  // At t0 nothing is 90 days old. (The sweep at start ran or runs first; this one after it.)
  auto first = f.sweep();
  CHECK(first.removed == 0);
  CHECK(first.cutoff == t0 - 90 * day);
  CHECK(first.finished_at == t0);
  CHECK(f.gauge("retention_last_sweep_timestamp_seconds") == t0);
  CHECK(f.gauge("retention_cutoff_timestamp_seconds") == t0 - 90 * day);
  CHECK(f.swept.empty());  // nothing removed: no hook

  // 75 days on, the cutoff is 15 days before t0: u1 1 and 2 go; u1 5 and u2 are as old or older
  // but uncovered; u1 3 is younger.
  f.now->store(t0 + 75 * day);
  auto second = f.sweep();
  CHECK(second.removed == 2);
  CHECK(second.cutoff == t0 - 15 * day);
  CHECK(second.finished_at == t0 + 75 * day);
  CHECK(f.counter("retention_events_expired_total") == 2);
  CHECK(f.gauge("retention_last_sweep_timestamp_seconds") == t0 + 75 * day);
  CHECK(f.gauge("retention_cutoff_timestamp_seconds") == t0 - 15 * day);
  REQUIRE(f.swept.size() == 1);
  CHECK(f.swept[0].removed == 2);

  auto u1 = f.held("u1");
  CHECK(u1.events == 3);  // 3, 4, 5
  CHECK(u1.oldest_event_at == t0 - 40 * day);
  auto h1 = f.load("u1");
  CHECK(h1.has_snapshot);
  REQUIRE(h1.events.size() == 2);  // the uncovered ones after the snapshot stay
  CHECK(h1.events[0].seq == 4);
  CHECK(h1.events[1].seq == 5);
  CHECK(f.load("u2").events.size() == 2);
  CHECK(f.counter("retention_sweep_failures_total") == 0);

  // Sweeping again at the same time removes nothing more.
  CHECK(f.sweep().removed == 0);
  CHECK(f.swept.size() == 1);
}

TEST_CASE("a sweep calls expire again while a call removes a full batch") {
  fixture f;
  std::vector<runtime::stored_event> old;
  for (std::uint64_t seq = 1; seq <= 5; ++seq) {
    old.push_back(event_at("u1", seq, t0 - 100 * day + static_cast<double>(seq)));
  }
  old.push_back(event_at("u1", 6, t0));
  REQUIRE(f.write(old, {runtime::snapshot_record{"u1", 6, {6}, t0}}));
  auto opt = f.options();
  opt.batch = 2;
  opt.retention_seconds = 200 * day;  // nothing is old at start
  f.spawn(opt, f.writer);
  CHECK(f.sweep().removed == 0);

  f.now->store(t0 + 150 * day);  // cutoff 50 days before t0: the five old ones
  auto r = f.sweep();
  CHECK(r.removed == 5);  // calls of 2, 2, 1
  CHECK(f.counter("retention_events_expired_total") == 5);
  auto u1 = f.held("u1");
  CHECK(u1.events == 1);
  CHECK(u1.oldest_event_at == t0);
}

TEST_CASE("a failed sweep is counted and answered with its error, and the actor goes on") {
  fixture f;
  auto calls = std::make_shared<std::atomic<int>>(0);
  SECTION("asked for: the error comes back, each time") {
    auto store = f.sys->spawn(flaky_writer, calls, 1000);  // every call fails
    f.spawn(f.options(), store);
    for (int i = 0; i < 2; ++i) {
      auto r = f.try_sweep();
      REQUIRE(std::holds_alternative<caf::error>(r));
      CHECK(std::get<caf::error>(r) == actors::make_error(actors::session_errc::store_failed));
    }
    CHECK(f.counter("retention_sweep_failures_total") >= 2);  // and the sweep at start
    CHECK(f.gauge("retention_last_sweep_timestamp_seconds") == 0);
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  }
  SECTION("on its own: the next tick tries again") {
    auto store = f.sys->spawn(flaky_writer, calls, 2);  // the sweep at start and the next fail
    auto opt = f.options();
    opt.interval = 50ms;
    f.spawn(opt, store);
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (f.gauge("retention_last_sweep_timestamp_seconds") == 0
           && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    CHECK(f.gauge("retention_last_sweep_timestamp_seconds") == t0);
    CHECK(f.counter("retention_sweep_failures_total") == 2);
    CHECK(calls->load() >= 3);
    CHECK(f.sweep().removed == 0);
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  }
}

TEST_CASE("with a retention of 0 the sweeper never calls the store") {
  fixture f;
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto store = f.sys->spawn(flaky_writer, calls, 0);
  auto opt = f.options();
  opt.retention_seconds = 0;
  opt.interval = 10ms;
  f.spawn(opt, store);
  auto r = f.sweep();
  CHECK(r.removed == 0);
  std::this_thread::sleep_for(100ms);
  CHECK(calls->load() == 0);
  CHECK(f.counter("retention_events_expired_total") == 0);
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
}
