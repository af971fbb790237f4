// The gateway's window onto the actors: plain C++ (no CAF), so net/ stays free of actor headers.
#pragma once

#include "actors/analytics_types.hpp"
#include "actors/learning_types.hpp"
#include "actors/privacy_types.hpp"
#include "actors/rights_types.hpp"
#include "actors/session_types.hpp"
#include "model/profile.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>

namespace aia::actors {

/// A refusal to pass on to the client: PROTOCOL.md code, human message, HTTP status.
struct port_error {
  std::string code;
  std::string message;
  int http_status = 500;
  double retry_after = 0;  ///< seconds until a retry can succeed (429, 503); 0 = unknown
};

/// Either the answer or why there is none.
template <class T>
using outcome = std::variant<T, port_error>;

/// Receives what the actors push to one WebSocket. Called on actor threads: implementations
/// hand the work to their own executor and return at once.
class push_sink {
public:
  virtual ~push_sink() = default;
  /// A batch of this connection is durably stored.
  virtual void on_ack(const batch_ack& ack) = 0;
  /// The user's state changed (any connection's batch); `with_metrics` at most once a second.
  virtual void on_update(const session_update& up, bool with_metrics) = 0;
  /// A batch of this connection was refused.
  virtual void on_error(const port_error& err) = 0;
};

/// One open WebSocket's link to its user's session. Destroying it unsubscribes.
class connection {
public:
  virtual ~connection() = default;
  /// Submits a batch; the ack, updates and errors arrive at the sink.
  virtual void submit(interaction_batch b) = 0;
};

/// Entry points of the gateway into the actor system. Callbacks run on actor threads.
class gateway_port {
public:
  virtual ~gateway_port() = default;

  /// Submits a batch and calls `done` with the analysed result or the refusal.
  virtual void submit(interaction_batch b, std::function<void(outcome<batch_result>)> done) = 0;

  /// Looks up a user's profile (`not_found` for a user never seen).
  virtual void profile(std::string user,
                       std::function<void(outcome<model::user_profile>)> done) = 0;

  /// The user's consent (every user has one: the defaults until a change is recorded).
  virtual void consent(std::string user, std::function<void(outcome<consent_reply>)> done) = 0;

  /// Records a consent change (durable before `done` is called with the new consent).
  virtual void change_consent(std::string user, consent_update change,
                              std::function<void(outcome<consent_reply>)> done) = 0;

  /// Records a person's feedback on a state dimension (durable before `done` is called with the
  /// state it changed).
  virtual void feedback(std::string user, feedback_update u,
                        std::function<void(outcome<feedback_reply>)> done) = 0;
  /// Asks the user's learner (mastery, next step, path, item memory) at its session.
  virtual void learning(std::string user, learning_query q,
                        std::function<void(outcome<learning_reply>)> done) = 0;
  /// The privacy settings and the global budget now (nothing spent by asking).
  virtual void privacy(std::function<void(outcome<privacy_status>)> done) = 0;

  /// Erases everything held about `user` wherever it is (GDPR Art. 17); `by` is the token's
  /// subject, for the audit log.
  virtual void erase(std::string user, std::string by,
                     std::function<void(outcome<erasure_receipt>)> done) = 0;

  /// Everything held about `user` (GDPR Art. 15/20); audited under `by`.
  virtual void export_user(std::string user, std::string by,
                           std::function<void(outcome<user_export>)> done) = 0;

  /// The compliance report computed from live state now.
  virtual void compliance(std::function<void(outcome<compliance_report>)> done) = 0;

  /// A differentially private aggregate, charged to the global budget before it is computed.
  virtual void aggregate(aggregate_query q, std::function<void(outcome<aggregate_release>)> done)
    = 0;

  /// A k-anonymous, l-diverse export of user-level records.
  virtual void anonymize(anonymize_query q,
                         std::function<void(outcome<anonymized_release>)> done) = 0;

  /// Opens a push connection for `user`; the sink is held weakly.
  virtual std::unique_ptr<connection> open(std::string user, std::weak_ptr<push_sink> sink) = 0;

  /// Interactions admitted and not yet analysed (for /metrics and performance_metrics).
  [[nodiscard]] virtual std::int64_t queue_length() const noexcept = 0;
};

} // namespace aia::actors
