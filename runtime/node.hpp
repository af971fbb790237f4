// One node: the actor graph with the HTTP/WebSocket gateway in front (what aia-node runs).
#pragma once

#include "runtime/config.hpp"

#include <cstdint>
#include <memory>

namespace aia::runtime {

/// A node process's whole graph, started and stopped in order.
class node {
public:
  explicit node(node_config cfg);
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// Opens the store, spawns the actors, starts the gateway; returns the bound port. Throws
  /// std::runtime_error with the reason on failure (store unopenable, port taken, ...).
  std::uint16_t start();

  /// Graceful stop: not ready, stop accepting, drain sessions (snapshots), stop actors.
  void shutdown();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace aia::runtime
