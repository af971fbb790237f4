// The session domain's protocol: atoms, messages and errors of session and session_supervisor.
//
//   (submit_atom, interaction_batch)  -> batch_result      via supervisor (delegated) to session;
//                                                            the session also sends (ack_atom,
//                                                            batch_ack) to the sender once stored
//   (profile_atom, std::string user)  -> model::user_profile | error not_found
//   (subscribe_atom, user, actor)       supervisor keeps the subscription across restarts; the
//   (unsubscribe_atom, user, actor)     session pushes (update_atom, session_update) to each
//   (passivate_atom, uint64_t seen)   -> bool              session -> supervisor, when idle
//   (consent_atom, std::string user)  -> consent_reply     the user's consent now
//   (consent_atom, std::string user, consent_update) -> consent_reply   durable, then applied
//   (erase_user_atom, std::string user) -> erasure_receipt   GDPR Art. 17 at the user's owner: the
//                                      session stops without a snapshot, then the store and the
//                                      accountant forget the user; requests for the user meanwhile
//                                      are refused as shutting_down (clients retry)
//   (erase_user_atom)                  supervisor -> session: stop at once, writing nothing more
//   (feedback_atom, std::string user, feedback_update) -> feedback_reply   durable, then applied
//                                      (the per-user layer of model/state/feedback_layer.hpp)
#pragma once

#include "actors/messages/model_types.hpp"
#include "actors/session_types.hpp"

#include <caf/atom.hpp>
#include <caf/error.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace aia::actors {

using submit_atom = caf::atom_constant<caf::atom("submit")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;
using profile_atom = caf::atom_constant<caf::atom("profile")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using unsubscribe_atom = caf::atom_constant<caf::atom("unsubscr")>;
using update_atom = caf::atom_constant<caf::atom("update")>;
using passivate_atom = caf::atom_constant<caf::atom("passivate")>;
using idle_atom = caf::atom_constant<caf::atom("idle")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;
using crash_atom = caf::atom_constant<caf::atom("crash")>;
using stats_atom = caf::atom_constant<caf::atom("stats")>;
using consent_atom = caf::atom_constant<caf::atom("consent")>;
using erase_user_atom = caf::atom_constant<caf::atom("eraseuser")>;
using feedback_atom = caf::atom_constant<caf::atom("feedback")>;

/// Errors of the session domain (category atom "session").
enum class session_errc : std::uint8_t {
  overloaded = 1,    ///< the analysis queue is full: retry later
  store_failed,      ///< the store refused or timed out: nothing was acknowledged
  not_found,         ///< no such user
  shutting_down,     ///< the node is draining
  unreadable,        ///< the user's stored history failed its integrity check: not used
  store_unavailable, ///< the store is away and the node's outage buffer is full
  consent_required,  ///< the user has not consented to personalization: nothing processed
  invalid_consent,   ///< a consent change naming no purpose, or one twice
  unknown_skill,     ///< a learning path's goal neither in the skill graph nor answered
  learning_disabled, ///< features.enable_adaptive_learning is off on this node
  invalid_feedback,  ///< feedback naming an unknown dimension or a value out of its range
};

/// Category atom of session_errc errors.
inline constexpr caf::atom_value session_category = caf::atom("session");

/// Builds a CAF error of the session domain.
inline caf::error make_error(session_errc x) {
  return caf::error{static_cast<std::uint8_t>(x), session_category};
}

/// Wire code of a session error (`overloaded`, `store_unavailable`, `not_found`, ...).
const char* to_string(session_errc x) noexcept;

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, interaction_batch& x) {
  return f(caf::meta::type_name("interaction_batch"), x.user_id, x.interactions, x.client_id,
           x.seq, x.received_ns, x.wants_ack);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_ack& x) {
  return f(caf::meta::type_name("batch_ack"), x.client_id, x.seq, x.accepted, x.duplicates,
           x.last_event_seq);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_result& x) {
  return f(caf::meta::type_name("batch_result"), x.ack, x.state, x.recommendations,
           x.processing_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, session_update& x) {
  return f(caf::meta::type_name("session_update"), x.state, x.recommendations,
           x.recommendations_changed, x.processing_ms, x.model_ms, x.queue_length);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, consent_update& x) {
  return f(caf::meta::type_name("consent_update"), x.purposes, x.granted, x.source);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, consent_reply& x) {
  return f(caf::meta::type_name("consent_reply"), x.user_id, x.state, x.mode);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, erasure_receipt& x) {
  return f(caf::meta::type_name("erasure_receipt"), x.user_id, x.requested_at, x.completed_at,
           x.events, x.snapshots, x.records, x.session_stopped, x.budget_forgotten, x.node,
           x.store_backend);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, feedback_update& x) {
  return f(caf::meta::type_name("feedback_update"), x.dimension, x.value, x.timestamp, x.source);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, feedback_reply& x) {
  return f(caf::meta::type_name("feedback_reply"), x.profile, x.dimension, x.model_value, x.offset,
           x.offset_std, x.labels);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, supervisor_stats& x) {
  return f(caf::meta::type_name("supervisor_stats"), x.active_sessions, x.spawned, x.restarted,
           x.passivated, x.handed_off);
}

} // namespace aia::actors
