// The adaptive-learning routes of the REST API (model/learning served by the session actors).
// No Beast, no CAF.
#pragma once

#include "actors/gateway_port.hpp"
#include "net/auth/access.hpp"
#include "net/http_reply.hpp"
#include "net/json_codec.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace aia::net {

/// Handles the routes below; the router has authenticated the caller already.
///   POST /learning/answer               the user, admin  a graded answer: stored, acknowledged
///                                                        and folded in like an interaction
///   GET  /learning/next/{user_id}       the user, admin  the next item (review or practice),
///                                                        a break suggestion, presentation
///   GET  /learning/path/{user_id}?goal= the user, admin  unmastered skills on the way to goal
///   GET  /learning/mastery/{user_id}    the user, admin  mastery of every skill answered
class learning_routes {
public:
  learning_routes(actors::gateway_port& port, codec_limits limits)
    : port_(port), limits_(limits) {}

  /// Handles `rest` (the path after the API base) if it is one of these routes and returns
  /// true (then `done` is called once), else returns false and leaves `done` alone.
  bool handle(std::string_view method, std::string_view rest, std::string_view query,
              const auth::principal& who, const std::string& body,
              std::function<void(http_reply)>& done);

  /// The metrics route label of `rest`, or "" if it is not one of these routes.
  [[nodiscard]] static std::string_view route_of(std::string_view rest);

private:
  void answer(const auth::principal& who, const std::string& body,
              std::function<void(http_reply)> done);
  void ask(std::string_view what, std::string user, std::string_view query,
           const auth::principal& who, std::function<void(http_reply)> done);

  actors::gateway_port& port_;
  codec_limits limits_;
};

} // namespace aia::net
