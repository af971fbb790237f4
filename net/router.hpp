// REST routing: method + target + body in, status + JSON out. No Beast types, so it can be tested
// without sockets; net/http_session does the I/O around it.
#pragma once

#include "actors/gateway_port.hpp"
#include "net/auth/authenticator.hpp"
#include "net/auth/rate_limiter.hpp"
#include "net/http_reply.hpp"
#include "net/json_codec.hpp"
#include "net/learning_routes.hpp"
#include "net/privacy_routes.hpp"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace aia::runtime {
class metrics_registry;
class counter;
} // namespace aia::runtime

namespace aia::net {

/// The base path of the API.
inline constexpr std::string_view api_base = "/api/v1/ml-personalization";

/// The user of a WebSocket path `/api/v1/ml-personalization/ws/{user}`, or empty if `target` is
/// not one (query strings are ignored).
[[nodiscard]] std::string ws_user_of(std::string_view target);


/// How the router checks callers.
struct access_options {
  std::shared_ptr<const auth::authenticator> auth;  ///< required
  bool metrics_need_token = false;                   ///< GET /metrics for analyst and admin only
  double requests_per_minute = 100;    ///< per token subject (0 = no limit)
  double ip_requests_per_minute = 100; ///< per client address, requests without a valid token
};

/// A caller, or the reply that refuses it (401 / 403).
using access_result = std::variant<auth::principal, http_reply>;

/// Routes REST requests to the actors through a gateway_port. Every route under api_base needs
/// a bearer token; /healthz and /readyz are open, /metrics as configured.
class router {
public:
  router(actors::gateway_port& port, runtime::metrics_registry& metrics, codec_limits limits,
         std::function<bool()> ready, access_options access);

  /// Who sent a request: its Authorization header ("" if absent) and the client's address.
  struct caller_info {
    std::string_view authorization;
    std::string_view address;
    /// The request came in on the operator listener (gateway.metrics_address): only /metrics
    /// (open), /healthz and /readyz are served there.
    bool operator_port = false;
  };

  /// Handles one request. `done` is called exactly once, possibly on another thread.
  void handle(std::string_view method, std::string_view target, caller_info from,
              std::string body, std::function<void(http_reply)> done);

  /// The caller of a WebSocket upgrade to `user`'s socket, given the token it offered (empty if
  /// none) and its address, or the refusal (401, 403, 429).
  [[nodiscard]] access_result authorize_socket(std::string_view token, std::string_view user,
                                               std::string_view address);

  /// Counts a reply in http_requests_total and errors_total (call once per reply sent).
  void count(std::string_view route, const http_reply& reply);

  /// The route label of a target for metrics (a fixed set, never a raw user id).
  [[nodiscard]] static std::string_view route_of(std::string_view target);

private:
  /// The principal of a bearer token (empty = none given), or a 401 / 403 / 429 reply: a
  /// refused token counts against the address's limit, a valid one against its subject's.
  [[nodiscard]] access_result authenticate(std::string_view token, std::string_view address);

  void post_interaction(const auth::principal& who, std::string body,
                        std::function<void(http_reply)> done);
  /// POST /feedback: a person's report on one state dimension (the per-user layer).
  void post_feedback(const auth::principal& who, std::string body,
                     std::function<void(http_reply)> done);
  /// GET (change = false) or PUT /consent/{user}.
  void consent(const auth::principal& who, bool change, std::string user, std::string body,
               std::function<void(http_reply)> done);
  void get_profile(const auth::principal& who, std::string user,
                   std::function<void(http_reply)> done);

  actors::gateway_port& port_;
  runtime::metrics_registry& metrics_;
  codec_limits limits_;
  std::function<bool()> ready_;
  access_options access_;
  auth::rate_limiter per_subject_;
  auth::rate_limiter per_address_;
  privacy_routes privacy_;
  learning_routes learning_;
};

} // namespace aia::net
