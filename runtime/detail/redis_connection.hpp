// The Redis store's connection (redis_store.cpp): one hiredis connection that re-connects on
// demand with a backoff and runs the store's scripts by digest. hiredis stays out of this header.
#pragma once

#include "runtime/redis_store.hpp"
#include "runtime/store.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

struct redisContext;
struct redisReply;

namespace aia::runtime::detail {

/// Frees a hiredis reply.
struct reply_deleter {
  void operator()(redisReply* r) const noexcept;
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

/// Frees a hiredis context.
struct context_deleter {
  void operator()(redisContext* c) const noexcept;
};

/// One connection to Redis that re-connects on demand, with a backoff while it cannot.
class redis_connection {
public:
  /// The words of one command.
  using args = std::vector<std::string>;

  explicit redis_connection(redis_options opt) : opt_{std::move(opt)} {}

  /// Runs one command; its reply (never an error reply), or why there is none.
  std::variant<reply_ptr, store_error> run(const args& a);

  /// Runs script `index` of the scripts by its digest, sending its text if Redis lacks it.
  std::variant<reply_ptr, store_error> eval(std::size_t index, args a);

  /// Connects unless connected and sound; why not. Within the backoff after a failed attempt it
  /// fails at once with the last reason.
  std::optional<store_error> ensure();

  /// Sets the scripts loaded on each connect, in the order eval() indexes them.
  void set_scripts(std::vector<std::string> scripts) { scripts_ = std::move(scripts); }

private:
  using clock = std::chrono::steady_clock;

  std::variant<reply_ptr, store_error> send(const args& a);
  std::optional<store_error> connect();
  bool stale() const;
  store_error lost(std::string why);

  redis_options opt_;
  std::unique_ptr<redisContext, context_deleter> ctx_;
  std::vector<std::string> scripts_;
  std::vector<std::string> digests_;
  std::string reason_;  ///< why the connection was lost; empty while connected
  std::chrono::milliseconds backoff_{0};
  clock::time_point next_attempt_{};
};

} // namespace aia::runtime::detail
