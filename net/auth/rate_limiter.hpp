// Token buckets by key (a token's subject, or a client address): the API's request rate limits.
// Plain C++, thread-safe.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace aia::net::auth {

/// One bucket: `per_minute` tokens at most (the burst), refilled continuously at per_minute/60
/// tokens a second. Not thread-safe on its own.
class token_bucket {
public:
  explicit token_bucket(double per_minute, double now = 0) noexcept
    : per_minute_(per_minute), tokens_(per_minute), updated_(now) {}

  /// Takes one token at time `now` (seconds); 0 if it was there, else the seconds until one is.
  double take(double now) noexcept;

  /// True if the bucket has refilled completely by `now` (it can be forgotten).
  [[nodiscard]] bool full(double now) const noexcept;

private:
  void refill(double now) noexcept;

  double per_minute_;
  double tokens_;
  double updated_;
};

/// Buckets by key, created full on first use. Once more than `max_keys` keys are held, buckets
/// that have refilled completely are forgotten (a forgotten bucket is indistinguishable from a
/// full one), so memory follows the keys active in the last minute, not all keys ever seen.
class rate_limiter {
public:
  /// `per_minute` <= 0 disables the limit (every take succeeds).
  explicit rate_limiter(double per_minute, std::size_t max_keys = 100000)
    : per_minute_(per_minute), max_keys_(max_keys) {}

  /// Takes one request for `key` at `now` (seconds); 0 if allowed, else the seconds to wait.
  double take(std::string_view key, double now);

  /// Keys currently held (for tests and metrics).
  [[nodiscard]] std::size_t size() const;

private:
  void forget_full(double now);

  double per_minute_;
  std::size_t max_keys_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, token_bucket> buckets_;
};

} // namespace aia::net::auth
