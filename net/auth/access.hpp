// Who may do what: the role table of the API (RBAC), in one place. Plain C++.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aia::net::auth {

/// The roles a token can carry (claim "role", see jwt_verify_options::role_claim).
enum class role : std::uint8_t { user, analyst, admin };

/// "user", "analyst", "admin".
[[nodiscard]] std::string_view to_string(role r) noexcept;
/// The role named `name`, or nullopt for anything else (an unknown role gets nothing).
[[nodiscard]] std::optional<role> parse_role(std::string_view name) noexcept;

/// The operations of the API, one per route (and method) that needs a token.
enum class operation : std::uint8_t {
  write_interaction,  ///< POST /interaction, WebSocket batches
  read_profile,       ///< GET /profile/{user}
  open_socket,        ///< WebSocket /ws/{user}
  read_aggregate,     ///< aggregate statistics over users (privacy issue)
  read_experiment,    ///< experiment results (experiments issue)
  write_experiment,   ///< create or change an experiment
  admin_console,      ///< the admin actor console
  read_metrics,       ///< GET /metrics when auth.metrics = token
  manage_consent,     ///< GET and PUT /consent/{user}, POST /user/{user}/opt-out
  exercise_rights,    ///< DELETE /user/{user} (erasure), GET /user/{user}/export
};
inline constexpr std::size_t operation_count = 10;

/// Which users an operation may concern for a role.
enum class scope : std::uint8_t {
  none,  ///< refused
  own,   ///< only the user named by the token's subject
  any,   ///< any user (or no user at all)
};

/// The table: scope[role][operation].
[[nodiscard]] scope scope_of(role r, operation op) noexcept;

/// An authenticated caller.
struct principal {
  std::string subject;  ///< the token's "sub"
  auth::role role = role::user;
  /// When the token stops being valid (its exp plus the leeway), seconds since the epoch;
  /// 0 if it has no exp. A WebSocket opened with it is closed past this time.
  double valid_until = 0;
};

/// Whether `who` may do `op` on `target_user` (empty when the operation concerns no one user).
[[nodiscard]] bool allowed(const principal& who, operation op, std::string_view target_user);

} // namespace aia::net::auth
