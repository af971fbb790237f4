// The JSON wire format of REST and WebSocket (shared PROTOCOL.md): parsing with validation, and
// serialisation in snake_case (REST) or camelCase (WebSocket). No JSON library leaks out of here.
#pragma once

#include "actors/session_types.hpp"
#include "model/interaction.hpp"
#include "model/profile.hpp"
#include "model/recommendation.hpp"
#include "model/user_state.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace aia::net {

/// A client error: `code` from PROTOCOL.md's table (invalid_json, missing_field, invalid_field,
/// user_mismatch, unknown_message_type, payload_too_large, ...), a human message, and the
/// offending field's path (e.g. `interactions[3].timingData.responseTime`) when one is at fault.
struct wire_error {
  std::string code;
  std::string message;
  std::string field;
};

/// Either a value or the reason it was refused.
template <class T>
using parse_result = std::variant<T, wire_error>;

/// Input limits (PROTOCOL.md defaults).
struct codec_limits {
  std::size_t max_batch = 500;          ///< interactions per WebSocket batch
  std::size_t max_element_id = 256;     ///< characters
  std::size_t max_client_id = 64;       ///< characters
  int max_depth = 32;                   ///< JSON nesting
  double max_future_seconds = 300;      ///< timestamps later than now + this are refused
};

/// True for 1-128 characters of [A-Za-z0-9._:@-].
[[nodiscard]] bool is_valid_user_id(std::string_view id) noexcept;

/// Parses and validates one REST interaction body (snake_case or camelCase). `now` is the
/// server's clock in seconds since the epoch.
[[nodiscard]] parse_result<model::interaction>
parse_interaction(std::string_view body, const codec_limits& limits, double now);

/// A parsed client -> node WebSocket message.
struct ws_inbound {
  enum class kind : std::uint8_t { interaction_batch, ping };
  kind type = kind::ping;
  std::vector<model::interaction> interactions;
  std::string client_id;  ///< batch-level idempotency key (optional, with seq)
  std::uint64_t seq = 0;  ///< batch-level sequence number, 0 if none
};

/// Parses the body of POST /learning/answer into an `answer` interaction: `user_id`, `item_id`,
/// `skill` and `correct` (true/false or 0/1) required; `response_time` (s), `timestamp`
/// (default `now`), `modality`, `client_id` and `seq` optional. Either spelling is accepted.
[[nodiscard]] parse_result<model::interaction>
parse_learning_answer(std::string_view body, const codec_limits& limits, double now);

/// A feedback report as POST /feedback carries it.
struct feedback_body {
  std::string user_id;
  actors::feedback_update update;
};

/// Parses the body of POST /feedback: `user_id`, `dimension` (valence, arousal, cognitive_load,
/// focus_level, engagement_score, fatigue_level) and `value` (-1..1 for valence and arousal,
/// else 0..1) required; `source` (`self_report`, the default, or `task_outcome`) and
/// `timestamp` (default `now`) optional.
[[nodiscard]] parse_result<feedback_body> parse_feedback(std::string_view body,
                                                         const codec_limits& limits, double now);

/// Parses and validates one WebSocket text message. Every interaction's user must equal
/// `path_user` (else `user_mismatch`).
[[nodiscard]] parse_result<ws_inbound> parse_ws_message(std::string_view text,
                                                        std::string_view path_user,
                                                        const codec_limits& limits, double now);

// -- REST bodies (snake_case) -------------------------------------------------------------------

/// 200 body of POST /interaction.
[[nodiscard]] std::string rest_interaction_response(std::string_view user_id, std::uint64_t seq,
                                                    bool duplicate, const model::user_state& s,
                                                    const std::vector<model::recommendation>& recs,
                                                    double processing_time_ms);

/// 200 body of GET /profile/{user_id}.
[[nodiscard]] std::string rest_profile(const model::user_profile& p);

/// 200 body of POST /feedback: what the per-user layer learnt, and the profile it changed.
[[nodiscard]] std::string rest_feedback(const actors::feedback_reply& r);

/// Body of an HTTP error: {"error","message","field"?}.
[[nodiscard]] std::string rest_error(const wire_error& e);

/// Body of /healthz and /readyz: {"status": status}.
[[nodiscard]] std::string rest_status(std::string_view status);

// -- WebSocket frames (camelCase) ---------------------------------------------------------------

/// {"type":"ack","clientId","seq","accepted","duplicates"}; clientId is null when empty.
[[nodiscard]] std::string ws_ack(std::string_view client_id, std::uint64_t seq,
                                 std::size_t accepted, std::size_t duplicates);

/// {"type":"user_state_update","userState":{...}}
[[nodiscard]] std::string ws_user_state_update(const model::user_state& s);

/// {"type":"recommendations","recommendations":[...]}
[[nodiscard]] std::string ws_recommendations(const std::vector<model::recommendation>& recs);

/// {"type":"performance_metrics","metrics":{"processingTimeMs","modelLatencyMs","queueLength"}}
[[nodiscard]] std::string ws_performance_metrics(double processing_time_ms, double model_latency_ms,
                                                 std::uint64_t queue_length);

/// {"type":"error","error":code,"message":...,"field"?}
[[nodiscard]] std::string ws_error(const wire_error& e);

/// {"type":"pong"}
[[nodiscard]] std::string ws_pong();

} // namespace aia::net
