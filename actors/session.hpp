// The session actor: one per user, holding its state, feature window and idempotency table.
#pragma once

#include "actors/admission.hpp"
#include "privacy/consent.hpp"
#include "model/fwd.hpp"
#include "model/recommender.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace aia::model::learning {
class learning_engine;
} // namespace aia::model::learning

namespace aia::runtime {
class prediction_monitor;
class metrics_registry;
class counter;
class gauge;
class histogram;
} // namespace aia::runtime

namespace aia::actors {

/// Settings of every session of a node.
struct session_options {
  std::size_t ring_capacity = 64;                  ///< recent interactions kept for features
  std::chrono::milliseconds idle_timeout{300'000}; ///< passivate after this long without work
  std::uint64_t snapshot_every = 256;              ///< events between snapshots
  /// How long a session with an unreadable history answers `unreadable` before it stops.
  std::chrono::milliseconds unreadable_linger{1000};
  bool persist_events = true;   ///< false at Maximum privacy: nothing is written to the store
  bool keep_element_id = true;  ///< store element ids (false = data minimisation)
  /// What a user without a recorded consent choice counts as (privacy.consent_mode).
  privacy::consent_mode consent_mode = privacy::consent_mode::implied;
  model::recommender_options recommender;
};

/// Metric series the sessions update (looked up once per node).
struct session_metrics {
  runtime::counter& interactions;
  runtime::counter& duplicates;
  runtime::counter& overloaded;
  runtime::counter& store_failures;
  runtime::histogram& processing_seconds;
  runtime::counter& consent_required;
  /// The spec's `unconsented_processing_attempts`: interactions refused for want of consent
  /// since the node started (a gauge that only grows, so that the spec's alert works as printed).
  runtime::gauge& unconsented;
  runtime::counter& learning_answers; ///< graded answers folded in (learning_answers_total)
  /// Live accuracy of the knowledge-tracing predictions (model_prediction_accuracy).
  std::shared_ptr<runtime::prediction_monitor> predictions;

  static session_metrics make(runtime::metrics_registry& reg);
};

/// What every session of a node depends on.
struct session_deps {
  caf::actor store;                                  ///< the store writer
  std::vector<caf::actor> analyzers;                 ///< the analyzer pool
  std::shared_ptr<admission_queue> queue;            ///< bound on interactions awaiting analysis
  std::shared_ptr<const model::state_model> predictor; ///< for rehydration
  std::shared_ptr<session_metrics> metrics;
  session_options opt;
  /// The adaptive learning engine (a default one when null).
  std::shared_ptr<const model::learning::learning_engine> learning;
};

/// Spawns the session of `user`, monitored by `parent` (its supervisor). It first rehydrates from
/// the store (snapshot + later events), then serves actors/messages/session.hpp's protocol, and
/// pushes updates to `subscribers`. When idle it snapshots and asks `parent` to passivate it.
caf::actor spawn_session(caf::event_based_actor* parent, std::string user, session_deps deps,
                         std::vector<caf::actor> subscribers);

} // namespace aia::actors
