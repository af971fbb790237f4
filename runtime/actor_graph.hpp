// The actor graph of one node: store, store writer, analyzer pool, session supervisor and the
// gateway port, built in dependency order and shut down in reverse. Shared by aia-node (with a
// gateway in front) and the embeddable engine.
#pragma once

#include "actors/gateway_port.hpp"
#include "runtime/config.hpp"
#include "runtime/metrics.hpp"

#include <caf/fwd.hpp>

#include <memory>

namespace aia::runtime {

/// A running actor graph.
class actor_graph {
public:
  /// Opens the store under cfg.data_dir and spawns every actor. Throws std::runtime_error with
  /// the reason if the store cannot be opened.
  explicit actor_graph(const node_config& cfg);
  ~actor_graph();
  actor_graph(const actor_graph&) = delete;
  actor_graph& operator=(const actor_graph&) = delete;

  /// The gateway's entry into the actors.
  [[nodiscard]] actors::gateway_port& port() noexcept;

  /// The node's metrics.
  [[nodiscard]] metrics_registry& metrics() noexcept;

  /// Whether the store backend took the last commit or answered the last probe (Redis may be
  /// away; the embedded store always is there). Thread-safe.
  [[nodiscard]] bool store_available() const noexcept;

  /// The actor system (tests and tools; blocking calls only outside actors).
  [[nodiscard]] caf::actor_system& system() noexcept;

  /// The session supervisor (tests and tools).
  [[nodiscard]] const caf::actor& supervisor() const noexcept;

  /// Snapshots and stops every session, then stops the other actors. Idempotent.
  void drain();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace aia::runtime
