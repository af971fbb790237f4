// The audit recorder: concurrent requests all durable and chained without gaps, users written
// only as their keyed pseudonym, fire-and-forget sends that never harm the sender, a loose key
// refused at spawn, tampering found by verify, and the metrics. Real actor, real files.
#include "actors/audit_recorder.hpp"

#include "actors/messages/audit.hpp"
#include "actors/messages/session.hpp"
#include "privacy/audit_log.hpp"
#include "runtime/metrics.hpp"
#include "tests/support/temp_dir.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>
#include <variant>

#include <sys/stat.h>

using namespace aia;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;
using privacy::audit_kind;

std::uint8_t kind(audit_kind k) {
  return static_cast<std::uint8_t>(k);
}

std::string file_bytes(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

/// An actor system with an audit recorder over a log in a temporary directory.
struct node {
  test::temp_dir dir{"aia-audit-recorder-"};
  actors::audit_options opt{dir / "audit.log", dir / "audit.key"};
  runtime::metrics_registry metrics;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor recorder;

  node() {
    cfg.set("scheduler.max-threads", 2);
    cfg.set("logger.verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
    recorder = actors::spawn_audit_recorder(*sys, opt, metrics);
  }

  ~node() { stop(); }

  /// Stops the recorder and waits for it, which closes the log.
  void stop() {
    if (sys) {
      caf::anon_send_exit(recorder, caf::exit_reason::user_shutdown);
      recorder = nullptr;
      sys.reset();
    }
  }

  /// The seq of a requested entry, or the error's text.
  std::variant<std::uint64_t, caf::error> record(actors::audit_request r) {
    caf::scoped_actor self{*sys};
    std::variant<std::uint64_t, caf::error> out = caf::error{};
    self->request(recorder, 10s, actors::audit_atom::value, std::move(r))
      .receive([&](std::uint64_t seq) { out = seq; }, [&](caf::error& err) { out = err; });
    return out;
  }

  std::string subject_of(const std::string& user) {
    caf::scoped_actor self{*sys};
    std::string out;
    self->request(recorder, 10s, actors::audit_subject_atom::value, user)
      .receive([&](const std::string& s) { out = s; },
               [](caf::error& err) { FAIL(caf::to_string(err)); });
    return out;
  }

  std::uint64_t entries(audit_kind k) {
    return metrics
      .get_counter("audit_entries_total", "", {{"kind", std::string{privacy::to_string(k)}}})
      .value();
  }

  std::uint64_t failures(const std::string& reason) {
    return metrics.get_counter("audit_failures_total", "", {{"reason", reason}}).value();
  }
};

} // namespace

TEST_CASE("concurrent requests are all durable and chained without gaps") {
  node n;
  constexpr int threads = 4;
  constexpr int per_thread = 25;
  std::vector<std::vector<std::uint64_t>> seqs(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&n, &seqs, t] {
      caf::scoped_actor self{*n.sys};
      for (int i = 0; i < per_thread; ++i) {
        actors::audit_request r{kind(audit_kind::budget_spend), "system",
                                "user-" + std::to_string(t),
                                R"({"epsilon":0.1,"release":)" + std::to_string(i) + "}"};
        self->request(n.recorder, 10s, actors::audit_atom::value, std::move(r))
          .receive([&](std::uint64_t seq) { seqs[t].push_back(seq); },
                   [](caf::error&) {});
      }
    });
  }
  for (auto& th : pool) {
    th.join();
  }
  std::set<std::uint64_t> all;
  for (const auto& s : seqs) {
    REQUIRE(s.size() == per_thread);
    CHECK(std::is_sorted(s.begin(), s.end()));  // each requester's entries in its order
    all.insert(s.begin(), s.end());
  }
  REQUIRE(all.size() == threads * per_thread);
  CHECK(*all.begin() == 1);
  CHECK(*all.rbegin() == threads * per_thread);
  CHECK(n.entries(audit_kind::budget_spend) == threads * per_thread);
  CHECK(n.failures("write") == 0);
  n.stop();
  auto v = privacy::verify_file(n.opt.log, n.opt.key_file);
  CHECK(v.ok());
  CHECK(v.entries == threads * per_thread);
  CHECK(v.anchor_seq == threads * per_thread);
}

TEST_CASE("the log holds the user's pseudonym, never the user id") {
  node n;
  const std::string user = "alice-7f3c@example.org";
  REQUIRE(std::get<std::uint64_t>(n.record({kind(audit_kind::consent_changed), user, user,
                                             R"({"analytics":true})"}))
          == 1);
  REQUIRE(std::get<std::uint64_t>(
            n.record({kind(audit_kind::erasure), "admin", user, R"({"events_erased":12})"}))
          == 2);
  REQUIRE(std::get<std::uint64_t>(n.record({kind(audit_kind::admin_action), "admin", "",
                                             R"({"action":"rotate_keys"})"}))
          == 3);
  auto subject = n.subject_of(user);
  CHECK(subject.starts_with("u_"));
  CHECK(subject == actors::audit_subject(n.opt, user));
  CHECK(n.subject_of(user) == subject);
  CHECK(n.subject_of("bob") != subject);
  CHECK(n.subject_of("").empty());
  n.stop();

  SECTION("no file beside the log carries the id") {
    for (const auto& f : fs::directory_iterator{n.dir.path()}) {
      CHECK(file_bytes(f.path()).find("alice") == std::string::npos);
    }
  }
  SECTION("the same user gets the same subject, also as actor of their own change") {
    auto entries = privacy::read_file(n.opt.log);
    REQUIRE(entries.size() == 3);
    CHECK(entries[0].subject == subject);
    CHECK(entries[0].actor == subject);
    CHECK(entries[1].subject == subject);
    CHECK(entries[1].actor == "admin");
    CHECK(entries[2].subject.empty());
    auto mine = privacy::read_file(n.opt.log, {subject, std::nullopt, 0});
    CHECK(mine.size() == 2);
  }
  SECTION("subjects stay stable across a restart") {
    CHECK(actors::audit_subject(n.opt, user) == subject);
  }
}

TEST_CASE("a refused entry is answered with invalid_entry and nothing is written") {
  node n;
  SECTION("unknown kind") {
    auto r = n.record({200, "admin", "u", ""});
    REQUIRE(std::holds_alternative<caf::error>(r));
    CHECK(std::get<caf::error>(r) == actors::make_error(actors::audit_errc::invalid_entry));
  }
  SECTION("nested or payload-like details") {
    auto r = n.record({kind(audit_kind::export_data), "admin", "u", R"({"a":{"b":1}})"});
    CHECK(std::get<caf::error>(r) == actors::make_error(actors::audit_errc::invalid_entry));
    r = n.record({kind(audit_kind::export_data), "admin", "u", R"({"raw_payload":"x"})"});
    CHECK(std::get<caf::error>(r) == actors::make_error(actors::audit_errc::invalid_entry));
  }
  SECTION("empty actor") {
    auto r = n.record({kind(audit_kind::export_data), "", "u", ""});
    CHECK(std::get<caf::error>(r) == actors::make_error(actors::audit_errc::invalid_entry));
  }
  CHECK(n.failures("invalid") >= 1);
  CHECK(n.failures("write") == 0);
  // The recorder lives on: the next good entry is seq 1.
  CHECK(std::get<std::uint64_t>(n.record({kind(audit_kind::export_data), "admin", "u", ""})) == 1);
}

TEST_CASE("fire-and-forget sends are recorded and never answered, not even a refusal") {
  node n;
  // An event-based sender with CAF's default handlers: an error reply would make it quit.
  auto sender = n.sys->spawn([&n](caf::event_based_actor* self) -> caf::behavior {
    self->send(n.recorder, actors::audit_atom::value,
               actors::audit_request{200, "system", "u", ""});  // refused
    self->send(n.recorder, actors::audit_atom::value,
               actors::audit_request{kind(audit_kind::retention_sweep), "system", "",
                                     R"({"events_expired":3})"});
    return {[](caf::get_atom) { return std::string{"alive"}; }};
  });
  caf::scoped_actor self{*n.sys};
  for (int i = 0; i < 500 && n.entries(audit_kind::retention_sweep) == 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  CHECK(n.entries(audit_kind::retention_sweep) == 1);
  CHECK(n.failures("invalid") == 1);
  std::this_thread::sleep_for(50ms);  // time for a stray reply to arrive
  std::string alive;
  self->request(sender, 5s, caf::get_atom::value)
    .receive([&](const std::string& s) { alive = s; }, [](caf::error&) {});
  CHECK(alive == "alive");
  caf::anon_send_exit(sender, caf::exit_reason::user_shutdown);
}

TEST_CASE("a key file others may read makes spawning throw") {
  test::temp_dir dir{"aia-audit-recorder-"};
  actors::audit_options opt{dir / "audit.log", dir / "audit.key"};
  {
    std::ofstream key{opt.key_file};
    key << std::string(64, 'a') << '\n';
  }
  ::chmod(opt.key_file.c_str(), 0644);
  runtime::metrics_registry metrics;
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  cfg.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  CHECK_THROWS_AS(actors::spawn_audit_recorder(sys, opt, metrics), std::runtime_error);
  CHECK_THROWS_AS(actors::audit_subject(opt, "u"), std::runtime_error);
  CHECK_FALSE(fs::exists(opt.log));
}

TEST_CASE("an altered entry fails verification and a restart") {
  std::unique_ptr<node> n = std::make_unique<node>();
  for (int i = 0; i < 3; ++i) {
    REQUIRE(std::holds_alternative<std::uint64_t>(
      n->record({kind(audit_kind::erasure), "admin", "u" + std::to_string(i),
                 R"({"events_erased":5})"})));
  }
  n->stop();
  auto text = file_bytes(n->opt.log);
  auto at = text.find(R"("events_erased":5)", text.find('\n') + 1);  // in the second line
  REQUIRE(at != std::string::npos);
  text.replace(at, 17, R"("events_erased":1)");
  std::ofstream{n->opt.log, std::ios::binary | std::ios::trunc} << text;
  auto v = privacy::verify_file(n->opt.log, n->opt.key_file);
  CHECK(v.problem == privacy::audit_problem::altered);
  CHECK(v.seq == 2);
  runtime::metrics_registry metrics;
  caf::actor_system_config cfg;
  cfg.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  CHECK_THROWS_AS(actors::spawn_audit_recorder(sys, n->opt, metrics), std::runtime_error);
}
