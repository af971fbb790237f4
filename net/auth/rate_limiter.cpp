// Token buckets: a burst of up to the per-minute limit, then a steady per_minute/60 a second.
#include "net/auth/rate_limiter.hpp"

#include <algorithm>

namespace aia::net::auth {

namespace {
constexpr double slack = 1e-9;  // refills are sums of float fractions: 0.3 + 0.7 may be 0.99…
} // namespace

void token_bucket::refill(double now) noexcept {
  if (now > updated_) {
    tokens_ = std::min(per_minute_, tokens_ + (now - updated_) * per_minute_ / 60.0);
    updated_ = now;
  }
}

double token_bucket::take(double now) noexcept {
  refill(now);
  if (tokens_ >= 1.0 - slack) {
    tokens_ = std::max(0.0, tokens_ - 1.0);
    return 0;
  }
  return (1.0 - tokens_) * 60.0 / per_minute_;
}

bool token_bucket::full(double now) const noexcept {
  return tokens_ + std::max(0.0, now - updated_) * per_minute_ / 60.0 >= per_minute_ - slack;
}

double rate_limiter::take(std::string_view key, double now) {
  if (per_minute_ <= 0) {
    return 0;
  }
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = buckets_.find(std::string{key});
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) {
      forget_full(now);
    }
    it = buckets_.emplace(std::string{key}, token_bucket{per_minute_, now}).first;
  }
  return it->second.take(now);
}

std::size_t rate_limiter::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return buckets_.size();
}

void rate_limiter::forget_full(double now) {
  std::erase_if(buckets_, [now](const auto& kv) { return kv.second.full(now); });
}

} // namespace aia::net::auth
