// Bridges the gateway's threads and the actors: one-shot request actors and connection actors.
#include "actors/connection.hpp"

#include "actors/messages/analytics.hpp"
#include "actors/messages/cluster.hpp"
#include "actors/messages/privacy.hpp"
#include "actors/messages/session.hpp"
#include "runtime/log.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <map>

namespace aia::actors {

const char* to_string(session_errc x) noexcept {
  switch (x) {
    case session_errc::overloaded:
      return "overloaded";
    case session_errc::store_failed:
      return "store_failed";
    case session_errc::not_found:
      return "not_found";
    case session_errc::shutting_down:
      return "shutting_down";
    case session_errc::unreadable:
      return "unreadable";
    case session_errc::store_unavailable:
      return "store_unavailable";
    case session_errc::consent_required:
      return "consent_required";
    case session_errc::invalid_consent:
      return "invalid_consent";
    case session_errc::unknown_skill:
      return "unknown_skill";
    case session_errc::learning_disabled:
      return "learning_disabled";
    case session_errc::invalid_feedback:
      return "invalid_feedback";
  }
  return "unknown";
}

port_error to_port_error(const caf::error& err) {
  if (err.category() == session_category) {
    switch (static_cast<session_errc>(err.code())) {
      case session_errc::overloaded:
        return {"overloaded", "the analysis queue is full; retry later", 503};
      case session_errc::store_failed:
        return {"overloaded", "the store did not accept the interactions; nothing was stored",
                503};
      case session_errc::not_found:
        return {"not_found", "no such user", 404};
      case session_errc::shutting_down:
        return {"overloaded", "the node is shutting down; retry on another node", 503};
      case session_errc::consent_required:
        return {"consent_required", "the user has not consented to personalization (PUT "
                                    "/consent/{user_id}); nothing was processed or stored", 403};
      case session_errc::invalid_consent:
        return {"invalid_field", "a consent change must name each purpose at most once", 400};
      case session_errc::unknown_skill:
        return {"not_found", "the goal skill is neither in the skill graph nor answered by this "
                             "user", 404};
      case session_errc::invalid_feedback:
        return {"invalid_field", "feedback must name a known dimension and a value in its range",
                400};
      case session_errc::learning_disabled:
        return {"not_found", "adaptive learning is switched off on this node "
                             "(features.enable_adaptive_learning)", 404};
      case session_errc::store_unavailable:
        return {"overloaded", "the store is unavailable and this node's buffer for the outage "
                              "is full; nothing was stored, retry later", 503};
      case session_errc::unreadable:
        // Not a 503: retrying cannot help until an operator restores the user's data.
        return {"internal_error", "this user's stored data failed its integrity check and was "
                                  "not used; nothing was applied", 500};
    }
  }
  if (err.category() == analytics_category) {
    switch (static_cast<analytics_errc>(err.code())) {
      case analytics_errc::budget_exhausted: {
        auto resets = resets_at_of(err);
        auto now = std::chrono::duration<double>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
        return {"privacy_budget_exhausted",
                resets > 0 ? "the global privacy budget is spent; it resets at the time in "
                             "Retry-After"
                           : "the global privacy budget is spent and never resets "
                             "(privacy.budget_reset = never)",
                429, resets > 0 ? std::max(1.0, resets - now) : 0};
      }
      case analytics_errc::invalid_query:
        return {"invalid_field", "the query is not valid: check group_by, metrics, epsilon, "
                                 "delta, mechanism, k and l", 400};
      case analytics_errc::release_failed:
        return {"internal_error", "the release could not be computed; the budget was charged",
                500};
      default:
        return {"overloaded", "the store or the privacy accountant did not answer; nothing was "
                              "released", 503};
    }
  }
  if (err == caf::sec::request_timeout) {
    return {"overloaded", "the session did not answer in time; retry later", 503};
  }
  return {"overloaded", "the session is restarting; retry later", 503};
}

namespace {

using close_atom = caf::atom_constant<caf::atom("close")>;
using clock = std::chrono::steady_clock;

/// A batch sent and not answered yet, kept so that it can be sent again.
struct pending_batch {
  interaction_batch batch;
  int attempts = 0;
};

struct connection_state {
  static inline const char* name = "connection";
  clock::time_point last_metrics{};
  std::uint64_t next_id = 0;
  std::map<std::uint64_t, pending_batch> pending;  ///< by local id, oldest first
};

using connection_ptr = caf::stateful_actor<connection_state>*;

/// Retries of one batch after a refusal that another node, or a moment, can cure.
constexpr int max_attempts = 8;
constexpr std::chrono::milliseconds retry_delay{100};

/// A batch with an idempotency key can be sent twice: the session drops the repeat.
bool resendable(const interaction_batch& b) {
  if (!b.client_id.empty() && b.seq != 0) {
    return true;
  }
  return !b.interactions.empty()
         && std::all_of(b.interactions.begin(), b.interactions.end(),
                        [](const model::interaction& x) { return !x.client_id.empty() && x.seq; });
}

/// Refusals that say "not here, not now" (a session handing over or restarting, a node
/// leaving) rather than "never": worth another attempt at the owner the router finds then.
bool transient(const caf::error& err) {
  if (err.category() == session_category) {
    auto c = static_cast<session_errc>(err.code());
    return c == session_errc::shutting_down || c == session_errc::store_failed;
  }
  return err == caf::sec::request_receiver_down;
}

void report(const std::weak_ptr<push_sink>& sink, const port_error& e) {
  if (auto s = sink.lock()) {
    s->on_error(e);
  }
}

/// Sends pending batch `id` (again) through the router or supervisor. No timeout: a local
/// session always answers (a crash answers with an error at once), and a timer per batch costs
/// a round through CAF's clock thread. A batch whose owner node died is never answered: the
/// (moved_atom) that follows sends it again (its first request's handler stays behind, one per
/// batch in flight when a node dies).
void send_batch(connection_ptr self, const caf::actor& sup, std::weak_ptr<push_sink> sink,
                std::uint64_t id) {
  auto i = self->state.pending.find(id);
  if (i == self->state.pending.end()) {
    return;
  }
  ++i->second.attempts;
  self->request(sup, caf::infinite, submit_atom::value, i->second.batch)
    .then([self, id](const batch_result&) { self->state.pending.erase(id); },
          [self, sup, sink, id](caf::error& err) {
            auto i = self->state.pending.find(id);
            if (i == self->state.pending.end()) {
              return;  // answered through another attempt
            }
            if (transient(err) && resendable(i->second.batch)
                && i->second.attempts < max_attempts) {
              self->delayed_send(self, retry_delay * i->second.attempts, retry_atom::value, id);
              return;
            }
            self->state.pending.erase(i);
            report(sink, to_port_error(err));
          });
}

caf::behavior connection_actor(connection_ptr self, caf::actor sup, std::string user,
                               std::weak_ptr<push_sink> sink) {
  // Linked: when the supervisor stops (node shutdown), every connection actor stops with it.
  self->link_to(sup);
  self->send(sup, subscribe_atom::value, user, caf::actor_cast<caf::actor>(self));
  return {
    [=](submit_atom, interaction_batch& b) {
      b.wants_ack = true;
      auto id = ++self->state.next_id;
      self->state.pending.emplace(id, pending_batch{std::move(b), 0});
      send_batch(self, sup, sink, id);
    },
    [=](retry_atom, std::uint64_t id) { send_batch(self, sup, sink, id); },
    [=](moved_atom, const std::string&) {
      // The user's owner changed (a node joined, left or died): whatever is not answered may
      // be lost with the old owner. Send it again; repeats are dropped by the session.
      std::vector<std::uint64_t> lost;
      for (auto& [id, p] : self->state.pending) {
        if (resendable(p.batch)) {
          send_batch(self, sup, sink, id);
        } else {
          lost.push_back(id);
        }
      }
      for (auto id : lost) {
        self->state.pending.erase(id);
        report(sink, {"overloaded", "the node holding this user's session left before the "
                                    "batch was acknowledged; it has no clientId and seq, so it "
                                    "was not sent again: resend it if it is not in the profile",
                      503});
      }
    },
    [sink](ack_atom, const batch_ack& ack) {
      if (auto s = sink.lock()) {
        s->on_ack(ack);
      }
    },
    [self, sink](update_atom, const session_update& up) {
      auto s = sink.lock();
      if (!s) {
        return;
      }
      auto now = clock::now();
      bool with_metrics = now - self->state.last_metrics >= std::chrono::seconds{1};
      if (with_metrics) {
        self->state.last_metrics = now;
      }
      s->on_update(up, with_metrics);
    },
    [self, sup, user](close_atom) {
      self->send(sup, unsubscribe_atom::value, user, caf::actor_cast<caf::actor>(self));
      self->quit();
    },
  };
}

class actor_connection final : public connection {
public:
  explicit actor_connection(caf::actor a) : actor_(std::move(a)) {}
  ~actor_connection() override { caf::anon_send(actor_, close_atom::value); }
  void submit(interaction_batch b) override {
    caf::anon_send(actor_, submit_atom::value, std::move(b));
  }

private:
  caf::actor actor_;
};

} // namespace

std::unique_ptr<connection> open_connection(caf::actor_system& sys, caf::actor supervisor,
                                            std::string user, std::weak_ptr<push_sink> sink) {
  auto a = sys.spawn(connection_actor, std::move(supervisor), std::move(user), std::move(sink));
  return std::make_unique<actor_connection>(std::move(a));
}

} // namespace aia::actors
