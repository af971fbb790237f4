// The analytics actor over a real SQLite store, store writer and privacy accountant: released
// groups are exactly the public domain, users without analytics consent are left out, the
// global budget is charged before anything is read, exhaustion releases nothing, the Paillier
// path releases the same statistics, and exports are k-anonymous and l-diverse.
#include "actors/analytics.hpp"

#include "actors/messages/analytics.hpp"
#include "actors/messages/store.hpp"
#include "actors/privacy_accountant.hpp"
#include "actors/session_snapshot.hpp"
#include "actors/store_writer.hpp"
#include "model/state_model.hpp"
#include "runtime/metrics.hpp"
#include "tests/model/synthetic_streams.hpp"
#include "tests/support/temp_dir.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <map>
#include <set>

using namespace aia;
using namespace std::chrono_literals;

namespace {

constexpr int user_count = 50;
constexpr int consenting
    = 40; ///< users 0..39 granted analytics; 40..44 withdrew; 45..49 never chose
constexpr double week = 7 * 86400;

std::string user_name(int i) {
  return "user" + std::to_string(100 + i);
}

/// The snapshot a session would have written after `events`, seen from `first_seen` on.
actors::session_snapshot snapshot_of(const std::vector<model::interaction>& events,
                                     double first_seen) {
  actors::session_snapshot s;
  s.window = model::feature_window(64);
  for (const auto& x : events) {
    s.window.add(x);
    ++s.counts_by_type[static_cast<std::size_t>(x.type)];
  }
  s.last_seq = events.size();
  s.interaction_count = events.size();
  s.first_seen = first_seen;
  s.last_seen = events.back().timestamp;
  s.state_updated_at = s.last_seen;
  return s;
}

/// Writes 50 users' snapshots and consent records; returns each consenting user's features.
std::vector<model::feature_vector> populate(runtime::store& st) {
  std::vector<model::feature_vector> features;
  const model::device_type devices[]
      = {model::device_type::mobile, model::device_type::desktop, model::device_type::tablet};
  for (int i = 0; i < user_count; ++i) {
    auto events
        = i % 2 == 0 ? model::testing::steady_user(40 + i) : model::testing::hesitant_user(40 + i);
    for (auto& x : events) {
      x.user_id = user_name(i);
      x.device = devices[i % 3];
    }
    const double first_seen = 1'700'000'000 + (i % 4) * week;
    const auto snap = snapshot_of(events, first_seen);
    REQUIRE_FALSE(st.write({}, {runtime::snapshot_record{user_name(i), snap.last_seq,
                                                         actors::encode_snapshot(snap), 1.0}}));
    if (i < 45) {
      privacy::consent_state c;
      c.apply({{privacy::purpose::analytics, true}}, 1.0, "api");
      if (i >= consenting) {
        c.apply({{privacy::purpose::analytics, false}}, 2.0, "api");
      }
      REQUIRE_FALSE(st.put_record({user_name(i), "consent", 1, c.encode(), 2.0}));
    }
    if (i < consenting) {
      features.push_back(snap.window.features());
    }
  }
  return features;
}

/// A node's actors over one SQLite file: store writer, accountant, analytics.
struct node {
  runtime::metrics_registry metrics;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor writer;
  caf::actor accountant;
  caf::actor analytics;

  node(std::shared_ptr<runtime::store> st, privacy::budget_limits global,
       const std::function<void(actors::analytics_deps&)>& adjust = {}) {
    cfg.set("scheduler.max-threads", 2);
    cfg.set("logger.verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
    writer = actors::spawn_store_writer(*sys, std::move(st), {}, metrics);
    actors::accountant_options opt;
    opt.global = global;
    accountant = actors::spawn_privacy_accountant(*sys, writer, opt, metrics);
    actors::analytics_deps d;
    d.store_writer = writer;
    d.accountant = accountant;
    d.model = model::make_baseline_model();
    d.max_epsilon = 1.0;
    d.page_size = 16; // several pages for 50 users
    if (adjust) {
      adjust(d);
    }
    analytics = actors::spawn_analytics(*sys, d, metrics);
  }

  ~node() {
    for (auto* a : {&analytics, &accountant, &writer}) {
      caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
      *a = nullptr;
    }
    sys.reset();
  }

  /// The reply to `q`, or the error.
  template <class Reply, class Atom, class Query>
  std::variant<Reply, caf::error> ask(Atom atom, Query q) {
    caf::scoped_actor self{*sys};
    std::variant<Reply, caf::error> out = caf::error{};
    self->request(analytics, 60s, atom, std::move(q))
        .receive([&](Reply& r) { out = std::move(r); }, [&](caf::error& e) { out = e; });
    return out;
  }

  actors::aggregate_release aggregate(actors::aggregate_query q) {
    auto r = ask<actors::aggregate_release>(actors::aggregate_atom::value, std::move(q));
    if (auto* e = std::get_if<caf::error>(&r)) {
      FAIL(caf::to_string(*e));
    }
    return std::get<actors::aggregate_release>(r);
  }

  /// The global budget's ledger as the store holds it.
  std::vector<privacy::ledger_entry> ledger(privacy::budget_limits limits) {
    caf::scoped_actor self{*sys};
    std::vector<privacy::ledger_entry> out;
    self->request(writer, 10s, actors::load_atom::value, std::string{actors::global_budget})
        .receive(
            [&](const actors::loaded_history& h) {
              for (const auto& rec : h.records) {
                if (rec.kind == "budget") {
                  auto b
                      = privacy::privacy_budget::decode(rec.data.data(), rec.data.size(), limits);
                  REQUIRE(b);
                  out = b->ledger();
                }
              }
            },
            [](caf::error& e) { FAIL(caf::to_string(e)); });
    return out;
  }

  double releases(const char* kind) {
    return static_cast<double>(
        metrics.get_counter("analytics_releases_total", "", {{"kind", kind}}).value());
  }
};

bool is(const caf::error& e, actors::analytics_errc code) {
  return e.category() == actors::analytics_category && e.code() == static_cast<std::uint8_t>(code);
}

std::vector<std::string> keys_of(const actors::aggregate_release& r) {
  std::vector<std::string> out;
  for (const auto& g : r.groups) {
    out.push_back(g.key);
  }
  return out;
}

struct fixture {
  aia::test::temp_dir dir{"aia-analytics-test-"};
  std::shared_ptr<runtime::store> st
      = runtime::open_sqlite_store((dir / "t.db").string(), runtime::sqlite_sync::normal);
  std::vector<model::feature_vector> features = populate(*st);
};

} // namespace

TEST_CASE("released groups are exactly the public domain and non-consenting users are left out") {
  fixture f;
  const privacy::budget_limits global{10.0, 1e-4, 0};
  node n{f.st, global};

  SECTION("each group-by releases every key of its domain, in order") {
    actors::aggregate_query q;
    q.group_by = "learning_style";
    auto r = n.aggregate(q);
    CHECK(keys_of(r)
          == std::vector<std::string>{"visual", "auditory", "kinesthetic", "reading_writing",
                                      "multimodal"});
    CHECK(r.metrics.size() == actors::analytics_metrics.size());
    for (const auto& g : r.groups) {
      CHECK(g.means.size() == r.metrics.size());
      CHECK(g.count >= 0);
    }
    q.group_by = "device_type";
    CHECK(keys_of(n.aggregate(q))
          == std::vector<std::string>{"mobile", "tablet", "desktop_or_other"});
    q.group_by = "cognitive_load_level";
    CHECK(keys_of(n.aggregate(q)) == std::vector<std::string>{"1", "2", "3", "4", "5"});
    q.group_by = "none";
    CHECK(keys_of(n.aggregate(q)) == std::vector<std::string>{"all"});
  }

  SECTION("users without analytics consent are excluded and counted") {
    actors::aggregate_query q;
    q.epsilon = 1.0;
    q.metrics = {"focus_level"};
    auto r = n.aggregate(q);
    CHECK(r.users_excluded_no_consent == user_count - consenting);
    // Noisy (Laplace, scale 2 on the count): far from the 50 stored users.
    CHECK(r.users_included > consenting - 20);
    CHECK(r.users_included < consenting + 20);
    CHECK(r.epsilon == Approx(1.0));
    CHECK(r.mechanism == "laplace");
    CHECK_FALSE(r.homomorphic);
  }

  SECTION("the budget is charged, durably, before the release") {
    actors::aggregate_query q;
    q.epsilon = 0.5;
    q.mechanism = "gaussian";
    q.delta = 1e-6;
    auto r = n.aggregate(q);
    // The report in the release came back from the spend, before any user was read.
    CHECK(r.budget.granted);
    CHECK(r.budget.releases == 1);
    CHECK(r.budget.spent_epsilon > 0);
    auto ledger = n.ledger(global);
    REQUIRE(ledger.size() == 1);
    CHECK(ledger[0].operation == "analytics.aggregate");
    CHECK(ledger[0].purpose == "analytics");
    CHECK(ledger[0].release.kind == privacy::mechanism_kind::gaussian);
    CHECK(ledger[0].release.epsilon == Approx(0.5));
    CHECK(ledger[0].release.delta == Approx(1e-6));
    CHECK(ledger[0].release.sigma > 0);
    CHECK(ledger[0].release.sensitivity == 1);
    CHECK(n.releases("aggregate") == 1);
  }

  SECTION("invalid queries are refused before any charge") {
    actors::aggregate_query q;
    q.epsilon = 1.5; // above the level's ε
    auto r = n.ask<actors::aggregate_release>(actors::aggregate_atom::value, q);
    REQUIRE(std::holds_alternative<caf::error>(r));
    CHECK(is(std::get<caf::error>(r), actors::analytics_errc::invalid_query));
    for (auto bad :
         {std::function<void(actors::aggregate_query&)>{[](auto& x) { x.group_by = "user_id"; }},
          {[](auto& x) { x.metrics = {"heart_rate"}; }},
          {[](auto& x) { x.mechanism = "exponential"; }},
          {[](auto& x) { x.delta = 1e-6; }}, // a Laplace δ
          {[](auto& x) { x.epsilon = -1; }}}) {
      actors::aggregate_query b;
      bad(b);
      auto e = n.ask<actors::aggregate_release>(actors::aggregate_atom::value, b);
      REQUIRE(std::holds_alternative<caf::error>(e));
      CHECK(is(std::get<caf::error>(e), actors::analytics_errc::invalid_query));
    }
    CHECK(n.ledger(global).empty());
  }
}

TEST_CASE("an exhausted budget gives budget_exhausted with resets_at and releases nothing") {
  fixture f;
  const privacy::budget_limits global{0.15, 1e-5, 3600};
  node n{f.st, global};
  actors::aggregate_query q;
  q.epsilon = 0.1;
  n.aggregate(q);
  auto r = n.ask<actors::aggregate_release>(actors::aggregate_atom::value, q);
  REQUIRE(std::holds_alternative<caf::error>(r));
  const auto& err = std::get<caf::error>(r);
  CHECK(is(err, actors::analytics_errc::budget_exhausted));
  CHECK(actors::resets_at_of(err) > 1'700'000'000);
  CHECK(n.releases("aggregate") == 1);
  CHECK(n.ledger(global).size() == 1);
}

TEST_CASE("the paillier path releases the same statistics as the clear one") {
  fixture f;
  // The true means of the consenting users, from the model itself.
  std::vector<model::user_state> states;
  model::make_baseline_model()->predict(f.features, states);
  double focus = 0;
  double valence = 0;
  for (const auto& s : states) {
    focus += s.focus_level;
    valence += s.emotion.valence;
  }
  focus /= consenting;
  valence /= consenting;

  for (bool homomorphic : {false, true}) {
    node n{f.st, {1000.0, 1e-4, 0}, [&](actors::analytics_deps& d) {
             d.homomorphic = homomorphic;
             d.max_epsilon = 200;
           }};
    actors::aggregate_query q;
    q.epsilon = 200; // little noise: the statistics themselves show
    q.metrics = {"focus_level", "valence"};
    auto r = n.aggregate(q);
    CHECK(r.homomorphic == homomorphic);
    REQUIRE(r.groups.size() == 1);
    CHECK(r.groups[0].count == Approx(consenting).margin(0.5));
    CHECK(r.groups[0].means[0] == Approx(focus).margin(0.01));
    CHECK(r.groups[0].means[1] == Approx(valence).margin(0.01));
    CHECK(r.users_excluded_no_consent == user_count - consenting);
  }
}

TEST_CASE("an anonymized export is k-anonymous and l-diverse and suppresses small groups") {
  fixture f;
  node n{f.st, {1.0, 1e-5, 0}};
  auto ask = [&](actors::anonymize_query q) {
    return n.ask<actors::anonymized_release>(actors::anonymize_atom::value, std::move(q));
  };

  SECTION("defaults: k 5, l 2") {
    auto r = ask({});
    REQUIRE(std::holds_alternative<actors::anonymized_release>(r));
    const auto& x = std::get<actors::anonymized_release>(r);
    CHECK(x.k == 5);
    CHECK(x.l == 2);
    CHECK(x.records == consenting);
    CHECK(x.users_excluded_no_consent == user_count - consenting);
    CHECK(x.rows.size() + x.suppressed == consenting);
    REQUIRE_FALSE(x.rows.empty());
    CHECK(x.achieved_k >= 5);
    CHECK(x.achieved_l >= 2);
    CHECK(x.information_loss >= 0);
    CHECK(x.information_loss <= 1);
    // Every released equivalence class (same generalized quasi-identifiers) meets k and l.
    std::map<std::vector<std::string>, std::set<std::int64_t>> classes;
    std::map<std::vector<std::string>, std::size_t> sizes;
    for (const auto& row : x.rows) {
      REQUIRE(row.quasi.size() == x.quasi_identifiers.size());
      classes[row.quasi].insert(row.cognitive_load_level);
      ++sizes[row.quasi];
    }
    for (const auto& [qi, size] : sizes) {
      CHECK(size >= 5);
      CHECK(classes[qi].size() >= 2);
    }
    CHECK(n.metrics.get_gauge("anonymization_k", "").value() == Approx(x.achieved_k));
    CHECK(n.metrics.get_gauge("anonymization_l", "").value() == Approx(x.achieved_l));
    CHECK(n.releases("export") == 1);
    // Not a DP release: nothing is charged.
    CHECK(n.ledger({1.0, 1e-5, 0}).empty());
  }

  SECTION("a group smaller than k is never released") {
    actors::anonymize_query q;
    q.k = consenting + 1;
    auto r = ask(q);
    REQUIRE(std::holds_alternative<actors::anonymized_release>(r));
    const auto& x = std::get<actors::anonymized_release>(r);
    CHECK(x.rows.empty());
    CHECK(x.suppressed == consenting);
    CHECK(x.achieved_k == 0);
  }

  SECTION("a query may raise k and l but not lower them") {
    actors::anonymize_query q;
    q.k = 3;
    auto r = ask(q);
    REQUIRE(std::holds_alternative<caf::error>(r));
    CHECK(is(std::get<caf::error>(r), actors::analytics_errc::invalid_query));
    q.k = 10;
    q.l = 1;
    r = ask(q);
    REQUIRE(std::holds_alternative<caf::error>(r));
    CHECK(is(std::get<caf::error>(r), actors::analytics_errc::invalid_query));
    q.l = 2;
    r = ask(q);
    REQUIRE(std::holds_alternative<actors::anonymized_release>(r));
    CHECK(std::get<actors::anonymized_release>(r).achieved_k >= 10);
  }

  SECTION("an l the data cannot meet releases nothing") {
    std::vector<model::user_state> states;
    model::make_baseline_model()->predict(f.features, states);
    std::set<int> levels;
    for (const auto& s : states) {
      levels.insert(s.cognitive_load_level);
    }
    actors::anonymize_query q;
    q.k = 5;
    q.l = levels.size() + 1;
    auto r = ask(q);
    REQUIRE(std::holds_alternative<actors::anonymized_release>(r));
    CHECK(std::get<actors::anonymized_release>(r).rows.empty());
    CHECK(std::get<actors::anonymized_release>(r).suppressed == consenting);
  }
}
