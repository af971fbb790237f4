// The accuracy of a model's live predictions over its latest outcomes (model_prediction_accuracy).
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <mutex>
#include <vector>

namespace aia::runtime {

/// Thread-safe rolling accuracy of binary predictions: a prediction p counts as right when
/// (p >= 0.5) matches the outcome. Reports NaN until `min_count` outcomes are in, so an alert
/// on a threshold (the spec's LowModelAccuracy) does not fire on a node that has seen none.
class prediction_monitor {
public:
  explicit prediction_monitor(std::size_t window = 1000, std::size_t min_count = 50)
    : hits_(window, false), min_count_(min_count) {}

  /// Records one prediction and what happened.
  void record(double p, bool outcome) {
    const bool hit = (p >= 0.5) == outcome;
    std::lock_guard<std::mutex> guard{mutex_};
    if (count_ == hits_.size()) {
      right_ -= hits_[next_] ? 1 : 0;
    } else {
      ++count_;
    }
    hits_[next_] = hit;
    right_ += hit ? 1 : 0;
    next_ = (next_ + 1) % hits_.size();
  }

  /// The share of right predictions among the latest `window`, NaN below `min_count`.
  [[nodiscard]] double accuracy() const {
    std::lock_guard<std::mutex> guard{mutex_};
    if (count_ == 0 || count_ < min_count_) {
      return std::numeric_limits<double>::quiet_NaN();
    }
    return static_cast<double>(right_) / static_cast<double>(count_);
  }

private:
  mutable std::mutex mutex_;
  std::vector<bool> hits_;
  std::size_t next_ = 0;
  std::size_t count_ = 0;
  std::size_t right_ = 0;
  std::size_t min_count_;
};

} // namespace aia::runtime
