// The role table. A user acts on its own data only; an analyst reads aggregates and experiment
// results but no individual's data; an admin may do everything.
#include "net/auth/access.hpp"

namespace aia::net::auth {

namespace {

constexpr std::array<std::string_view, 3> role_names{"user", "analyst", "admin"};

using row = std::array<scope, operation_count>;

// Columns in the order of `operation`: write_interaction, read_profile, open_socket,
// read_aggregate, read_experiment, write_experiment, admin_console, read_metrics,
// manage_consent, exercise_rights.
constexpr std::array<row, 3> table{{
  /* user    */ {scope::own, scope::own, scope::own, scope::none, scope::none, scope::none,
                 scope::none, scope::none, scope::own, scope::own},
  /* analyst */ {scope::none, scope::none, scope::none, scope::any, scope::any, scope::none,
                 scope::none, scope::any, scope::none, scope::none},
  /* admin   */ {scope::any, scope::any, scope::any, scope::any, scope::any, scope::any,
                 scope::any, scope::any, scope::any, scope::any},
}};

} // namespace

std::string_view to_string(role r) noexcept { return role_names[static_cast<std::size_t>(r)]; }

std::optional<role> parse_role(std::string_view name) noexcept {
  for (std::size_t i = 0; i < role_names.size(); ++i) {
    if (role_names[i] == name) {
      return static_cast<role>(i);
    }
  }
  return std::nullopt;
}

scope scope_of(role r, operation op) noexcept {
  return table[static_cast<std::size_t>(r)][static_cast<std::size_t>(op)];
}

bool allowed(const principal& who, operation op, std::string_view target_user) {
  switch (scope_of(who.role, op)) {
  case scope::any:
    return true;
  case scope::own:
    return !target_user.empty() && target_user == who.subject;
  case scope::none:
    break;
  }
  return false;
}

} // namespace aia::net::auth
