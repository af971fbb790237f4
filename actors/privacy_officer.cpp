// The users' rights, carried out at each user's owner and audited; the compliance report.
#include "actors/privacy_officer.hpp"

#include "actors/messages/audit.hpp"
#include "actors/messages/privacy.hpp"
#include "actors/messages/rights.hpp"
#include "actors/messages/store.hpp"
#include "model/interaction_codec.hpp"
#include "privacy/audit_log.hpp"
#include "privacy/consent.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"
#include "runtime/wall_clock.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <chrono>
#include <memory>

namespace aia::actors {

namespace {

/// A right may reach another node and wait for a session to finish its batches.
constexpr auto cluster_request = std::chrono::seconds{30};
/// Users per page of a store scan or an export read.
constexpr std::uint64_t page_size = 500;

struct officer_metrics {
  runtime::counter* erasures;
  runtime::counter* erasure_failures;
  runtime::histogram* erasure_seconds;
  runtime::counter* exports;
  runtime::counter* consent_changes;
  runtime::histogram* withdrawal_seconds;
};

struct officer_state {
  static inline const char* name = "privacy_officer";
  std::uint64_t erasures_done = 0;
  std::uint64_t erasures_failed = 0;
  std::uint64_t erasures_pending = 0;
  double erasure_max_seconds = 0;
  std::uint64_t exports_done = 0;
  std::uint64_t exports_failed = 0;
};

using officer_ptr = caf::stateful_actor<officer_state>*;

struct officer_env {
  officer_deps deps;
  officer_metrics m;
  runtime::metrics_registry* registry;
};

/// Records an entry, fire and forget (the recorder logs and counts its own failures).
void audit(officer_ptr self, const officer_env& env, privacy::audit_kind kind,
           const std::string& by, const std::string& user, std::string details_json) {
  if (env.deps.audit) {
    self->send(env.deps.audit, audit_atom::value,
               audit_request{static_cast<std::uint8_t>(kind), by, user, std::move(details_json)});
  }
}

std::string num(double x) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%.6f", x);
  return buf.data();
}

// -- erasure ------------------------------------------------------------------------------------

caf::result<erasure_receipt> erase(officer_ptr self, const officer_env& env, std::string user,
                                   std::string by) {
  auto rp = self->make_response_promise<erasure_receipt>();
  ++self->state.erasures_pending;
  self->request(env.deps.entry, cluster_request, erase_user_atom::value, user)
    .then(
      [self, env, rp, user, by](erasure_receipt& r) mutable {
        auto& st = self->state;
        --st.erasures_pending;
        ++st.erasures_done;
        auto took = std::max(0.0, r.completed_at - r.requested_at);
        st.erasure_max_seconds = std::max(st.erasure_max_seconds, took);
        env.m.erasures->inc();
        env.m.erasure_seconds->observe(took);
        r.store_backend = env.deps.store_backend;
        audit(self, env, privacy::audit_kind::erasure, by, user,
              "{\"events\":" + std::to_string(r.events) + ",\"snapshots\":"
                + std::to_string(r.snapshots) + ",\"records\":" + std::to_string(r.records)
                + ",\"session_stopped\":" + (r.session_stopped ? "true" : "false")
                + ",\"seconds\":" + num(took) + "}");
        rp.deliver(std::move(r));
      },
      [self, env, rp](caf::error& err) mutable {
        auto& st = self->state;
        --st.erasures_pending;
        ++st.erasures_failed;
        env.m.erasure_failures->inc();
        log::error("rights.erasure_failed", {{"errc", caf::to_string(err)}});
        rp.deliver(std::move(err));
      });
  return rp;
}

// -- export -------------------------------------------------------------------------------------

/// Reads the user's raw events page by page into `out`, then answers.
void read_events(officer_ptr self, const officer_env& env, std::shared_ptr<user_export> out,
                 std::uint64_t after, caf::typed_response_promise<user_export> rp,
                 std::string by) {
  self->request(env.deps.store, caf::infinite, events_atom::value, out->user_id, after, page_size)
    .then(
      [self, env, out, rp, by](std::vector<runtime::stored_event>& page) mutable {
        for (auto& e : page) {
          exported_event x{e.seq, e.stored_at, e.client_id, e.client_seq, {}};
          if (auto i = model::decode_interaction(e.payload.data(), e.payload.size())) {
            x.interaction = std::move(*i);
          }
          x.interaction.user_id = out->user_id;
          out->events.push_back(std::move(x));
        }
        if (page.size() == page_size) {
          return read_events(self, env, out, out->events.back().seq, rp, by);
        }
        ++self->state.exports_done;
        env.m.exports->inc();
        audit(self, env, privacy::audit_kind::export_data, by, out->user_id,
              "{\"events\":" + std::to_string(out->events.size()) + ",\"records\":"
                + std::to_string(out->records.size()) + "}");
        rp.deliver(std::move(*out));
      },
      [self, rp](caf::error& err) mutable {
        ++self->state.exports_failed;
        rp.deliver(std::move(err));
      });
}

caf::result<user_export> export_user(officer_ptr self, const officer_env& env, std::string user,
                                     std::string by) {
  auto rp = self->make_response_promise<user_export>();
  auto out = std::make_shared<user_export>();
  out->user_id = user;
  out->exported_at = runtime::wall_seconds();
  out->consent_mode = static_cast<std::uint8_t>(
    env.deps.settings.consent_mode == "explicit" ? privacy::consent_mode::explicit_grant
                                                 : privacy::consent_mode::implied);
  auto fail = [self, rp](caf::error& err) mutable {
    ++self->state.exports_failed;
    rp.deliver(std::move(err));
  };
  // The state from the owner's session, then what the store holds.
  self->request(env.deps.entry, cluster_request, profile_atom::value, user)
    .then(
      [self, env, out, rp, by, fail](model::user_profile& p) mutable {
        out->has_profile = true;
        out->profile = std::move(p);
        self->request(env.deps.store, caf::infinite, load_atom::value, out->user_id)
          .then(
            [self, env, out, rp, by](loaded_history& h) mutable {
              out->has_snapshot = h.has_snapshot;
              out->snapshot = std::move(h.snapshot);
              out->records = std::move(h.records);
              read_events(self, env, out, 0, rp, by);
            },
            fail);
      },
      [self, env, out, rp, by, fail](caf::error& err) mutable {
        if (err != make_error(session_errc::not_found)) {
          return fail(err);
        }
        // Never processed: the store may still hold records (a consent given in advance).
        self->request(env.deps.store, caf::infinite, load_atom::value, out->user_id)
          .then(
            [self, env, out, rp, by](loaded_history& h) mutable {
              out->records = std::move(h.records);
              read_events(self, env, out, 0, rp, by);
            },
            fail);
      });
  return rp;
}

// -- consent ------------------------------------------------------------------------------------

caf::result<consent_reply> change_consent(officer_ptr self, const officer_env& env,
                                          std::string user, consent_update u) {
  auto rp = self->make_response_promise<consent_reply>();
  bool withdraws = std::find(u.granted.begin(), u.granted.end(), 0) != u.granted.end();
  std::string details = "{\"source\":\"" + (u.source.rfind("admin:", 0) == 0 ? std::string{"admin"}
                                                                              : u.source)
                        + "\"";
  for (std::size_t i = 0; i < u.purposes.size() && i < u.granted.size(); ++i) {
    details += ",\"" + u.purposes[i] + "\":" + (u.granted[i] != 0 ? "true" : "false");
  }
  details += "}";
  auto by = u.source.rfind("admin:", 0) == 0 ? u.source.substr(6) : user;
  auto started = std::chrono::steady_clock::now();
  self->request(env.deps.entry, cluster_request, consent_atom::value, user, std::move(u))
    .then(
      [self, env, rp, user, by, details, withdraws, started](consent_reply& r) mutable {
        env.m.consent_changes->inc();
        if (withdraws) {
          env.m.withdrawal_seconds->observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        }
        audit(self, env, privacy::audit_kind::consent_changed, by, user, details);
        rp.deliver(std::move(r));
      },
      [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

// -- compliance ---------------------------------------------------------------------------------

/// What a scan of the store found.
struct scan_tally {
  std::uint64_t users = 0;
  std::uint64_t processed = 0;           ///< users with events or a snapshot
  std::uint64_t processed_no_record = 0; ///< of those, without any recorded consent
  std::uint64_t processed_refused = 0;   ///< of those, whose record refuses personalization now
  std::uint64_t events = 0;
  std::uint64_t snapshots = 0;
  std::uint64_t records = 0;
  std::uint64_t marketing_opted_out = 0;
  double oldest_event_at = 0;
  bool unreadable = false;
};

void tally(scan_tally& t, const scanned_user& u, privacy::consent_mode mode) {
  ++t.users;
  t.events += u.events;
  t.snapshots += u.has_snapshot ? 1 : 0;
  t.records += u.records.size();
  if (u.events > 0 && (t.oldest_event_at == 0 || u.oldest_event_at < t.oldest_event_at)) {
    t.oldest_event_at = u.oldest_event_at;
  }
  bool processed = u.events > 0 || u.has_snapshot;
  t.processed += processed ? 1 : 0;
  auto rec = std::find_if(u.records.begin(), u.records.end(),
                          [](const runtime::user_record& r) { return r.kind == "consent"; });
  if (rec == u.records.end()) {
    t.processed_no_record += processed ? 1 : 0;
    return;
  }
  auto c = privacy::consent_state::decode(rec->data.data(), rec->data.size());
  if (!c) {
    t.unreadable = true;
    return;
  }
  if (processed && !c->granted(privacy::purpose::personalization, mode)) {
    ++t.processed_refused;
  }
  if (c->choice(privacy::purpose::marketing) == false) {
    ++t.marketing_opted_out;
  }
}

compliance_duty duty(std::string regulation, std::string name, bool holds, std::string detail,
                     std::vector<compliance_figure> figures) {
  return compliance_duty{std::move(regulation), std::move(name), holds, std::move(detail),
                         std::move(figures)};
}

double gauge_value(runtime::metrics_registry& reg, const char* name, const char* help) {
  return reg.get_gauge(name, help).value();
}

compliance_report judge(officer_ptr self, const officer_env& env, const scan_tally& t,
                        const budget_report& global) {
  const auto& s = env.deps.settings;
  auto& st = self->state;
  auto now = runtime::wall_seconds();
  compliance_report r{now, s.level, s.consent_mode, {}};
  bool explicit_mode = s.consent_mode == "explicit";
  auto users_f = static_cast<double>(t.processed);
  r.duties.push_back(duty(
    "GDPR", "art6_7_consent",
    (explicit_mode ? t.processed_no_record == 0 : true) && !t.unreadable,
    explicit_mode ? "explicit mode: every processed user must have a recorded grant"
                  : "implied mode: the embedding application collects consent; withdrawals "
                    "are recorded and honoured",
    {{"processed_users", users_f},
     {"processed_users_without_record", static_cast<double>(t.processed_no_record)},
     {"users_withdrawn_since", static_cast<double>(t.processed_refused)},
     {"unconsented_processing_attempts_refused",
      gauge_value(*env.registry, "unconsented_processing_attempts",
                  "Interactions refused since start because the user had not consented to "
                  "personalization (only grows)")}}));
  double oldest_age = t.oldest_event_at > 0 ? now - t.oldest_event_at : 0;
  bool retention_ok = env.deps.persist_events
                        ? (env.deps.retention_seconds <= 0
                           || oldest_age <= env.deps.retention_seconds + env.deps.retention_slack)
                        : t.events == 0;
  r.duties.push_back(duty("GDPR", "art5_1e_storage_limitation", retention_ok,
                          env.deps.persist_events
                            ? "no raw event older than the level's retention (plus one sweep)"
                            : "this level keeps no raw events at all",
                          {{"retention_days", env.deps.retention_seconds / 86400},
                           {"oldest_raw_event_age_days", oldest_age / 86400},
                           {"raw_events", static_cast<double>(t.events)}}));
  auto all = static_cast<double>(t.events + t.snapshots + t.records);
  r.duties.push_back(duty("GDPR", "art5_1c_data_minimisation",
                          env.deps.persist_events || t.events == 0,
                          "raw interaction data as a share of all records held",
                          {{"raw_data_share", all > 0 ? static_cast<double>(t.events) / all : 0},
                           {"snapshots", static_cast<double>(t.snapshots)},
                           {"records", static_cast<double>(t.records)}}));
  r.duties.push_back(duty("GDPR", "art17_erasure", st.erasures_failed == 0,
                          "erasures requested through DELETE /user/{id} completed, none failed",
                          {{"completed", static_cast<double>(st.erasures_done)},
                           {"failed", static_cast<double>(st.erasures_failed)},
                           {"pending", static_cast<double>(st.erasures_pending)},
                           {"max_seconds", st.erasure_max_seconds}}));
  r.duties.push_back(duty("GDPR", "art15_20_access_portability", st.exports_failed == 0,
                          "exports through GET /user/{id}/export served, none failed",
                          {{"served", static_cast<double>(st.exports_done)},
                           {"failed", static_cast<double>(st.exports_failed)}}));
  r.duties.push_back(duty("CCPA", "right_to_know", st.exports_failed == 0,
                          "the same export as GDPR Art. 15",
                          {{"served", static_cast<double>(st.exports_done)}}));
  r.duties.push_back(duty("CCPA", "right_to_delete", st.erasures_failed == 0,
                          "the same erasure as GDPR Art. 17",
                          {{"completed", static_cast<double>(st.erasures_done)}}));
  r.duties.push_back(duty("CCPA", "opt_out_of_sale", true,
                          "opt-outs are recorded as the marketing purpose; the node has no path "
                          "that sells or shares user-level data",
                          {{"users_opted_out", static_cast<double>(t.marketing_opted_out)}}));
  double utilisation = global.limit_epsilon > 0 ? global.spent_epsilon / global.limit_epsilon : 0;
  r.duties.push_back(duty("DP", "global_budget", global.spent_epsilon <= global.limit_epsilon,
                          "every release accounted before it left; the global budget holds",
                          {{"utilisation", utilisation},
                           {"spent_epsilon", global.spent_epsilon},
                           {"limit_epsilon", global.limit_epsilon},
                           {"releases", static_cast<double>(global.releases)}}));
  auto k = gauge_value(*env.registry, "anonymization_k",
                       "k achieved by the last anonymized export");
  auto l = gauge_value(*env.registry, "anonymization_l",
                       "l achieved by the last anonymized export");
  bool exported = k > 0;
  r.duties.push_back(duty("DP", "anonymization_quality", !exported || (k >= 5 && l >= 2),
                          exported ? "the last anonymized export had k >= 5 and l >= 2"
                                   : "no anonymized export since start",
                          {{"k", k}, {"l", l}}));
  return r;
}

/// Scans the store page by page, then asks for the global budget and judges.
void scan(officer_ptr self, const officer_env& env, std::shared_ptr<scan_tally> t,
          std::string after, caf::typed_response_promise<compliance_report> rp) {
  auto mode = env.deps.settings.consent_mode == "explicit" ? privacy::consent_mode::explicit_grant
                                                           : privacy::consent_mode::implied;
  self->request(env.deps.store, caf::infinite, scan_atom::value, after, page_size)
    .then(
      [self, env, t, rp, mode](user_page_msg& page) mutable {
        for (const auto& u : page.users) {
          tally(*t, u, mode);
        }
        t->unreadable = t->unreadable || page.unreadable;
        if (page.users.size() == page_size) {
          return scan(self, env, t, page.users.back().user_id, rp);
        }
        self->request(env.deps.entry, cluster_request, budget_atom::value,
                      std::string{global_budget})
          .then([self, env, t, rp](budget_report& g) mutable { rp.deliver(judge(self, env, *t, g)); },
                [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      },
      [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

caf::behavior officer(officer_ptr self, officer_env env) {
  return {
    [self, env](erase_user_atom, std::string& user, std::string& by) {
      return erase(self, env, std::move(user), std::move(by));
    },
    [self, env](export_atom, std::string& user, std::string& by) {
      return export_user(self, env, std::move(user), std::move(by));
    },
    [self, env](consent_atom, std::string& user, consent_update& u) {
      return change_consent(self, env, std::move(user), std::move(u));
    },
    [self, env](compliance_atom) -> caf::result<compliance_report> {
      auto rp = self->make_response_promise<compliance_report>();
      scan(self, env, std::make_shared<scan_tally>(), "", rp);
      return rp;
    },
  };
}

} // namespace

caf::actor spawn_privacy_officer(caf::actor_system& sys, officer_deps deps,
                                 runtime::metrics_registry& metrics) {
  officer_metrics m{
    &metrics.get_counter("gdpr_erasures_total", "Users erased (GDPR Art. 17, CCPA delete)"),
    &metrics.get_counter("gdpr_erasure_failures_total", "Erasures that failed (retry them)"),
    &metrics.get_histogram("gdpr_erasure_seconds", "Time to erase a user everywhere",
                           runtime::latency_buckets()),
    &metrics.get_counter("gdpr_exports_total", "Exports of a user's data (Art. 15/20)"),
    &metrics.get_counter("consent_changes_total", "Consent changes recorded"),
    &metrics.get_histogram("consent_withdrawal_seconds",
                           "Time from a withdrawal's request to its durable record",
                           runtime::latency_buckets()),
  };
  return sys.spawn(officer, officer_env{std::move(deps), m, &metrics});
}

} // namespace aia::actors
