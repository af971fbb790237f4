// The session actor: rehydrate, admit, append durably, fold, analyse, recommend, push.
#include "actors/session.hpp"

#include "actors/messages/analyzer.hpp"
#include "actors/messages/learning.hpp"
#include "actors/messages/session.hpp"
#include "actors/messages/store.hpp"
#include "actors/learning_view.hpp"
#include "actors/session_snapshot.hpp"
#include "model/interaction_codec.hpp"
#include "model/learning/learner.hpp"
#include "model/state/feedback_layer.hpp"
#include "model/state_model.hpp"
#include "runtime/log.hpp"
#include "runtime/metrics.hpp"
#include "runtime/prediction_monitor.hpp"
#include "runtime/wall_clock.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <cmath>
#include <functional>

namespace aia::actors {

session_metrics session_metrics::make(runtime::metrics_registry& reg) {
  session_metrics m{
    reg.get_counter("interactions_total", "Interactions applied to user sessions"),
    reg.get_counter("interactions_duplicate_total",
                    "Interactions acknowledged again without being applied (idempotent repeats)"),
    reg.get_counter("errors_total", "Requests refused, by reason", {{"reason", "overloaded"}}),
    reg.get_counter("errors_total", "Requests refused, by reason", {{"reason", "store_failed"}}),
    reg.get_histogram("interaction_processing_seconds",
                      "Time from reading a batch to its analysed user state",
                      runtime::latency_buckets()),
    reg.get_counter("errors_total", "Requests refused, by reason",
                    {{"reason", "consent_required"}}),
    reg.get_gauge("unconsented_processing_attempts",
                  "Interactions refused since start because the user had not consented to "
                  "personalization (only grows)"),
    reg.get_counter("learning_answers_total",
                    "Graded answers folded into learners (POST /learning/answer and answer "
                    "interactions)"),
    std::make_shared<runtime::prediction_monitor>(),
  };
  reg.add_callback_gauge(
    "model_prediction_accuracy",
    "Share of the latest 1000 graded answers on this node whose knowledge-tracing prediction "
    "made before the answer (p >= 0.5 means right) matched it; NaN below 50 answers",
    [p = m.predictions] { return p->accuracy(); });
  return m;
}

namespace {

using clock = std::chrono::steady_clock;

/// Requests to the node's own store writer, analyzers and supervisor carry no timeout: they are
/// local and always answer (a dead receiver still yields an error at once), and every timeout
/// costs a round through CAF's clock thread, which showed up first in profiles under load.
constexpr auto local_request = caf::infinite;

/// What one admitted batch turns into.
struct batch_plan {
  std::vector<model::interaction> fresh;             ///< to apply, in order
  std::vector<runtime::stored_event> events;         ///< their durable form
  std::vector<std::pair<std::string, std::uint64_t>> marks; ///< dedupe marks made for them
  batch_ack ack;
  std::int64_t received_ns = 0;
  std::size_t admitted = 0;                          ///< queue slots reserved
  caf::actor ack_to;                                 ///< connection to send the ack to
};

using deps_ptr = std::shared_ptr<const session_deps>;

struct session_state {
  static inline const char* name = "session";
  std::string user;
  session_snapshot data;               ///< counts, window, dedupe; last_seq = folded position
  std::uint64_t assigned_seq = 0;      ///< last log position handed out
  std::uint64_t snapshot_seq = 0;      ///< position of the newest durable snapshot
  model::user_state base;              ///< the population model's output, before feedback
  model::user_state state;             ///< base with the person's feedback offsets applied
  std::vector<model::recommendation> recs;
  std::vector<caf::actor> subscribers;
  std::uint64_t handled = 0;           ///< messages received through the supervisor
  int inflight = 0;                    ///< admitted batches not yet answered
  clock::time_point last_active = clock::now();
  bool passivating = false;
  bool draining = false;
  bool erasing = false;                ///< the user is being erased: stop without a snapshot
  bool broken = false;                 ///< a write failed: the state may be ahead of the store
  privacy::consent_state consent;      ///< what counts now (withdrawals count before durable)
  privacy::consent_state consent_staged; ///< consent with every change sent to the store
  model::state::feedback_state feedback;        ///< durable per-user offsets
  model::state::feedback_state feedback_staged; ///< with every report sent to the store
};

/// The per-user layer over the state model (its assumptions: model/state/feedback_layer.hpp).
const model::state::feedback_layer feedback_layer{};

constexpr std::string_view consent_kind = "consent";
constexpr std::string_view feedback_kind = "feedback";

using session_ptr = caf::stateful_actor<session_state>*;

/// The idempotency key of interaction `x` within batch `b`: its own pair, else the batch's.
std::pair<const std::string*, std::uint64_t> key_of(const interaction_batch& b,
                                                    const model::interaction& x) {
  if (!x.client_id.empty() && x.seq != 0) {
    return {&x.client_id, x.seq};
  }
  return {&b.client_id, b.seq};
}

/// Splits a batch into repeats and fresh interactions, assigns log positions, marks the keys.
batch_plan plan_batch(session_state& st, interaction_batch& b, const session_options& opt) {
  batch_plan plan;
  plan.received_ns = b.received_ns;
  plan.admitted = b.interactions.size();
  plan.ack.client_id = b.client_id;
  plan.ack.accepted = static_cast<std::uint32_t>(b.interactions.size());
  std::uint64_t last_client_seq = 0;
  for (auto& x : b.interactions) {
    auto [client, seq] = key_of(b, x);
    if (seq != 0) {
      last_client_seq = seq;
      if (plan.ack.client_id.empty()) {
        plan.ack.client_id = *client;
      }
    }
    // A batch-level key is marked after the loop, so it only repeats an earlier batch.
    if (st.data.dedupe.seen(*client, seq)) {
      ++plan.ack.duplicates;
      continue;
    }
    if (client != &b.client_id) {
      st.data.dedupe.mark(*client, seq);
      plan.marks.emplace_back(*client, seq);
    }
    auto pos = ++st.assigned_seq;
    if (opt.persist_events) {
      plan.events.push_back(runtime::stored_event{
        st.user, pos, *client, seq, x.timestamp, runtime::wall_seconds(),
        model::encode_interaction(x, opt.keep_element_id)});
    }
    plan.fresh.push_back(std::move(x));
  }
  if (!b.client_id.empty() && b.seq != 0 && !plan.fresh.empty()) {
    st.data.dedupe.mark(b.client_id, b.seq);
    plan.marks.emplace_back(b.client_id, b.seq);
  }
  plan.ack.seq = b.seq != 0 ? b.seq : (last_client_seq != 0 ? last_client_seq : st.assigned_seq);
  plan.ack.last_event_seq = st.assigned_seq;
  return plan;
}

/// Folds applied interactions into the window, counters and learner; a graded answer's outcome
/// (the prediction made before it) is returned.
std::optional<model::learning::answer_outcome>
fold(session_snapshot& d, const model::interaction& x, std::uint64_t pos,
     const model::learning::learning_engine& learning) {
  d.window.add(x);
  ++d.interaction_count;
  ++d.counts_by_type[static_cast<std::size_t>(x.type)];
  if (d.first_seen == 0 || x.timestamp < d.first_seen) {
    d.first_seen = x.timestamp;
  }
  d.last_seen = std::max(d.last_seen, x.timestamp);
  d.last_seq = std::max(d.last_seq, pos);
  return learning.observe(d.learner, x);
}

bool same_recommendations(const std::vector<model::recommendation>& a,
                          const std::vector<model::recommendation>& b) {
  auto same_params = [](const model::recommendation& x, const model::recommendation& y) {
    if (x.type != y.type || x.parameters.size() != y.parameters.size()) {
      return false;
    }
    for (std::size_t i = 0; i < x.parameters.size(); ++i) {
      const auto& p = x.parameters[i];
      const auto& q = y.parameters[i];
      if (p.name != q.name || p.number != q.number || p.text != q.text) {
        return false;
      }
    }
    return true;
  };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), same_params);
}

bool refresh_state(session_state& st, const session_deps& deps);

/// Sets the state from a model output and re-derives the recommendations. Once the learner has
/// engaged with content of known modality, the learning style is that evidence's preference
/// (engagement and success per modality) instead of the behaviour model's estimate.
bool apply_state(session_state& st, model::user_state s, const session_deps& deps) {
  s.interaction_count = st.data.interaction_count;
  s.updated_at = runtime::wall_seconds();
  if (auto style = deps.learning->style(st.data.learner); style.evidence > 0) {
    s.style_scores = style.scores;
    s.primary_style = style.primary;
    s.confidence.learning_style = style.confidence;
  }
  st.base = std::move(s);
  return refresh_state(st, deps);
}

/// Re-applies the person's feedback offsets to the model's state and re-derives the
/// recommendations (whose confidence follows the state's); true if they changed.
bool refresh_state(session_state& st, const session_deps& deps) {
  st.state = feedback_layer.apply(st.feedback, st.base);
  auto recs = model::recommend(st.user, st.state, deps.opt.recommender);
  bool changed = !same_recommendations(recs, st.recs);
  st.recs = std::move(recs);
  return changed;
}

/// A session whose history failed its integrity check: every request waiting for it, and any
/// that comes within `linger`, is answered `unreadable` (so clients get a definite error instead
/// of a retry loop); then it stops with that reason and its supervisor decides on a restart.
void refuse_all(session_ptr self, std::chrono::milliseconds linger) {
  self->set_default_handler(
    [](caf::scheduled_actor* me, caf::message_view&) -> caf::result<caf::message> {
      // Only requests get the error: an error sent as a plain message would make its receiver
      // (the supervisor, for a drain) quit.
      if (me->current_mailbox_element()->mid.is_request()) {
        return make_error(session_errc::unreadable);
      }
      return caf::message{};
    });
  self->become([self](idle_atom) { self->quit(make_error(session_errc::unreadable)); });
  self->delayed_send(self, linger, idle_atom::value);
}

/// Rebuilds the session from its history; false if the history is unreadable.
bool rehydrate(session_state& st, loaded_history& h, const session_deps& deps) {
  for (const auto& r : h.records) {
    if (r.kind == consent_kind) {
      auto c = privacy::consent_state::decode(r.data.data(), r.data.size());
      if (!c || c->version() != r.version) {
        log::error("session.consent_unreadable", {{"version", r.version}});
        return false;
      }
      st.consent = std::move(*c);
      st.consent_staged = st.consent;
    } else if (r.kind == feedback_kind) {
      auto f = model::state::feedback_state::decode(r.data.data(), r.data.size());
      if (!f || f->version != r.version) {
        log::error("session.feedback_unreadable", {{"version", r.version}});
        return false;
      }
      st.feedback = std::move(*f);
      st.feedback_staged = st.feedback;
    }
  }
  if (h.has_snapshot) {
    auto snap = decode_snapshot(h.snapshot.data.data(), h.snapshot.data.size());
    if (!snap) {
      log::error("session.snapshot_unreadable", {{"seq", h.snapshot.seq}});
      return false;
    }
    st.data = std::move(*snap);
    st.snapshot_seq = h.snapshot.seq;
  }
  double updated_at = st.data.state_updated_at;
  for (auto& e : h.events) {
    updated_at = std::max(updated_at, e.stored_at);
    auto x = model::decode_interaction(e.payload.data(), e.payload.size());
    if (!x) {
      log::error("session.event_unreadable", {{"seq", e.seq}});
      return false;
    }
    fold(st.data, *x, e.seq, *deps.learning);  // outcomes were counted when first applied
    st.data.dedupe.mark(e.client_id, e.client_seq);
  }
  st.assigned_seq = st.data.last_seq;
  if (st.data.interaction_count > 0) {
    std::vector<model::user_state> out;
    deps.predictor->predict({st.data.window.features()}, out);
    apply_state(st, std::move(out.front()), deps);
    st.state.updated_at = updated_at;  // when it was computed before, not now
  } else {
    refresh_state(st, deps);
  }
  return true;
}

model::user_profile make_profile(const session_state& st) {
  return model::user_profile{st.user,
                             st.state,
                             st.recs,
                             st.data.interaction_count,
                             st.data.counts_by_type,
                             st.data.first_seen,
                             st.data.last_seen};
}

// -- completion of a batch --------------------------------------------------------------------

/// Writes a snapshot if the session moved on since the last one; `then` runs once it is durable
/// (or at once when nothing needed writing).
void write_snapshot(session_ptr self, const deps_ptr& deps, std::function<void(bool)> then) {
  auto& st = self->state;
  if (!deps->opt.persist_events || st.data.last_seq == st.snapshot_seq) {
    then(true);
    return;
  }
  st.data.state_updated_at = st.state.updated_at;
  runtime::snapshot_record rec{st.user, st.data.last_seq, encode_snapshot(st.data), runtime::wall_seconds()};
  auto seq = rec.seq;
  self->request(deps->store, local_request, write_atom::value,
                std::vector<runtime::stored_event>{}, std::vector<runtime::snapshot_record>{rec})
    .then(
      [self, seq, then](bool) {
        self->state.snapshot_seq = std::max(self->state.snapshot_seq, seq);
        then(true);
      },
      [then](caf::error&) { then(false); });
}

/// The answer to a batch. A WebSocket's batch (acked by message) gets the ack alone: its socket
/// has the state from the update pushed to it, and the answer may cross the cluster.
batch_result result_for(const batch_plan& plan, const session_state& st, double processing_ms) {
  if (plan.ack_to) {
    return batch_result{plan.ack, {}, {}, processing_ms};
  }
  return batch_result{plan.ack, st.state, st.recs, processing_ms};
}

/// Called whenever a batch is answered: finishes a drain that was waiting for it.
void batch_finished(session_ptr self, const deps_ptr& deps) {
  auto& st = self->state;
  --st.inflight;
  if (st.inflight > 0) {
    return;
  }
  if (st.broken) {
    // Rebuild from the store rather than go on from a state it may not hold (a write refused
    // because another node wrote the same position, or lost with Redis): the supervisor
    // restarts the session from its history.
    self->quit(make_error(session_errc::store_failed));
    return;
  }
  if (st.erasing) {
    self->quit();  // nothing more is written: the supervisor erases what the store holds
  } else if (st.draining) {
    write_snapshot(self, deps, [self](bool) { self->quit(); });
  } else if (deps->opt.persist_events
             && st.data.last_seq - st.snapshot_seq >= deps->opt.snapshot_every) {
    write_snapshot(self, deps, [](bool) {});
  }
}

/// Runs the analysis of a stored batch and answers everyone.
void analyse(session_ptr self, const deps_ptr& deps, std::shared_ptr<batch_plan> plan,
             caf::typed_response_promise<batch_result> rp) {
  auto& st = self->state;
  const auto& analyzer = deps->analyzers[std::hash<std::string>{}(st.user) % deps->analyzers.size()];
  auto finish = [self, deps, plan, rp](double model_ms, bool changed) mutable {
    auto& st = self->state;
    auto now_ns = clock::now().time_since_epoch().count();
    double processing_ms = plan->received_ns > 0
                             ? static_cast<double>(now_ns - plan->received_ns) / 1e6
                             : model_ms;
    deps->metrics->processing_seconds.observe(processing_ms / 1e3);
    session_update up{st.state, st.recs, changed, processing_ms, model_ms,
                      static_cast<std::uint64_t>(deps->queue->length())};
    for (auto& sub : st.subscribers) {
      self->send(sub, update_atom::value, up);
    }
    deps->queue->release(static_cast<std::int64_t>(plan->admitted));
    rp.deliver(result_for(*plan, st, processing_ms));
    batch_finished(self, deps);
  };
  self->request(analyzer, local_request, analyze_atom::value, st.data.window.features())
    .then(
      [self, deps, finish](analysis& a) mutable {
        bool changed = apply_state(self->state, std::move(a.state), *deps);
        finish(a.model_ms, changed);
      },
      [finish](caf::error& err) mutable {
        // Stored and acknowledged already: answer with the last state rather than fail.
        log::warn("session.analysis_failed", {{"errc", caf::to_string(err)}});
        finish(0, false);
      });
}

/// The batch is durable: acknowledge it, fold it in, analyse.
void on_durable(session_ptr self, const deps_ptr& deps, std::shared_ptr<batch_plan> plan,
                caf::typed_response_promise<batch_result> rp) {
  auto& st = self->state;
  if (plan->ack_to) {
    self->send(plan->ack_to, ack_atom::value, plan->ack);
  }
  auto first = plan->ack.last_event_seq - plan->fresh.size() + 1;
  for (std::size_t i = 0; i < plan->fresh.size(); ++i) {
    if (auto outcome = fold(st.data, plan->fresh[i], first + i, *deps->learning)) {
      deps->metrics->learning_answers.inc();
      deps->metrics->predictions->record(outcome->p_predicted, outcome->correct);
    }
  }
  deps->metrics->interactions.inc(plan->fresh.size());
  deps->metrics->duplicates.inc(plan->ack.duplicates);
  if (plan->fresh.empty()) {
    // Nothing new: answer with the current state, no analysis needed.
    deps->queue->release(static_cast<std::int64_t>(plan->admitted));
    rp.deliver(result_for(*plan, st, 0));
    batch_finished(self, deps);
    return;
  }
  analyse(self, deps, std::move(plan), rp);
}

/// The store refused the batch: nothing was acknowledged. The session refuses further batches
/// and, once those in flight are answered, stops to be rebuilt from the store.
void on_store_failed(session_ptr self, const deps_ptr& deps, const batch_plan& plan,
                     caf::typed_response_promise<batch_result> rp, const caf::error& err) {
  for (const auto& [client, seq] : plan.marks) {
    self->state.data.dedupe.unmark(client, seq);
  }
  self->state.broken = true;
  deps->metrics->store_failures.inc();
  deps->queue->release(static_cast<std::int64_t>(plan.admitted));
  log::error("session.store_failed", {{"errc", caf::to_string(err)}});
  rp.deliver(err.category() == session_category ? err : make_error(session_errc::store_failed));
  batch_finished(self, deps);
}

/// Why the session takes no write now (draining, or to be rebuilt after a failed write).
std::optional<caf::error> write_refusal(const session_state& st) {
  if (st.draining) {
    return make_error(session_errc::shutting_down);
  }
  if (st.broken) {
    return make_error(session_errc::store_failed);
  }
  return std::nullopt;
}

/// True if the user consented to personalization; a refusal is counted.
bool personalization_allowed(const session_state& st, const session_deps& deps) {
  if (st.consent.granted(privacy::purpose::personalization, deps.opt.consent_mode)) {
    return true;
  }
  deps.metrics->consent_required.inc();
  return false;
}

/// A record write (consent, feedback) failed: the change is not in the store, so the session
/// rebuilds from it once its work in flight is done (the caller answers, then batch_finished).
void record_failed(session_state& st, const session_deps& deps, const char* event,
                   const caf::error& err) {
  log::error(event, {{"errc", caf::to_string(err)}});
  st.broken = true;
  deps.metrics->store_failures.inc();
}

caf::result<batch_result> submit(session_ptr self, const deps_ptr& deps,
                                 interaction_batch& b) {
  auto& st = self->state;
  if (auto refused = write_refusal(st)) {
    return *refused;
  }
  // Consent before anything else: nothing of a user who has not consented is stored or analysed.
  if (!personalization_allowed(st, *deps)) {
    deps->metrics->unconsented.add(static_cast<double>(b.interactions.size()));
    return make_error(session_errc::consent_required);
  }
  if (!deps->queue->try_reserve(static_cast<std::int64_t>(b.interactions.size()))) {
    deps->metrics->overloaded.inc();
    return make_error(session_errc::overloaded);
  }
  auto plan = std::make_shared<batch_plan>(plan_batch(st, b, deps->opt));
  if (b.wants_ack) {
    plan->ack_to = caf::actor_cast<caf::actor>(self->current_sender());
  }
  auto rp = self->make_response_promise<batch_result>();
  ++st.inflight;
  if (plan->events.empty()) {
    on_durable(self, deps, plan, rp);
    return rp;
  }
  auto events = std::move(plan->events);
  self->request(deps->store, local_request, write_atom::value, std::move(events),
                std::vector<runtime::snapshot_record>{})
    .then([self, deps, plan, rp](bool) { on_durable(self, deps, plan, rp); },
          [self, deps, plan, rp](caf::error& err) { on_store_failed(self, deps, *plan, rp, err); });
  return rp;
}

// -- consent ------------------------------------------------------------------------------------

consent_reply consent_of(const session_state& st, const session_deps& deps) {
  return consent_reply{st.user, st.consent.encode(),
                       static_cast<std::uint8_t>(deps.opt.consent_mode)};
}

/// Records a consent change: durable first, answered after. A withdrawal counts at once (never
/// more processing than the user allows); a grant counts once it is durable. A failed write
/// makes the session rebuild from the store, where the change is not.
caf::result<consent_reply> change_consent(session_ptr self, const deps_ptr& deps,
                                          consent_update& u) {
  auto& st = self->state;
  if (auto refused = write_refusal(st)) {
    return *refused;
  }
  std::vector<std::pair<privacy::purpose, bool>> set;
  bool withdraws = false;
  for (std::size_t i = 0; i < u.purposes.size() && i < u.granted.size(); ++i) {
    auto p = privacy::parse_purpose(u.purposes[i]);
    if (!p) {
      return make_error(session_errc::invalid_consent);
    }
    set.emplace_back(*p, u.granted[i] != 0);
    withdraws = withdraws || u.granted[i] == 0;
  }
  auto next = st.consent_staged;
  try {
    next.apply(std::move(set), runtime::wall_seconds(), std::move(u.source));
  } catch (const std::invalid_argument&) {
    return make_error(session_errc::invalid_consent);
  }
  st.consent_staged = next;
  if (withdraws) {
    st.consent = next;
  }
  runtime::user_record rec{st.user, std::string{consent_kind}, next.version(), next.encode(),
                           runtime::wall_seconds()};
  auto rp = self->make_response_promise<consent_reply>();
  ++st.inflight;
  self->request(deps->store, local_request, put_record_atom::value, std::move(rec))
    .then(
      [self, deps, rp, next](bool) mutable {
        auto& st = self->state;
        if (st.consent.version() < next.version()) {
          st.consent = next;
        }
        rp.deliver(consent_of(st, *deps));
        batch_finished(self, deps);
      },
      [self, deps, rp](caf::error& err) mutable {
        record_failed(self->state, *deps, "session.consent_store_failed", err);
        rp.deliver(make_error(session_errc::store_failed));
        batch_finished(self, deps);
      });
  return rp;
}

// -- feedback -----------------------------------------------------------------------------------

/// Records a person's report on one state dimension: durable first (a versioned record), then
/// the offsets, the state and the recommendations follow it and every socket gets the update.
caf::result<feedback_reply> give_feedback(session_ptr self, const deps_ptr& deps,
                                          feedback_update& u) {
  auto& st = self->state;
  if (auto refused = write_refusal(st)) {
    return *refused;
  }
  if (!personalization_allowed(st, *deps)) {
    return make_error(session_errc::consent_required);
  }
  auto dim = model::state::parse_state_dimension(u.dimension);
  if (!dim) {
    return make_error(session_errc::invalid_feedback);
  }
  auto [lo, hi] = model::state::range_of(*dim);
  if (!(u.value >= lo && u.value <= hi)) {
    return make_error(session_errc::invalid_feedback);
  }
  const double model_value = model::state::feedback_layer::value_of(st.base, *dim);
  auto next = st.feedback_staged;
  feedback_layer.observe(next, *dim, model_value, u.value, u.timestamp);
  st.feedback_staged = next;
  runtime::user_record rec{st.user, std::string{feedback_kind}, next.version, next.encode(),
                           runtime::wall_seconds()};
  auto rp = self->make_response_promise<feedback_reply>();
  ++st.inflight;
  auto index = static_cast<std::size_t>(*dim);
  self->request(deps->store, local_request, put_record_atom::value, std::move(rec))
    .then(
      [self, deps, rp, next, index, model_value, dimension = u.dimension](bool) mutable {
        auto& st = self->state;
        if (st.feedback.version < next.version) {
          st.feedback = next;
        }
        bool changed = refresh_state(st, *deps);
        session_update up{st.state, st.recs, changed, 0, 0,
                          static_cast<std::uint64_t>(deps->queue->length())};
        for (auto& sub : st.subscribers) {
          self->send(sub, update_atom::value, up);
        }
        const auto& o = st.feedback.offsets[index];
        rp.deliver(feedback_reply{make_profile(st), std::move(dimension), model_value, o.mean,
                                  std::sqrt(std::max(0.0, o.variance)), o.labels});
        batch_finished(self, deps);
      },
      [self, deps, rp](caf::error& err) mutable {
        record_failed(self->state, *deps, "session.feedback_store_failed", err);
        rp.deliver(make_error(session_errc::store_failed));
        batch_finished(self, deps);
      });
  return rp;
}

// -- passivation --------------------------------------------------------------------------------

/// Idle check: snapshot, then ask the supervisor whether nothing is on its way to us.
void on_idle(session_ptr self, const deps_ptr& deps, caf::actor supervisor) {
  auto& st = self->state;
  auto idle_for = clock::now() - st.last_active;
  bool empty = st.data.interaction_count == 0;
  if (st.passivating || st.draining || st.inflight > 0 || !st.subscribers.empty()
      || (!empty && idle_for < deps->opt.idle_timeout)) {
    return;
  }
  st.passivating = true;
  auto handled = st.handled;
  write_snapshot(self, deps, [self, handled, supervisor, deps](bool ok) {
    auto& st = self->state;
    if (!ok || st.handled != handled || st.inflight > 0) {
      st.passivating = false;
      return;
    }
    self->request(supervisor, local_request, passivate_atom::value, handled)
      .then(
        [self](bool granted) {
          if (granted) {
            self->quit();
          } else {
            self->state.passivating = false;
          }
        },
        [self](caf::error&) { self->state.passivating = false; });
  });
}

caf::behavior serve(session_ptr self, const deps_ptr& deps, caf::actor supervisor) {
  auto tick = std::max(std::chrono::milliseconds{50}, deps->opt.idle_timeout / 2);
  self->delayed_send(self, tick, idle_atom::value);
  return {
    [self, deps](submit_atom, interaction_batch& b) -> caf::result<batch_result> {
      ++self->state.handled;
      self->state.last_active = clock::now();
      return submit(self, deps, b);
    },
    [self, deps, supervisor](profile_atom, const std::string&) -> caf::result<model::user_profile> {
      auto& st = self->state;
      ++st.handled;
      if (st.data.interaction_count == 0) {
        self->send(self, idle_atom::value);  // nothing to keep: free the memory soon
        return make_error(session_errc::not_found);
      }
      st.last_active = clock::now();
      return make_profile(st);
    },
    [self, deps](consent_atom, const std::string&) {
      ++self->state.handled;
      return consent_of(self->state, *deps);
    },
    [self, deps](feedback_atom, const std::string&, feedback_update& u) {
      ++self->state.handled;
      self->state.last_active = clock::now();
      return give_feedback(self, deps, u);
    },
    [self, deps](learn_atom, const std::string&,
                 const learning_query& q) -> caf::result<learning_reply> {
      auto& st = self->state;
      ++st.handled;
      if (!deps->learning->config().enabled) {
        return make_error(session_errc::learning_disabled);
      }
      // Choosing items and paths from a learner's record is personalization.
      if (!personalization_allowed(st, *deps)) {
        return make_error(session_errc::consent_required);
      }
      if (st.data.interaction_count == 0) {
        self->send(self, idle_atom::value);  // nothing to keep: free the memory soon
      } else {
        st.last_active = clock::now();
      }
      learning_refusal why{};
      auto r = make_learning_reply(*deps->learning, st.data.learner, st.state, st.user, q,
                                   runtime::wall_seconds(), &why);
      if (!r) {
        return make_error(why == learning_refusal::unknown_skill ? session_errc::unknown_skill
                                                                 : session_errc::not_found);
      }
      return std::move(*r);
    },
    [self, deps](consent_atom, const std::string&, consent_update& u) {
      ++self->state.handled;
      self->state.last_active = clock::now();
      return change_consent(self, deps, u);
    },
    [self](subscribe_atom, const std::string&, caf::actor& conn) {
      auto& subs = self->state.subscribers;
      ++self->state.handled;
      if (std::find(subs.begin(), subs.end(), conn) == subs.end()) {
        subs.push_back(std::move(conn));
      }
    },
    [self](unsubscribe_atom, const std::string&, const caf::actor& conn) {
      auto& subs = self->state.subscribers;
      ++self->state.handled;
      self->state.last_active = clock::now();
      subs.erase(std::remove(subs.begin(), subs.end(), conn), subs.end());
    },
    [self, deps, supervisor, tick](idle_atom) {
      on_idle(self, deps, supervisor);
      self->delayed_send(self, tick, idle_atom::value);
    },
    [self, deps](drain_atom) {
      // Stop taking work; the last batch to finish snapshots and stops the session.
      auto& st = self->state;
      st.draining = true;
      ++st.inflight;
      batch_finished(self, deps);
    },
    [self, deps](erase_user_atom) {
      // Like a drain, but the batches in flight finish and nothing else is written.
      auto& st = self->state;
      st.draining = true;
      st.erasing = true;
      ++st.inflight;
      batch_finished(self, deps);
    },
    [self](crash_atom) { self->quit(caf::sec::runtime_error); },
  };
}

caf::behavior session(session_ptr self, std::string user, deps_ptr deps,
                      std::vector<caf::actor> subscribers, caf::actor supervisor) {
  self->state.user = std::move(user);
  self->state.data.window = model::feature_window(deps->opt.ring_capacity);
  self->state.subscribers = std::move(subscribers);
  // Rehydrate before anything else (at Maximum privacy the store holds no events or snapshots,
  // only records such as consent): `await` holds every other message until the history is in.
  self->request(deps->store, local_request, load_atom::value, self->state.user)
    .await(
      [self, deps](loaded_history& h) {
        if (!rehydrate(self->state, h, *deps)) {
          refuse_all(self, deps->opt.unreadable_linger);
        }
      },
      [self](caf::error& err) {
        log::error("session.load_failed", {{"errc", caf::to_string(err)}});
        self->quit(err);
      });
  return serve(self, deps, supervisor);
}

} // namespace

caf::actor spawn_session(caf::event_based_actor* parent, std::string user, session_deps deps,
                         std::vector<caf::actor> subscribers) {
  if (!deps.learning) {
    deps.learning = std::make_shared<const model::learning::learning_engine>();
  }
  auto shared = std::make_shared<const session_deps>(std::move(deps));
  return parent->spawn<caf::monitored>(session, std::move(user), std::move(shared),
                                       std::move(subscribers),
                                       caf::actor_cast<caf::actor>(parent));
}

} // namespace aia::actors
