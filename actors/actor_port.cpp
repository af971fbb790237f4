// The gateway_port over CAF: one short-lived actor per REST call.
#include "actors/actor_port.hpp"

#include "actors/connection.hpp"
#include "actors/messages/analytics.hpp"
#include "actors/messages/learning.hpp"
#include "actors/messages/privacy.hpp"
#include "actors/messages/rights.hpp"
#include "actors/messages/session.hpp"
#include "runtime/log.hpp"

#include <caf/all.hpp>

namespace aia::actors {

namespace {

/// Rights may wait for a session to finish its batches, or read a user's whole history.
constexpr std::chrono::milliseconds rights_timeout{60000};

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
  actor_gateway_port(caf::actor_system& sys, port_actors actors, privacy_settings privacy,
                     std::shared_ptr<admission_queue> queue, std::chrono::milliseconds timeout)
    : sys_(sys), sup_(std::move(actors.entry)), officer_(std::move(actors.officer)),
      analytics_(std::move(actors.analytics)),
      privacy_(std::move(privacy)), queue_(std::move(queue)), timeout_(timeout) {}

  void privacy(std::function<void(outcome<privacy_status>)> done) override {
    std::function<void(outcome<budget_report>)> with_settings =
      [settings = privacy_, done = std::move(done)](outcome<budget_report> out) {
        if (auto* err = std::get_if<port_error>(&out)) {
          return done(*err);
        }
        done(privacy_status{settings, std::get<budget_report>(out)});
      };
    one_shot<budget_report>(sys_, sup_, timeout_, std::move(with_settings),
                            budget_atom::value, std::string{actors::global_budget});
  }

  void submit(interaction_batch b, std::function<void(outcome<batch_result>)> done) override {
    one_shot<batch_result>(sys_, sup_, timeout_, std::move(done), submit_atom::value,
                           std::move(b));
  }

  void profile(std::string user,
               std::function<void(outcome<model::user_profile>)> done) override {
    one_shot<model::user_profile>(sys_, sup_, timeout_, std::move(done), profile_atom::value,
                                  std::move(user));
  }

  void feedback(std::string user, feedback_update u,
                std::function<void(outcome<feedback_reply>)> done) override {
    one_shot<feedback_reply>(sys_, sup_, timeout_, std::move(done), feedback_atom::value,
                             std::move(user), std::move(u));
  }

  void learning(std::string user, learning_query q,
                std::function<void(outcome<learning_reply>)> done) override {
    one_shot<learning_reply>(sys_, sup_, timeout_, std::move(done), learn_atom::value,
                             std::move(user), std::move(q));
  }

  void consent(std::string user, std::function<void(outcome<consent_reply>)> done) override {
    one_shot<consent_reply>(sys_, sup_, timeout_, std::move(done), consent_atom::value,
                            std::move(user));
  }

  void change_consent(std::string user, consent_update change,
                      std::function<void(outcome<consent_reply>)> done) override {
    // Through the officer, which records the change in the audit log once it is durable.
    one_shot<consent_reply>(sys_, officer_, timeout_, std::move(done), consent_atom::value,
                            std::move(user), std::move(change));
  }

  void erase(std::string user, std::string by,
             std::function<void(outcome<erasure_receipt>)> done) override {
    one_shot<erasure_receipt>(sys_, officer_, rights_timeout, std::move(done),
                              erase_user_atom::value, std::move(user), std::move(by));
  }

  void export_user(std::string user, std::string by,
                   std::function<void(outcome<user_export>)> done) override {
    one_shot<user_export>(sys_, officer_, rights_timeout, std::move(done), export_atom::value,
                          std::move(user), std::move(by));
  }

  void compliance(std::function<void(outcome<compliance_report>)> done) override {
    one_shot<compliance_report>(sys_, officer_, rights_timeout, std::move(done),
                                compliance_atom::value);
  }

  void aggregate(aggregate_query q, std::function<void(outcome<aggregate_release>)> done) override {
    one_shot<aggregate_release>(sys_, analytics_, rights_timeout, std::move(done),
                                aggregate_atom::value, std::move(q));
  }

  void anonymize(anonymize_query q,
                 std::function<void(outcome<anonymized_release>)> done) override {
    one_shot<anonymized_release>(sys_, analytics_, rights_timeout, std::move(done),
                                 anonymize_atom::value, std::move(q));
  }

  std::unique_ptr<connection> open(std::string user, std::weak_ptr<push_sink> sink) override {
    return open_connection(sys_, sup_, std::move(user), std::move(sink));
  }

  std::int64_t queue_length() const noexcept override { return queue_->length(); }

private:
  caf::actor_system& sys_;
  caf::actor sup_;
  caf::actor officer_;
  caf::actor analytics_;
  privacy_settings privacy_;
  std::shared_ptr<admission_queue> queue_;
  std::chrono::milliseconds timeout_;
};

} // namespace

std::unique_ptr<gateway_port> make_gateway_port(caf::actor_system& sys, port_actors actors,
                                                privacy_settings privacy,
                                                std::shared_ptr<admission_queue> queue,
                                                std::chrono::milliseconds timeout) {
  return std::make_unique<actor_gateway_port>(sys, std::move(actors), std::move(privacy),
                                              std::move(queue), timeout);
}

} // namespace aia::actors
