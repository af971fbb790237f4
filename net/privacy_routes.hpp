// The privacy routes of the REST API: privacy status and compliance, and the users' rights
// (erasure, export, CCPA opt-out). No Beast, no CAF.
#pragma once

#include "actors/gateway_port.hpp"
#include "net/auth/access.hpp"
#include "net/http_reply.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace aia::net {

/// The consent view of a consent change or look (500 if the stored record is unreadable), or
/// the actor's refusal.
[[nodiscard]] http_reply consent_view(const actors::outcome<actors::consent_reply>& out);

/// Handles the routes below; the router has authenticated the caller already.
///   GET    /privacy/status         analyst, admin   level, settings, global budget
///   GET    /privacy/compliance     analyst, admin   each GDPR / CCPA duty, judged now
///   DELETE /user/{id}              the user, admin  erasure with a receipt (GDPR Art. 17)
///   GET    /user/{id}/export       the user, admin  everything held (Art. 15/20, CCPA know)
///   POST   /user/{id}/opt-out      the user, admin  CCPA opt-out of sale/sharing (marketing)
///   GET    /analytics/aggregate    analyst, admin   DP counts and means per group (charged)
///   GET    /analytics/export       analyst, admin   k-anonymous, l-diverse user-level records
class privacy_routes {
public:
  explicit privacy_routes(actors::gateway_port& port) : port_(port) {}

  /// Handles `rest` (the path after the API base) if it is one of these routes and returns
  /// true (then `done` is called once), else returns false and leaves `done` alone.
  bool handle(std::string_view method, std::string_view rest, std::string_view query,
              const auth::principal& who, const std::string& body,
              std::function<void(http_reply)>& done);

  /// The metrics route label of `rest`, or "" if it is not one of these routes.
  [[nodiscard]] static std::string_view route_of(std::string_view rest);

private:
  void analytics(std::string_view method, bool aggregate, std::string_view query,
                 const auth::principal& who, std::function<void(http_reply)> done);
  void user_route(std::string_view method, std::string user, std::string_view action,
                  const auth::principal& who, std::function<void(http_reply)> done);

  actors::gateway_port& port_;
};

} // namespace aia::net
