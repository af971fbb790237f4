// Tests of the session actors through their supervisor: durable acks, idempotency, crash restart,
// passivation, the queue bound and pushes to subscribers. Real actors, real SQLite store.
#include "actors/session_supervisor.hpp"

#include "actors/analyzer.hpp"
#include "actors/messages/session.hpp"
#include "actors/messages/store.hpp"
#include "actors/store_writer.hpp"
#include "model/state_model.hpp"
#include "runtime/metrics.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>
#include <thread>

using namespace aia;
using namespace std::chrono_literals;

namespace {

std::filesystem::path fresh_dir() {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path()
             / ("aia-actors-test-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

caf::actor_system_config small_config() {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  cfg.set("logger.verbosity", caf::atom("quiet"));
  return cfg;
}

model::interaction click(const std::string& user, int i, const std::string& client = "",
                         std::uint64_t seq = 0) {
  model::interaction x;
  x.timestamp = 1700000000.0 + i;
  x.user_id = user;
  x.type = i % 4 == 0 ? model::interaction_type::hover : model::interaction_type::click;
  x.response_time = 0.5 + 0.1 * i;
  x.dwell_time = 1.0 + 0.05 * i;
  x.tab_active = 1;
  x.client_id = client;
  x.seq = seq;
  return x;
}

actors::interaction_batch batch_of(const std::string& user, int from, int n) {
  actors::interaction_batch b;
  b.user_id = user;
  for (int i = from; i < from + n; ++i) {
    b.interactions.push_back(click(user, i));
  }
  return b;
}

/// Removes a directory when it goes out of scope.
struct dir_guard {
  std::filesystem::path path = fresh_dir();
  ~dir_guard() { std::filesystem::remove_all(path); }
};

/// A supervisor over a real store writer and analyzer, torn down in order.
struct fixture {
  dir_guard tmp;  // first member: removed last, after every actor has stopped
  std::filesystem::path dir = tmp.path;
  runtime::metrics_registry metrics;
  caf::actor_system_config cfg = small_config();
  caf::actor_system sys{cfg};
  std::shared_ptr<actors::admission_queue> queue;
  caf::actor writer;
  caf::actor analyzer;
  caf::actor sup;
  caf::scoped_actor self{sys};

  explicit fixture(std::int64_t queue_capacity = 500,
                   std::chrono::milliseconds idle_timeout = 300s) {
    queue = std::make_shared<actors::admission_queue>(queue_capacity);
    std::shared_ptr<runtime::store> st = runtime::open_sqlite_store(
      (dir / "t.db").string(), runtime::sqlite_sync::normal);
    writer = actors::spawn_store_writer(sys, st, {}, metrics);
    std::shared_ptr<const model::state_model> m = model::make_baseline_model();
    analyzer = actors::spawn_analyzer(sys, m, {}, metrics);
    actors::session_options opt;
    opt.idle_timeout = idle_timeout;
    actors::session_deps deps{writer, {analyzer}, queue, m,
                              std::make_shared<actors::session_metrics>(
                                actors::session_metrics::make(metrics)),
                              opt, nullptr};  // the default learning engine
    sup = actors::spawn_session_supervisor(sys, deps, {}, metrics);
  }

  ~fixture() {
    self->request(sup, 10s, actors::drain_atom::value).receive([](bool) {}, [](caf::error&) {});
    self->send_exit(sup, caf::exit_reason::user_shutdown);
    self->send_exit(analyzer, caf::exit_reason::user_shutdown);
    self->send_exit(writer, caf::exit_reason::user_shutdown);
  }

  caf::expected<actors::batch_result> submit(actors::interaction_batch b) {
    caf::expected<actors::batch_result> out{caf::sec::request_timeout};
    self->request(sup, 10s, actors::submit_atom::value, std::move(b))
      .receive([&](actors::batch_result& r) { out = std::move(r); },
               [&](caf::error& e) { out = std::move(e); });
    return out;
  }

  caf::expected<model::user_profile> profile(const std::string& user) {
    caf::expected<model::user_profile> out{caf::sec::request_timeout};
    self->request(sup, 10s, actors::profile_atom::value, user)
      .receive([&](model::user_profile& p) { out = std::move(p); },
               [&](caf::error& e) { out = std::move(e); });
    return out;
  }

  actors::supervisor_stats stats() {
    actors::supervisor_stats out;
    self->request(sup, 10s, actors::stats_atom::value)
      .receive([&](actors::supervisor_stats& s) { out = s; }, [](caf::error&) {});
    return out;
  }

  /// Polls the supervisor until `pred` holds or 10 s pass.
  template <class Pred>
  bool eventually(Pred pred) {
    for (int i = 0; i < 200; ++i) {
      if (pred(stats())) {
        return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
};

bool is_session_error(const caf::error& e, actors::session_errc code) {
  return e.category() == actors::session_category && e.code() == static_cast<std::uint8_t>(code);
}

} // namespace

TEST_CASE("a submitted batch is stored, analysed and answered with the user's state") {
  fixture f;
  auto r = f.submit(batch_of("alice", 0, 3));
  REQUIRE(r);
  CHECK(r->ack.accepted == 3);
  CHECK(r->ack.duplicates == 0);
  CHECK(r->ack.last_event_seq == 3);
  CHECK(r->state.interaction_count == 3);
  CHECK(r->state.model_version == "baseline-1.0.0");
  auto p = f.profile("alice");
  REQUIRE(p);
  CHECK(p->interaction_count == 3);
  CHECK(p->counts_by_type[static_cast<int>(model::interaction_type::hover)] == 1);
  CHECK(p->first_seen == 1700000000.0);
  CHECK(p->last_seen == 1700000002.0);
}

TEST_CASE("a user never seen has no profile") {
  fixture f;
  auto p = f.profile("nobody");
  REQUIRE_FALSE(p);
  CHECK(is_session_error(p.error(), actors::session_errc::not_found));
}

TEST_CASE("a repeated client id and seq is acknowledged again but applied once") {
  fixture f;
  SECTION("per interaction") {
    actors::interaction_batch b;
    b.user_id = "bob";
    b.interactions = {click("bob", 0, "c1", 1), click("bob", 1, "c1", 2)};
    REQUIRE(f.submit(b));
    b.interactions.push_back(click("bob", 2, "c1", 3));
    auto again = f.submit(b);
    REQUIRE(again);
    CHECK(again->ack.accepted == 3);
    CHECK(again->ack.duplicates == 2);
    CHECK(again->state.interaction_count == 3);
  }
  SECTION("per batch") {
    auto b = batch_of("bob", 0, 4);
    b.client_id = "tab-1";
    b.seq = 7;
    REQUIRE(f.submit(b));
    auto again = f.submit(b);
    REQUIRE(again);
    CHECK(again->ack.seq == 7);
    CHECK(again->ack.duplicates == 4);
    CHECK(f.profile("bob")->interaction_count == 4);
  }
}

TEST_CASE("a crashed session comes back from the store with the same state") {
  fixture f;
  REQUIRE(f.submit(batch_of("carol", 0, 20)));
  auto before = f.profile("carol");
  REQUIRE(before);
  f.self->send(f.sup, actors::crash_atom::value, std::string{"carol"});
  REQUIRE(f.eventually([](const actors::supervisor_stats& s) { return s.active_sessions == 0; }));
  auto after = f.profile("carol");
  REQUIRE(after);
  CHECK(f.stats().spawned == 2);
  CHECK(after->interaction_count == 20);
  CHECK(after->state.focus_level == before->state.focus_level);
  CHECK(after->state.cognitive_load == before->state.cognitive_load);
  CHECK(after->state.fatigue_level == before->state.fatigue_level);
  // And it goes on counting from there, idempotency table included.
  auto more = f.submit(batch_of("carol", 20, 5));
  REQUIRE(more);
  CHECK(more->ack.last_event_seq == 25);
}

TEST_CASE("an idle session is passivated with a snapshot and rehydrated on next use") {
  fixture f{500, 200ms};
  REQUIRE(f.submit(batch_of("dave", 0, 6)));
  REQUIRE(f.eventually([](const actors::supervisor_stats& s) {
    return s.passivated >= 1 && s.active_sessions == 0;
  }));
  caf::expected<actors::loaded_history> h{caf::sec::request_timeout};
  f.self->request(f.writer, 5s, actors::load_atom::value, std::string{"dave"})
    .receive([&](actors::loaded_history& x) { h = std::move(x); },
             [&](caf::error& e) { h = std::move(e); });
  REQUIRE(h);
  CHECK(h->has_snapshot);
  CHECK(h->snapshot.seq == 6);
  CHECK(h->events.empty());
  auto p = f.profile("dave");
  REQUIRE(p);
  CHECK(p->interaction_count == 6);
}

TEST_CASE("past max_queue_size a batch is refused as overloaded and nothing is stored") {
  fixture f{2};
  auto r = f.submit(batch_of("erin", 0, 3));
  REQUIRE_FALSE(r);
  CHECK(is_session_error(r.error(), actors::session_errc::overloaded));
  CHECK_FALSE(f.profile("erin"));
  REQUIRE(f.submit(batch_of("erin", 0, 2)));
  CHECK(f.profile("erin")->interaction_count == 2);
}

TEST_CASE("a subscriber gets an update after each batch and the sender its ack") {
  fixture f;
  caf::scoped_actor conn{f.sys};
  f.self->send(f.sup, actors::subscribe_atom::value, std::string{"frank"},
               caf::actor_cast<caf::actor>(conn));
  auto b = batch_of("frank", 0, 2);
  b.wants_ack = true;
  b.client_id = "tab";
  b.seq = 1;
  conn->send(f.sup, actors::submit_atom::value, b);
  bool acked = false;
  bool updated = false;
  for (int i = 0; i < 3 && !(acked && updated); ++i) {
    conn->receive(
      [&](actors::ack_atom, const actors::batch_ack& a) {
        acked = true;
        CHECK(a.seq == 1);
        CHECK(a.accepted == 2);
      },
      [&](actors::update_atom, const actors::session_update& up) {
        updated = true;
        CHECK(up.state.interaction_count == 2);
      },
      [](const actors::batch_result&) {}, caf::after(5s) >> [] {});
  }
  CHECK(acked);
  CHECK(updated);
}

TEST_CASE("a drained supervisor has snapshotted every session and refuses new work") {
  fixture f;
  REQUIRE(f.submit(batch_of("gina", 0, 4)));
  REQUIRE(f.submit(batch_of("hank", 0, 3)));
  bool drained = false;
  f.self->request(f.sup, 10s, actors::drain_atom::value).receive([&](bool) { drained = true; },
                                                                 [](caf::error&) {});
  REQUIRE(drained);
  CHECK(f.stats().active_sessions == 0);
  auto r = f.submit(batch_of("gina", 4, 1));
  REQUIRE_FALSE(r);
  CHECK(is_session_error(r.error(), actors::session_errc::shutting_down));
}
