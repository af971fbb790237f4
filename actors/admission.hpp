// The bound on interactions waiting for analysis (the spec's real_time.max_queue_size).
#pragma once

#include <atomic>
#include <cstdint>

namespace aia::actors {

/// A counting admission gate shared by all sessions of a node: a batch reserves its size before
/// anything is stored and releases it once analysed, so the queue can never exceed `capacity`.
class admission_queue {
public:
  explicit admission_queue(std::int64_t capacity) : capacity_(capacity) {}

  /// Reserves `n` slots; false (and nothing reserved) if that would exceed the capacity.
  [[nodiscard]] bool try_reserve(std::int64_t n) noexcept {
    auto cur = length_.load(std::memory_order_relaxed);
    do {
      if (cur + n > capacity_) {
        return false;
      }
    } while (!length_.compare_exchange_weak(cur, cur + n, std::memory_order_acq_rel));
    return true;
  }

  /// Gives back `n` reserved slots.
  void release(std::int64_t n) noexcept { length_.fetch_sub(n, std::memory_order_acq_rel); }

  /// Interactions currently admitted and not yet analysed.
  [[nodiscard]] std::int64_t length() const noexcept {
    return length_.load(std::memory_order_relaxed);
  }

  [[nodiscard]] std::int64_t capacity() const noexcept { return capacity_; }

private:
  std::atomic<std::int64_t> length_{0};
  const std::int64_t capacity_;
};

} // namespace aia::actors
