// Tests of the store writer: group commit, the commit delay under steady load and none at light
// load, loads that see every acknowledged write. Real actors, real SQLite store.
#include "actors/store_writer.hpp"

#include "actors/messages/store.hpp"
#include "runtime/metrics.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>
#include <thread>

using namespace aia;
using namespace std::chrono_literals;

namespace {

struct fixture {
  std::filesystem::path dir;
  runtime::metrics_registry metrics;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor writer;

  explicit fixture(std::chrono::microseconds commit_delay) {
    std::random_device rd;
    dir = std::filesystem::temp_directory_path()
          / ("aia-writer-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(dir);
    cfg.set("scheduler.max-threads", 2);
    cfg.set("logger.verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
    std::shared_ptr<runtime::store> st =
      runtime::open_sqlite_store((dir / "t.db").string(), runtime::sqlite_sync::normal);
    writer = actors::spawn_store_writer(*sys, st, {512, commit_delay}, metrics);
  }

  ~fixture() {
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    writer = nullptr;
    sys.reset();  // waits for the writer's thread
    std::filesystem::remove_all(dir);
  }

  [[nodiscard]] std::uint64_t commits() {
    return metrics.get_counter("store_commits_total", "").value();
  }

  static std::vector<runtime::stored_event> one_event(const std::string& user, std::uint64_t seq) {
    return {runtime::stored_event{user, seq, "c", seq, 1.0, 2.0, {1, 2, 3}}};
  }

  /// Sends `n` writes `gap` apart without waiting, then waits for every answer; true if all
  /// were durable.
  bool write_spaced(int n, std::chrono::milliseconds gap) {
    caf::scoped_actor self{*sys};
    std::vector<decltype(self->request(writer, 10s, actors::write_atom::value,
                                       std::vector<runtime::stored_event>{},
                                       std::vector<runtime::snapshot_record>{}))>
      pending;
    for (int i = 1; i <= n; ++i) {
      pending.push_back(self->request(writer, 10s, actors::write_atom::value,
                                      one_event("u", static_cast<std::uint64_t>(i)),
                                      std::vector<runtime::snapshot_record>{}));
      std::this_thread::sleep_for(gap);
    }
    bool all = true;
    for (auto& p : pending) {
      p.receive([](bool) {}, [&all](caf::error&) { all = false; });
    }
    return all;
  }
};

} // namespace

TEST_CASE("the store writer answers a lone write at once even with a commit delay") {
  fixture f{200ms};
  caf::scoped_actor self{*f.sys};
  auto start = std::chrono::steady_clock::now();
  bool durable = false;
  self->request(f.writer, 10s, actors::write_atom::value, fixture::one_event("u", 1),
                std::vector<runtime::snapshot_record>{})
    .receive([&](bool ok) { durable = ok; }, [](caf::error&) {});
  CHECK(durable);
  CHECK(std::chrono::steady_clock::now() - start < 150ms);
}

TEST_CASE("under a steady stream, the commit delay gathers writes into fewer commits") {
  SECTION("no delay: a commit per write that arrives on its own") {
    fixture f{0us};
    REQUIRE(f.write_spaced(20, 3ms));
    CHECK(f.commits() >= 10);
  }
  SECTION("a delay longer than the gaps: a few commits") {
    fixture f{100ms};
    REQUIRE(f.write_spaced(20, 3ms));
    CHECK(f.commits() <= 5);
  }
}

TEST_CASE("a load sees every write acknowledged before it, delay or not") {
  fixture f{50ms};
  REQUIRE(f.write_spaced(5, 1ms));
  caf::scoped_actor self{*f.sys};
  std::size_t seen = 0;
  self->request(f.writer, 10s, actors::write_atom::value, fixture::one_event("u", 6),
                std::vector<runtime::snapshot_record>{});
  self->request(f.writer, 10s, actors::load_atom::value, std::string{"u"})
    .receive([&](actors::loaded_history& h) { seen = h.events.size(); }, [](caf::error&) {});
  CHECK(seen == 6);
}

TEST_CASE("a scan through the writer sees every write before it, records-only users too") {
  fixture f{50ms};
  caf::scoped_actor self{*f.sys};
  // Neither is waited for: the scan comes after both in the writer's mailbox.
  self->request(f.writer, 10s, actors::write_atom::value,
                std::vector<runtime::stored_event>{
                  runtime::stored_event{"a", 1, "c", 1, 1.0, 30.5, {1}},
                  runtime::stored_event{"a", 2, "c", 2, 1.0, 20.25, {2}}},
                std::vector<runtime::snapshot_record>{runtime::snapshot_record{"a", 1, {7}, 3.0}});
  self->request(f.writer, 10s, actors::put_record_atom::value,
                runtime::user_record{"b", "consent", 1, {9}, 4.0});
  std::vector<actors::user_page_msg> pages;
  std::string after;
  for (int i = 0; i < 3; ++i) {
    self->request(f.writer, 10s, actors::scan_atom::value, after, std::uint64_t{1})
      .receive([&](actors::user_page_msg& page) { pages.push_back(std::move(page)); },
               [](caf::error& err) { FAIL(caf::to_string(err)); });
    REQUIRE(pages.size() == static_cast<std::size_t>(i + 1));
    if (pages.back().users.empty()) {
      break;
    }
    after = pages.back().users.back().user_id;
  }
  REQUIRE(pages.size() == 3);
  CHECK(pages[2].users.empty());
  REQUIRE(pages[0].users.size() == 1);
  const auto& a = pages[0].users[0];
  CHECK(a.user_id == "a");
  CHECK(a.has_snapshot);
  CHECK(a.snapshot.data == std::vector<std::uint8_t>{7});
  CHECK(a.events == 2);
  CHECK(a.oldest_event_at == 20.25);
  CHECK_FALSE(pages[0].unreadable);
  REQUIRE(pages[1].users.size() == 1);
  const auto& b = pages[1].users[0];
  CHECK(b.user_id == "b");
  CHECK_FALSE(b.has_snapshot);
  CHECK(b.events == 0);
  REQUIRE(b.records.size() == 1);
  CHECK(b.records[0].data == std::vector<std::uint8_t>{9});

  bool refused = false;
  self->request(f.writer, 10s, actors::scan_atom::value, std::string{}, std::uint64_t{0})
    .receive([](actors::user_page_msg&) {}, [&](caf::error&) { refused = true; });
  CHECK(refused);  // a zero limit is the store's error: store_failed
}
