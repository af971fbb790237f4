// The connection actor (one per WebSocket) and the gateway_port implementation over CAF.
#pragma once

#include "actors/admission.hpp"
#include "actors/gateway_port.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <chrono>
#include <memory>

namespace aia::actors {

/// Builds the gateway port on `supervisor` (sessions) and `accountant` (privacy budgets). REST
/// calls run in short-lived actors; each WebSocket gets a connection actor that subscribes to its
/// user's session and forwards pushes to the sink.
[[nodiscard]] std::unique_ptr<gateway_port>
make_gateway_port(caf::actor_system& sys, caf::actor supervisor, caf::actor accountant,
                  privacy_settings privacy, std::shared_ptr<admission_queue> queue,
                  std::chrono::milliseconds timeout);

/// Maps an actor error to the client-facing refusal (code and HTTP status of PROTOCOL.md).
[[nodiscard]] port_error to_port_error(const caf::error& err);

} // namespace aia::actors
