// What every connection of the gateway shares: options, router, port and metric series.
#pragma once

#include "actors/gateway_port.hpp"
#include "net/gateway.hpp"
#include "net/detail/address_slots.hpp"
#include "net/router.hpp"

#include <atomic>
#include <cstdint>

namespace aia::runtime {
class gauge;
} // namespace aia::runtime

namespace boost::asio::ssl {
class context;
} // namespace boost::asio::ssl

namespace aia::net::detail {

struct gateway_context {
  gateway_options opt;
  router& routes;
  actors::gateway_port& port;
  runtime::gauge& ws_active;
  runtime::metrics_registry& metrics;
  /// The TLS context when the gateway speaks HTTPS/WSS, else nullptr.
  boost::asio::ssl::context* tls = nullptr;
  /// Open connections per client address (limits.connections_per_ip).
  address_slots slots;
  /// Which client addresses may connect (set before the listener starts).
  auth::ip_policy ip_policy{};
  /// Set when the node stops: new requests and batches are refused with 503 / an error frame.
  std::atomic<bool> shutting_down{false};
  /// Requests and batches accepted and not yet answered on the wire.
  std::atomic<std::int64_t> inflight{0};
};

} // namespace aia::net::detail
