// The gateway: HTTP/1.1 keep-alive REST and WebSocket on one port (Boost.Beast), kept behind a
// pimpl so no Beast header reaches the rest of the code.
#pragma once

#include "actors/gateway_port.hpp"
#include "net/auth/ip_policy.hpp"
#include "net/json_codec.hpp"
#include "net/router.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace aia::runtime {
class metrics_registry;
} // namespace aia::runtime

namespace aia::net {

/// HTTPS and WSS: with a certificate, every connection on the port speaks TLS.
struct tls_options {
  std::string cert_file;            ///< PEM certificate chain; empty = plain HTTP
  std::string key_file;             ///< PEM private key
  std::string min_version = "1.3";  ///< "1.3" (default) or "1.2" (explicit opt-in)
};

/// Listener, limits and timeouts of the gateway.
struct gateway_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;                    ///< 0 picks a free port
  int threads = 1;                              ///< io threads
  std::size_t max_body_bytes = 1 << 20;         ///< REST body (413 above)
  std::size_t max_header_bytes = 16 << 10;      ///< request line + headers
  std::size_t max_ws_message_bytes = 1 << 20;   ///< one WebSocket message
  double idle_timeout = 60;                     ///< seconds an idle keep-alive connection lives
  std::size_t ws_max_pending_frames = 4096;     ///< unsent frames before a slow socket is closed
  int ws_max_bad_messages = 20;                 ///< consecutive bad messages before close 1008
  double ws_messages_per_minute = 1200;         ///< per socket; over it an error frame (0 = none)
  std::size_t connections_per_ip = 256;         ///< open connections per client address (0 = any)
  tls_options tls;
  /// "host:port" of a plain-HTTP operator listener serving only /metrics (open), /healthz and
  /// /readyz; empty = none. Port 0 picks a free one (see gateway::metrics_port()).
  std::string metrics_address;
  auth::ip_policy_options ip;                   ///< client addresses allowed (all by default)
  codec_limits limits;
  access_options access;                        ///< tokens and roles (auth is required)
};

/// The HTTP/WebSocket server of a node.
class gateway {
public:
  /// `ready` answers /readyz. `port` and `metrics` must outlive the gateway.
  gateway(gateway_options opt, actors::gateway_port& port, runtime::metrics_registry& metrics,
          std::function<bool()> ready);
  ~gateway();
  gateway(const gateway&) = delete;
  gateway& operator=(const gateway&) = delete;

  /// Binds, listens and starts the io threads; returns the bound port. Throws std::runtime_error
  /// with the reason if the address cannot be bound, std::invalid_argument naming the key if the
  /// TLS files or the IP rules cannot be used.
  std::uint16_t start();

  /// The bound port of the operator listener (0 if there is none).
  [[nodiscard]] std::uint16_t metrics_port() const;

  /// First step of a graceful stop: closes the listener and refuses new requests and batches
  /// (503 / an error frame); what was accepted is still answered.
  void begin_shutdown();

  /// Waits until every accepted request and batch has its answer written, or `max` passes.
  /// Returns true if nothing is left in flight.
  bool wait_idle(std::chrono::milliseconds max);

  /// Stops accepting, closes every connection and joins the io threads. Idempotent.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace aia::net
