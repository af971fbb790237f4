// The analytics actor: check the query, charge the budget, page through the consenting users,
// release DP aggregates (clear or Paillier sums) or a Mondrian export.
#include "actors/analytics.hpp"

#include "actors/messages/analytics.hpp"
#include "actors/messages/audit.hpp"
#include "actors/messages/store.hpp"
#include "actors/session_snapshot.hpp"
#include "model/state_model.hpp"
#include "privacy/audit_log.hpp"
#include "privacy/dp_aggregate.hpp"
#include "privacy/mondrian.hpp"
#include "privacy/paillier_sum.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"
#include "runtime/wall_clock.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <functional>
#include <optional>

namespace aia::actors {

const char* to_string(analytics_errc x) noexcept {
  switch (x) {
  case analytics_errc::budget_exhausted:
    return "budget_exhausted";
  case analytics_errc::invalid_query:
    return "invalid_query";
  case analytics_errc::store_failed:
    return "store_failed";
  case analytics_errc::accountant_failed:
    return "accountant_failed";
  case analytics_errc::release_failed:
    return "release_failed";
  }
  return "unknown";
}

namespace {

constexpr std::string_view consent_kind = "consent";
constexpr double week_seconds = 7 * 86400;
constexpr auto ask_timeout = std::chrono::seconds(60);
constexpr std::array<std::string_view, 3> device_names{"mobile", "tablet", "desktop_or_other"};

// -- users as analytics sees them -----------------------------------------------------------

/// One consenting user with a state.
struct evaluated_user {
  model::user_state state;
  std::int64_t device = 2; ///< index into device_names
  double first_seen = 0;
};

/// A page turned into states: who counts, and how many were left out for lack of consent.
struct evaluated_page {
  std::vector<evaluated_user> users;
  std::uint64_t excluded_no_consent = 0;
};

/// Whether the user's consent grants analytics under `mode`; an unreadable record never does.
bool grants_analytics(const scanned_user& u, privacy::consent_mode mode) {
  for (const auto& r : u.records) {
    if (r.kind == consent_kind) {
      auto c = privacy::consent_state::decode(r.data.data(), r.data.size());
      return c && c->granted(privacy::purpose::analytics, mode);
    }
  }
  return privacy::consent_state{}.granted(privacy::purpose::analytics, mode);
}

std::size_t feature_index(std::string_view name) {
  for (std::size_t i = 0; i < model::feature_count; ++i) {
    if (model::feature_name(i) == name) {
      return i;
    }
  }
  return model::feature_count;
}

/// Phone, tablet, or anything else, as far as the features tell.
std::int64_t device_of(const model::feature_vector& f) {
  static const auto mobile = feature_index("device_mobile");
  static const auto tablet = feature_index("device_tablet");
  if (mobile < model::feature_count && f.values[mobile] > 0.5) {
    return 0;
  }
  return tablet < model::feature_count && f.values[tablet] > 0.5 ? 1 : 2;
}

evaluated_page evaluate(const user_page_msg& page, const analytics_deps& deps) {
  evaluated_page out;
  std::vector<model::feature_vector> features;
  std::vector<double> first_seen;
  for (const auto& u : page.users) {
    if (u.user_id.find('#') != std::string::npos) {
      continue; // the node's own records (the global budget): no user id holds '#'
    }
    if (!grants_analytics(u, deps.mode)) {
      ++out.excluded_no_consent;
      continue;
    }
    if (!u.has_snapshot) {
      continue; // no state yet (records only)
    }
    auto snap = decode_snapshot(u.snapshot.data.data(), u.snapshot.data.size());
    if (!snap) {
      continue; // unreadable: the store has logged it; never guessed
    }
    features.push_back(snap->window.features());
    first_seen.push_back(snap->first_seen);
  }
  std::vector<model::user_state> states;
  if (!features.empty()) {
    deps.model->predict(features, states);
  }
  for (std::size_t i = 0; i < states.size(); ++i) {
    out.users.push_back({std::move(states[i]), device_of(features[i]), first_seen[i]});
  }
  return out;
}

// -- aggregates: domains, metrics, rows ------------------------------------------------------

std::optional<std::vector<std::string>> domain_of(std::string_view group_by) {
  std::vector<std::string> d;
  if (group_by == "none") {
    d = {"all"};
  } else if (group_by == "device_type") {
    d.assign(device_names.begin(), device_names.end());
  } else if (group_by == "learning_style") {
    for (int i = 0; i < model::learning_style_count; ++i) {
      d.emplace_back(model::to_string(static_cast<model::learning_style>(i)));
    }
  } else if (group_by == "cognitive_load_level") {
    d = {"1", "2", "3", "4", "5"};
  } else {
    return std::nullopt;
  }
  return d;
}

std::string group_of(std::string_view group_by, const evaluated_user& u) {
  if (group_by == "device_type") {
    return std::string{device_names[static_cast<std::size_t>(u.device)]};
  }
  if (group_by == "learning_style") {
    return std::string{model::to_string(u.state.primary_style)};
  }
  if (group_by == "cognitive_load_level") {
    return std::to_string(u.state.cognitive_load_level);
  }
  return "all";
}

double metric_of(std::string_view m, const model::user_state& s) {
  if (m == "focus_level") {
    return s.focus_level;
  }
  if (m == "cognitive_load") {
    return s.cognitive_load;
  }
  if (m == "engagement_score") {
    return s.engagement_score;
  }
  if (m == "fatigue_level") {
    return s.fatigue_level;
  }
  return m == "valence" ? s.emotion.valence : s.emotion.arousal;
}

/// A checked query: its metrics and calibrated mechanisms, or invalid_query.
struct aggregate_job {
  aggregate_query query;
  privacy::dp_aggregate plan;
  caf::typed_response_promise<aggregate_release> rp;
  budget_report budget;
  privacy::aggregate_totals totals;
  std::optional<privacy::encrypted_totals> encrypted;
  std::uint64_t excluded = 0;
};

caf::expected<privacy::dp_aggregate> plan_aggregate(aggregate_query& q, const analytics_deps& d) {
  auto domain = domain_of(q.group_by);
  if (q.metrics.empty()) {
    q.metrics.assign(analytics_metrics.begin(), analytics_metrics.end());
  }
  privacy::aggregate_spec spec;
  for (const auto& m : q.metrics) {
    if (std::find(analytics_metrics.begin(), analytics_metrics.end(), m) == analytics_metrics.end()
        || std::count(q.metrics.begin(), q.metrics.end(), m) > 1) {
      return make_error(analytics_errc::invalid_query);
    }
    const bool signed_range = m == "valence" || m == "arousal";
    spec.dimensions.push_back({m, signed_range ? -1.0 : 0.0, 1.0});
  }
  const bool gaussian = q.mechanism == "gaussian";
  if (q.epsilon == 0) {
    q.epsilon = std::min(d.default_epsilon, d.max_epsilon);
  }
  if (gaussian && q.delta == 0) {
    q.delta = std::min(d.default_delta, d.max_delta);
  }
  if (!domain || (!gaussian && q.mechanism != "laplace") || !(q.epsilon > 0)
      || !(q.epsilon <= d.max_epsilon) || (gaussian && !(q.delta > 0 && q.delta <= d.max_delta))
      || (!gaussian && q.delta != 0)) {
    return make_error(analytics_errc::invalid_query);
  }
  spec.domain = std::move(*domain);
  spec.mechanism = gaussian ? privacy::mechanism_kind::gaussian : privacy::mechanism_kind::laplace;
  spec.epsilon = q.epsilon;
  spec.delta = q.delta;
  try {
    return privacy::dp_aggregate{std::move(spec)};
  } catch (const std::exception&) {
    return make_error(analytics_errc::invalid_query);
  }
}

// -- exports ----------------------------------------------------------------------------------

std::int64_t band_of(double x) {
  return std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(x * 5)), 0, 4);
}

privacy::mondrian_record record_of(const evaluated_user& u) {
  const auto week = static_cast<std::int64_t>(std::floor(u.first_seen / week_seconds));
  return {{u.device, week, static_cast<std::int64_t>(u.state.primary_style),
           band_of(u.state.focus_level), band_of(u.state.engagement_score),
           band_of(u.state.fatigue_level)},
          u.state.cognitive_load_level};
}

std::string date_of(double t) {
  const auto secs = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

/// The label of quasi-identifier `qi` generalized to [r.low, r.high] (see analytics_types.hpp).
std::string label_of(std::size_t qi, const privacy::mondrian_range& r) {
  auto names = [&](auto name_of) {
    std::string s;
    for (auto c = r.low; c <= r.high; ++c) {
      if (!s.empty()) {
        s += '|';
      }
      s += name_of(c);
    }
    return s;
  };
  switch (qi) {
  case 0:
    return names([](std::int64_t c) { return device_names[static_cast<std::size_t>(c)]; });
  case 1:
    return date_of(static_cast<double>(r.low) * week_seconds) + "/"
           + date_of(static_cast<double>(r.high + 1) * week_seconds - 86400);
  case 2:
    return names(
        [](std::int64_t c) { return model::to_string(static_cast<model::learning_style>(c)); });
  default: {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f-%.1f", static_cast<double>(r.low) / 5,
                  static_cast<double>(r.high + 1) / 5);
    return buf;
  }
  }
}

const std::vector<std::string> quasi_names{"device_type", "first_seen_week", "learning_style",
                                           "focus_band",  "engagement_band", "fatigue_band"};

anonymized_release make_export(const std::vector<privacy::mondrian_record>& records,
                               std::uint64_t k, std::uint64_t l) {
  const auto result = privacy::anonymize_mondrian(records, {k, l});
  anonymized_release out;
  out.quasi_identifiers = quasi_names;
  for (auto& row : privacy::generalized_rows(records, result)) {
    anonymized_row r;
    for (std::size_t q = 0; q < row.quasi.size(); ++q) {
      r.quasi.push_back(label_of(q, row.quasi[q]));
    }
    r.cognitive_load_level = row.sensitive;
    out.rows.push_back(std::move(r));
  }
  out.k = k;
  out.l = l;
  out.achieved_k = result.achieved_k;
  out.achieved_l = result.achieved_l;
  out.information_loss = result.ncp;
  out.records = records.size();
  out.suppressed = result.suppressed;
  return out;
}

// -- the actor --------------------------------------------------------------------------------

struct analytics_state {
  static inline const char* name = "analytics";
  privacy::system_random rng;
};

using analytics_ptr = caf::stateful_actor<analytics_state>*;

struct analytics_env {
  analytics_deps deps;
  std::shared_ptr<const privacy::paillier_private_key> key; ///< set if homomorphic
  runtime::counter* aggregates;
  runtime::counter* exports;
  runtime::gauge* k;
  runtime::gauge* l;
  runtime::gauge* loss;
};

using env_ptr = std::shared_ptr<const analytics_env>;
using page_fn = std::function<void(evaluated_page&)>;
using end_fn = std::function<void(const caf::error&)>; ///< empty error: every page was read

/// Reads every user page by page from `after` on, evaluating each page; then `on_end`.
void scan(analytics_ptr self, env_ptr env, std::string after, page_fn on_page, end_fn on_end) {
  self->request(env->deps.store_writer, ask_timeout, scan_atom::value, after, env->deps.page_size)
      .then(
          [self, env, on_page, on_end](user_page_msg& page) {
            if (page.users.empty()) {
              on_end(caf::error{});
              return;
            }
            if (page.unreadable) {
              log::warn("analytics.page_unreadable", {{"users", page.users.size()}});
            }
            auto last = page.users.back().user_id;
            try {
              auto e = evaluate(page, env->deps);
              on_page(e);
            } catch (const std::exception& ex) {
              log::error("analytics.page_failed", {{"what", ex.what()}});
              on_end(make_error(analytics_errc::release_failed));
              return;
            }
            scan(self, env, std::move(last), on_page, on_end);
          },
          [on_end](caf::error& err) {
            log::error("analytics.scan_failed", {{"errc", caf::to_string(err)}});
            on_end(make_error(analytics_errc::store_failed));
          });
}

void add_page(const analytics_env& env, aggregate_job& job, const evaluated_page& page) {
  job.excluded += page.excluded_no_consent;
  std::vector<privacy::aggregate_row> rows;
  rows.reserve(page.users.size());
  for (const auto& u : page.users) {
    privacy::aggregate_row r{group_of(job.query.group_by, u), {}};
    for (const auto& m : job.query.metrics) {
      r.values.push_back(metric_of(m, u.state));
    }
    rows.push_back(std::move(r));
  }
  auto part = job.plan.tally(rows);
  if (env.key) {
    // Only ciphertexts of the page's totals leave this step; the clear page totals are dropped.
    const auto& pk = env.key->public_key();
    job.encrypted = privacy::add_totals(*job.encrypted, privacy::encrypt_totals(part, pk), pk);
  } else {
    job.totals = privacy::merge_totals(std::move(job.totals), part);
  }
}

void finish_aggregate(analytics_ptr self, const analytics_env& env, aggregate_job& job) {
  auto totals = env.key ? privacy::decrypt_totals(*job.encrypted, *env.key) : job.totals;
  aggregate_release out;
  out.group_by = job.query.group_by;
  out.metrics = job.query.metrics;
  double included = 0;
  for (auto& g : job.plan.release(totals, self->state.rng)) {
    included += g.count;
    out.groups.push_back({std::move(g.key), g.count, std::move(g.means)});
  }
  const auto spent = job.plan.spent();
  out.epsilon = spent.epsilon;
  out.delta = spent.delta;
  out.mechanism = job.query.mechanism;
  out.users_included = static_cast<std::uint64_t>(std::llround(included));
  out.users_excluded_no_consent = job.excluded;
  out.budget = job.budget;
  out.homomorphic = env.key != nullptr;
  out.released_at = runtime::wall_seconds();
  env.aggregates->inc();
  if (env.deps.audit) {
    caf::anon_send(env.deps.audit, audit_atom::value,
                   audit_request{static_cast<std::uint8_t>(privacy::audit_kind::budget_spend),
                                 job.query.requested_by.empty() ? "system"
                                                                : job.query.requested_by,
                                 "",
                                 "{\"operation\":\"analytics.aggregate\",\"group_by\":\""
                                   + out.group_by + "\",\"mechanism\":\"" + out.mechanism
                                   + "\",\"epsilon\":" + std::to_string(out.epsilon)
                                   + ",\"delta\":" + std::to_string(out.delta) + "}"});
  }
  log::info("analytics.aggregate", {{"group_by", out.group_by},
                                    {"epsilon", out.epsilon},
                                    {"requested_by", job.query.requested_by},
                                    {"homomorphic", out.homomorphic}});
  job.rp.deliver(std::move(out));
}

caf::result<aggregate_release> on_aggregate(analytics_ptr self, const env_ptr& env,
                                            aggregate_query& q) {
  auto plan = plan_aggregate(q, env->deps);
  if (!plan) {
    return plan.error();
  }
  auto job = std::make_shared<aggregate_job>(
      aggregate_job{std::move(q),
                    std::move(*plan),
                    self->make_response_promise<aggregate_release>(),
                    {},
                    {},
                    std::nullopt,
                    0});
  job->totals = job->plan.empty_totals();
  const auto spent = job->plan.spent();
  spend_request r{std::string{global_budget},
                  "analytics.aggregate",
                  "analytics",
                  static_cast<std::uint8_t>(job->plan.spec().mechanism),
                  spent.epsilon,
                  spent.delta,
                  job->plan.rdp_sigma(),
                  job->plan.rdp_sensitivity()};
  // Write-ahead: the charge is durable before any user data is read.
  self->request(env->deps.accountant, ask_timeout, spend_atom::value, std::move(r))
      .then(
          [self, env, job](budget_report& rep) {
            if (!rep.granted) {
              job->rp.deliver(make_budget_exhausted(rep.resets_at));
              return;
            }
            job->budget = rep;
            if (env->key) {
              job->encrypted = privacy::encrypt_totals(job->totals, env->key->public_key());
            }
            scan(
                self, env, "", [env, job](evaluated_page& p) { add_page(*env, *job, p); },
                [self, env, job](const caf::error& err) {
                  if (err) {
                    job->rp.deliver(err);
                    return;
                  }
                  try {
                    finish_aggregate(self, *env, *job);
                  } catch (const std::exception& ex) {
                    log::error("analytics.release_failed", {{"what", ex.what()}});
                    job->rp.deliver(make_error(analytics_errc::release_failed));
                  }
                });
          },
          [job](caf::error& err) {
            log::error("analytics.spend_failed", {{"errc", caf::to_string(err)}});
            job->rp.deliver(make_error(analytics_errc::accountant_failed));
          });
  return job->rp;
}

struct export_job {
  anonymize_query query;
  caf::typed_response_promise<anonymized_release> rp;
  std::vector<privacy::mondrian_record> records;
  std::uint64_t excluded = 0;
};

caf::result<anonymized_release> on_anonymize(analytics_ptr self, const env_ptr& env,
                                             anonymize_query& q) {
  const auto& d = env->deps;
  q.k = q.k == 0 ? d.min_k : q.k;
  q.l = q.l == 0 ? d.min_l : q.l;
  if (q.k < d.min_k || q.l < d.min_l || q.l > q.k) {
    return make_error(analytics_errc::invalid_query);
  }
  auto job = std::make_shared<export_job>(
      export_job{std::move(q), self->make_response_promise<anonymized_release>(), {}, 0});
  scan(
      self, env, "",
      [job](evaluated_page& p) {
        job->excluded += p.excluded_no_consent;
        for (const auto& u : p.users) {
          job->records.push_back(record_of(u));
        }
      },
      [env, job](const caf::error& err) {
        if (err) {
          job->rp.deliver(err);
          return;
        }
        auto out = make_export(job->records, job->query.k, job->query.l);
        out.users_excluded_no_consent = job->excluded;
        out.released_at = runtime::wall_seconds();
        env->exports->inc();
        env->k->set(static_cast<double>(out.achieved_k));
        env->l->set(static_cast<double>(out.achieved_l));
        env->loss->set(out.information_loss);
        if (env->deps.audit) {
          caf::anon_send(
            env->deps.audit, audit_atom::value,
            audit_request{static_cast<std::uint8_t>(privacy::audit_kind::export_data),
                          job->query.requested_by.empty() ? "system" : job->query.requested_by,
                          "",
                          "{\"operation\":\"analytics.export\",\"k\":"
                            + std::to_string(out.achieved_k) + ",\"l\":"
                            + std::to_string(out.achieved_l) + ",\"records\":"
                            + std::to_string(out.rows.size()) + "}"});
        }
        log::info("analytics.export", {{"k", out.achieved_k},
                                       {"l", out.achieved_l},
                                       {"suppressed", out.suppressed},
                                       {"requested_by", job->query.requested_by}});
        job->rp.deliver(std::move(out));
      });
  return job->rp;
}

caf::behavior analytics(analytics_ptr self, env_ptr env) {
  return {
      [self, env](aggregate_atom, aggregate_query& q) { return on_aggregate(self, env, q); },
      [self, env](anonymize_atom, anonymize_query& q) { return on_anonymize(self, env, q); },
  };
}

} // namespace

caf::actor spawn_analytics(caf::actor_system& sys, analytics_deps deps,
                           runtime::metrics_registry& metrics) {
  auto env = std::make_shared<analytics_env>();
  if (deps.homomorphic) {
    env->key = std::make_shared<const privacy::paillier_private_key>(
        privacy::paillier_private_key::generate(deps.paillier_bits));
  }
  env->deps = std::move(deps);
  const char* releases = "Analytics releases: DP aggregates and k-anonymous exports";
  env->aggregates
      = &metrics.get_counter("analytics_releases_total", releases, {{"kind", "aggregate"}});
  env->exports = &metrics.get_counter("analytics_releases_total", releases, {{"kind", "export"}});
  env->k = &metrics.get_gauge("anonymization_k", "Smallest class of the last export");
  env->l = &metrics.get_gauge("anonymization_l",
                              "Fewest distinct sensitive values in a class of the last export");
  env->loss = &metrics.get_gauge("anonymization_information_loss",
                                 "Normalized certainty penalty of the last export, 0..1");
  return sys.spawn<caf::detached>(analytics, env_ptr{std::move(env)});
}

} // namespace aia::actors
