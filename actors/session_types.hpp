// Plain data of the session domain, free of CAF, so the gateway can use it without actor headers.
#pragma once

#include "model/interaction.hpp"
#include "model/profile.hpp"
#include "model/recommendation.hpp"
#include "model/user_state.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace aia::actors {

/// Interactions of one user to append and analyse, as the gateway received them.
struct interaction_batch {
  std::string user_id;
  std::vector<model::interaction> interactions;
  std::string client_id;          ///< batch-level idempotency key (WebSocket), may be empty
  std::uint64_t seq = 0;          ///< batch-level sequence number, 0 if none
  std::int64_t received_ns = 0;   ///< steady-clock time the gateway read it, for latency
  bool wants_ack = false;         ///< send (ack_atom, batch_ack) to the sender once durable
};

/// Acknowledgement of a durably stored batch.
struct batch_ack {
  std::string client_id;
  std::uint64_t seq = 0;          ///< echoes the batch's or last interaction's client seq
  std::uint32_t accepted = 0;     ///< interactions acknowledged (new + repeated)
  std::uint32_t duplicates = 0;   ///< of which were repeats, applied before
  std::uint64_t last_event_seq = 0; ///< the user's log position after this batch
};

/// The reply to a submitted batch, once analysed.
struct batch_result {
  batch_ack ack;
  model::user_state state;
  std::vector<model::recommendation> recommendations;
  double processing_ms = 0;
};

/// What a session pushes to every subscribed connection after each analysed batch.
struct session_update {
  model::user_state state;
  std::vector<model::recommendation> recommendations;
  bool recommendations_changed = false;
  double processing_ms = 0;
  double model_ms = 0;
  std::uint64_t queue_length = 0;
};

/// A change of a user's consent: purposes by wire name, with the value each is set to.
struct consent_update {
  std::vector<std::string> purposes;
  std::vector<std::uint8_t> granted;  ///< 1 = granted, 0 = withdrawn; one per purpose
  std::string source;                 ///< who made it, e.g. "api:<token subject>"
};

/// A user's consent as the session holds it: the stored form (privacy::consent_state::encode)
/// and the mode that decides what an unrecorded purpose counts as.
struct consent_reply {
  std::string user_id;
  std::vector<std::uint8_t> state;
  std::uint8_t mode = 0;  ///< privacy::consent_mode
};

/// What a GDPR Art. 17 erasure removed on the user's owner node: the store's counts, whether a
/// live session was stopped (its memory dropped, no snapshot written), and when.
struct erasure_receipt {
  std::string user_id;
  double requested_at = 0;       ///< seconds since the epoch
  double completed_at = 0;
  std::uint64_t events = 0;      ///< raw interaction events deleted
  std::uint64_t snapshots = 0;   ///< state snapshots deleted
  std::uint64_t records = 0;     ///< consent history, budget ledger and other records deleted
  bool session_stopped = false;  ///< a live session held the user's state in memory
  bool budget_forgotten = false; ///< the privacy accountant dropped its cached budget
  std::string node;              ///< the owner node that erased it
  std::string store_backend;     ///< "sqlite" or "redis"
};

/// A person's labelled feedback on one state dimension (a self-report or a task outcome).
struct feedback_update {
  std::string dimension;  ///< model::state::state_dimension wire name
  double value = 0;       ///< on the dimension's scale (-1..1 for valence/arousal, else 0..1)
  double timestamp = 0;   ///< seconds since the epoch
  std::string source;     ///< `self_report` or `task_outcome`
};

/// The state after the feedback, and what the per-user layer now believes on that dimension.
struct feedback_reply {
  model::user_profile profile;
  std::string dimension;
  double model_value = 0;  ///< the population model's value when the report came
  double offset = 0;       ///< the person's learnt offset on the dimension
  double offset_std = 0;   ///< its posterior standard deviation
  std::uint32_t labels = 0;
};

/// Counters a supervisor reports (admin console, metrics, tests).
struct supervisor_stats {
  std::uint64_t active_sessions = 0;
  std::uint64_t spawned = 0;
  std::uint64_t restarted = 0;
  std::uint64_t passivated = 0;
  std::uint64_t handed_off = 0;   ///< sessions given up because another node owns the user
};

} // namespace aia::actors
