// One node: the actor graph with the HTTP/WebSocket gateway in front (what aia-node runs).
#pragma once

#include "runtime/config.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace aia::runtime {

/// A node process's whole graph, started and stopped in order.
class node {
public:
  explicit node(node_config cfg);
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// Opens the store, spawns the actors, starts the gateway; returns the bound port. Throws
  /// std::invalid_argument naming the setting when the auth keys cannot be loaded (a bad
  /// configuration), std::runtime_error with the reason on other failures (store unopenable,
  /// port taken, ...).
  std::uint16_t start();

  /// After start: the port of the operator listener (gateway.metrics_address), 0 if none.
  [[nodiscard]] std::uint16_t metrics_port() const;

  /// Graceful stop: not ready, stop accepting, drain sessions (snapshots), stop actors.
  void shutdown();

  /// In development mode, after start: "<subject> (role <role>)" and a token for it, valid for
  /// 24 hours, signed with the node's random development key. Empty otherwise.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> dev_tokens() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace aia::runtime
