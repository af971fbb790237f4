// The gateway_port over CAF: each REST call runs as a one-shot request to the actor that owns
// the answer; each WebSocket gets a connection actor.
#pragma once

#include "actors/admission.hpp"
#include "actors/gateway_port.hpp"

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include <chrono>
#include <memory>

namespace aia::actors {

/// The actors behind the port.
struct port_actors {
  caf::actor entry;    ///< the supervisor, or the router in a cluster (sessions and budgets)
  caf::actor officer;  ///< the privacy officer (consent changes, erasure, export, compliance)
  caf::actor analytics;  ///< DP aggregates and anonymized exports
};

/// Builds the gateway port. `timeout` bounds each REST call.
[[nodiscard]] std::unique_ptr<gateway_port>
make_gateway_port(caf::actor_system& sys, port_actors actors, privacy_settings privacy,
                  std::shared_ptr<admission_queue> queue, std::chrono::milliseconds timeout);

} // namespace aia::actors
