// The role table, operation by operation: who may act on whose data.
#include "net/auth/access.hpp"

#include <catch2/catch.hpp>

using namespace aia::net::auth;

namespace {

principal as(role r, std::string sub = "alice") { return principal{std::move(sub), r}; }

struct row {
  operation op;
  bool user_own;
  bool user_other;
  bool analyst;
  bool admin;
};

} // namespace

TEST_CASE("the role table, route by route") {
  // For each operation: a user on its own data, a user on another's, an analyst, an admin.
  const row rows[] = {
    {operation::write_interaction, true, false, false, true},
    {operation::read_profile, true, false, false, true},
    {operation::open_socket, true, false, false, true},
    {operation::read_aggregate, false, false, true, true},
    {operation::read_experiment, false, false, true, true},
    {operation::write_experiment, false, false, false, true},
    {operation::admin_console, false, false, false, true},
    {operation::read_metrics, false, false, true, true},
    {operation::manage_consent, true, false, false, true},
    {operation::exercise_rights, true, false, false, true},
  };
  STATIC_REQUIRE(std::size(rows) == operation_count);
  for (const auto& r : rows) {
    INFO("operation " << static_cast<int>(r.op));
    CHECK(allowed(as(role::user), r.op, "alice") == r.user_own);
    CHECK(allowed(as(role::user), r.op, "bob") == r.user_other);
    CHECK(allowed(as(role::analyst), r.op, "bob") == r.analyst);
    CHECK(allowed(as(role::admin), r.op, "bob") == r.admin);
  }
}

TEST_CASE("an own-data scope needs a named user equal to the subject") {
  CHECK_FALSE(allowed(as(role::user), operation::read_profile, ""));
  CHECK_FALSE(allowed(as(role::user, ""), operation::read_profile, ""));
  CHECK_FALSE(allowed(as(role::user), operation::read_profile, "Alice"));  // exact match only
  CHECK_FALSE(allowed(as(role::user), operation::read_profile, "alice "));
}

TEST_CASE("role names parse exactly, and anything else is no role") {
  CHECK(parse_role("user") == role::user);
  CHECK(parse_role("analyst") == role::analyst);
  CHECK(parse_role("admin") == role::admin);
  CHECK_FALSE(parse_role("Admin"));
  CHECK_FALSE(parse_role("root"));
  CHECK_FALSE(parse_role(""));
  for (auto r : {role::user, role::analyst, role::admin}) {
    CHECK(parse_role(to_string(r)) == r);
  }
}
