// Bridges the gateway's threads and the actors: one-shot request actors and connection actors.
#include "actors/connection.hpp"

#include "actors/messages/session.hpp"
#include "runtime/log.hpp"

#include <caf/all.hpp>

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
      case session_errc::unreadable:
        // Not a 503: retrying cannot help until an operator restores the user's data.
        return {"internal_error", "this user's stored data failed its integrity check and was "
                                  "not used; nothing was applied", 500};
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

struct connection_state {
  static inline const char* name = "connection";
  clock::time_point last_metrics{};
};

caf::behavior connection_actor(caf::stateful_actor<connection_state>* self, caf::actor sup,
                               std::string user, std::weak_ptr<push_sink> sink) {
  // Linked: when the supervisor stops (node shutdown), every connection actor stops with it.
  self->link_to(sup);
  self->send(sup, subscribe_atom::value, user, caf::actor_cast<caf::actor>(self));
  return {
    [=](submit_atom, interaction_batch& b) {
      b.wants_ack = true;
      // No timeout here: the session always answers (a crash answers with an error at once),
      // and a timer per batch costs a round through CAF's clock thread. REST keeps its edge
      // timeout because an HTTP client has nothing else to wait on.
      self->request(sup, caf::infinite, submit_atom::value, std::move(b))
        .then([](const batch_result&) {},
              [sink](caf::error& err) {
                if (auto s = sink.lock()) {
                  s->on_error(to_port_error(err));
                }
              });
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

/// Runs one request in a short-lived actor and hands the answer to `done`.
template <class T, class... Ts>
void one_shot(caf::actor_system& sys, const caf::actor& dst, std::chrono::milliseconds timeout,
              std::function<void(outcome<T>)> done, Ts... xs) {
  // `dst` goes through spawn, not a capture: CAF 0.17 binds a reference to a null tuple when a
  // function actor is spawned without arguments (UBSan reports it).
  sys.spawn([=](caf::event_based_actor* self, const caf::actor& to) {
    self->request(to, timeout, xs...)
      .then([done](T& x) { done(std::move(x)); },
            [done](caf::error& err) {
              log::debug("gateway.request_failed", {{"errc", caf::to_string(err)}});
              done(to_port_error(err));
            });
  }, dst);
}

class actor_gateway_port final : public gateway_port {
public:
  actor_gateway_port(caf::actor_system& sys, caf::actor sup,
                     std::shared_ptr<admission_queue> queue, std::chrono::milliseconds timeout)
    : sys_(sys), sup_(std::move(sup)), queue_(std::move(queue)), timeout_(timeout) {}

  void submit(interaction_batch b, std::function<void(outcome<batch_result>)> done) override {
    one_shot<batch_result>(sys_, sup_, timeout_, std::move(done), submit_atom::value,
                           std::move(b));
  }

  void profile(std::string user,
               std::function<void(outcome<model::user_profile>)> done) override {
    one_shot<model::user_profile>(sys_, sup_, timeout_, std::move(done), profile_atom::value,
                                  std::move(user));
  }

  std::unique_ptr<connection> open(std::string user, std::weak_ptr<push_sink> sink) override {
    auto a = sys_.spawn(connection_actor, sup_, std::move(user), std::move(sink));
    return std::make_unique<actor_connection>(std::move(a));
  }

  std::int64_t queue_length() const noexcept override { return queue_->length(); }

private:
  caf::actor_system& sys_;
  caf::actor sup_;
  std::shared_ptr<admission_queue> queue_;
  std::chrono::milliseconds timeout_;
};

} // namespace

std::unique_ptr<gateway_port> make_gateway_port(caf::actor_system& sys, caf::actor supervisor,
                                                std::shared_ptr<admission_queue> queue,
                                                std::chrono::milliseconds timeout) {
  return std::make_unique<actor_gateway_port>(sys, std::move(supervisor), std::move(queue),
                                              timeout);
}

} // namespace aia::actors
