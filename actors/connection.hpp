// The connection actor: one per WebSocket, subscribed to its user's session, resending what is
// not acknowledged when the user's owner changes.
#pragma once

#include "actors/gateway_port.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <memory>
#include <string>

namespace aia::actors {

/// Spawns the connection actor of one WebSocket of `user` on `supervisor` (or the router) and
/// returns the socket's handle to it; the sink is held weakly.
[[nodiscard]] std::unique_ptr<connection> open_connection(caf::actor_system& sys,
                                                          caf::actor supervisor,
                                                          std::string user,
                                                          std::weak_ptr<push_sink> sink);

/// Maps an actor error to the client-facing refusal (code and HTTP status of PROTOCOL.md).
[[nodiscard]] port_error to_port_error(const caf::error& err);

} // namespace aia::actors
