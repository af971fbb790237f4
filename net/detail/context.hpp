// What every connection of the gateway shares: options, router, port and metric series.
#pragma once

#include "actors/gateway_port.hpp"
#include "net/gateway.hpp"
#include "net/router.hpp"

namespace aia::runtime {
class gauge;
} // namespace aia::runtime

namespace aia::net::detail {

struct gateway_context {
  gateway_options opt;
  router& routes;
  actors::gateway_port& port;
  runtime::gauge& ws_active;
  runtime::metrics_registry& metrics;
};

} // namespace aia::net::detail
