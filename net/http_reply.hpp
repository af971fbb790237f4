// A REST reply without Beast types, and the error replies every route shares.
#pragma once

#include "actors/gateway_port.hpp"
#include "net/json_codec.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aia::net {

/// One HTTP response.
struct http_reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  ///< e.g. Retry-After, Allow
};

/// Builds an error reply with PROTOCOL.md's body; 429/503 get a Retry-After header.
[[nodiscard]] http_reply error_reply(int status, wire_error e);

/// 405 with an Allow header naming the methods the route takes.
[[nodiscard]] http_reply method_not_allowed(std::string_view allow);

/// 403 `forbidden` with the reason.
[[nodiscard]] http_reply forbidden(std::string reason);

/// 400 `invalid_field` for a user id that is not 1-128 characters of [A-Za-z0-9._:@-].
[[nodiscard]] http_reply invalid_user_id();

/// The reply for an actor's refusal (its code, message and status).
[[nodiscard]] http_reply from_port_error(const actors::port_error& e);

/// Turns an actor's outcome into a reply: the refusal's, or 200 with `render(value)`.
template <class T, class Render>
std::function<void(actors::outcome<T>)> reply_with(std::function<void(http_reply)> done,
                                                   Render render) {
  return [done = std::move(done), render](actors::outcome<T> out) {
    if (auto* err = std::get_if<actors::port_error>(&out)) {
      return done(from_port_error(*err));
    }
    http_reply r;
    r.body = render(std::get<T>(out));
    done(std::move(r));
  };
}

} // namespace aia::net
