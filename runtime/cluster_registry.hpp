// The Redis registry of cluster nodes: each node beats with its name and cluster address; a
// node whose beats stop expires. hiredis stays in the .cpp (through detail/redis_connection).
#pragma once

#include "runtime/redis_store.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace aia::runtime {

namespace detail {
class redis_connection;
}

/// A live node as the registry lists it.
struct registered_node {
  std::string name;
  std::string address;  ///< host:port of its cluster port
};

/// Membership through Redis: a hash of name -> address and a sorted set of name -> expiry
/// time, both under `key_prefix`. Times are Redis's own clock (TIME), so nodes whose clocks
/// disagree still agree on who expired.
class cluster_registry {
public:
  explicit cluster_registry(const redis_options& opt, std::string key_prefix = "aia:");
  ~cluster_registry();
  cluster_registry(const cluster_registry&) = delete;
  cluster_registry& operator=(const cluster_registry&) = delete;

  /// Registers (or refreshes) this node until `ttl` from now, drops the nodes whose time ran
  /// out, and returns the live ones (this one included); or why Redis did not answer.
  std::variant<std::vector<registered_node>, store_error>
  beat(const std::string& name, const std::string& address, std::chrono::milliseconds ttl);

  /// Removes this node at once (a clean stop).
  void leave(const std::string& name);

private:
  std::unique_ptr<detail::redis_connection> conn_;
  std::string members_key_;
  std::string expiry_key_;
};

} // namespace aia::runtime
