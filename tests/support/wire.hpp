// Test harness: the spec's example payloads, interaction builders, and checks of PROTOCOL.md's
// output shapes, shared by the gateway and node tests.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aia::test {

/// The body of the spec's curl example "Process Single Interaction", byte for byte.
inline constexpr std::string_view spec_rest_interaction = R"({
  "timestamp": 1634567890.123,
  "user_id": "user123",
  "interaction_type": "click",
  "element_id": "nav-menu",
  "timing_data": {"response_time": 0.8, "dwell_time": 2.1},
  "viewport_data": {"scroll_distance": 150, "device_type": "mobile"},
  "context_data": {"tab_active": true, "session_duration": 180000}
})";

/// Milliseconds since the epoch, as JavaScript's Date.now().
[[nodiscard]] std::int64_t now_ms();

/// The spec's TypeScript `interaction_batch` for `user`, with `timestamp: Date.now()`.
[[nodiscard]] nlohmann::json spec_ws_batch(std::string_view user);

/// A valid snake_case interaction of `user` stamped now (REST body).
[[nodiscard]] nlohmann::json rest_interaction(std::string_view user,
                                              std::string_view type = "click");

/// A valid camelCase interaction of `user` stamped now (WebSocket batch item).
[[nodiscard]] nlohmann::json ws_interaction(std::string_view user, std::string_view type = "click");

/// `{"type":"interaction_batch","interactions":[n x ws_interaction(user)]}`, with clientId and
/// seq when `client_id` is not empty.
[[nodiscard]] nlohmann::json ws_batch(std::string_view user, int n, std::string_view client_id = {},
                                      std::uint64_t seq = 0);

/// The user's interaction_count from GET /profile, or -1 if the profile is 404.
[[nodiscard]] std::int64_t profile_count(std::uint16_t port, std::string_view user);

/// The value of the sample `series` (name plus labels exactly as rendered, e.g.
/// `errors_total{reason="not_found"}`) in a Prometheus text, or nullopt if it has none.
[[nodiscard]] std::optional<double> metric_sample(const std::string& text, std::string_view series);

/// The value of `series` in the node's /metrics; fails the test if it is missing.
[[nodiscard]] double node_metric(std::uint16_t port, std::string_view series);

/// Checks a user state against PROTOCOL.md's fields and ranges (Catch2 CHECKs), in the REST
/// (snake_case) or WebSocket (camelCase) spelling.
void check_user_state(const nlohmann::json& state, bool camel);

/// Checks one recommendation's fields (Catch2 CHECKs).
void check_recommendation(const nlohmann::json& rec, bool camel);

/// Checks an HTTP error body: `{"error": code, "message": text, "field"?: field}`.
/// Checks that `a` and `b` have the same shape and values, numbers within 1e-9, ignoring every
/// `updated_at` (a restored state is compared with the live one).
void check_same_json(const nlohmann::json& a, const nlohmann::json& b, const std::string& path);

void check_error_body(const std::string& body, std::string_view code, std::string_view field = {});

} // namespace aia::test
