// ws_loadgen's bookkeeping of one connection: which sent batch an incoming frame answers.
// Plain C++ (no Beast), so the matching rules can be read and checked on their own.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>

namespace aia::bench {

/// What a frame did to the batches of one connection.
struct match_result {
  bool matched = false;         ///< the frame belonged to a batch
  bool newly_resolved = false;  ///< that batch had neither an answer nor an error before
  std::chrono::steady_clock::time_point stamp{};  ///< the batch's send (or scheduled) time
  std::size_t skipped = 0;      ///< older unacknowledged batches given up without an error frame
};

/// The batches of one connection in send order, matched to the node's frames by its contract:
/// `ack` (with the batch's seq) once stored, then one `user_state_update` after analysis, both
/// in batch order; `error` instead of both when refused. An error can also precede a late ack and
/// update (the node timed the request out but still processed it): the batch then counts as
/// resolved at the error and is answered later. Against the echo server every frame answers the
/// oldest batch.
class batch_fifo {
public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit batch_fifo(bool echo) : echo_(echo) {}

  /// A batch was sent.
  void on_sent(std::uint64_t seq, time_point stamp) {
    entries_.push_back(entry{seq, stamp});
    ++unresolved_;
  }

  /// An `ack` for `seq` arrived; false if no waiting batch has that seq.
  bool on_ack(std::uint64_t seq) {
    for (auto& e : entries_) {
      if (e.seq == seq && !e.acked) {
        e.acked = true;
        return true;
      }
    }
    return false;
  }

  /// A `user_state_update` (or an echo) arrived: it answers the oldest acknowledged batch; older
  /// unacknowledged ones will never be answered and are dropped.
  match_result on_answer() {
    match_result r;
    std::size_t i = 0;
    while (!echo_ && i < entries_.size() && !entries_[i].acked) {
      ++i;
    }
    if (i == entries_.size()) {
      return r;  // nothing acknowledged waits for an answer
    }
    for (std::size_t k = 0; k < i; ++k) {
      if (!entries_[k].errored) {
        ++r.skipped;
        --unresolved_;
      }
    }
    const auto& hit = entries_[i];
    r.matched = true;
    r.newly_resolved = !hit.errored;
    r.stamp = hit.stamp;
    unresolved_ -= r.newly_resolved ? 1 : 0;
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(i) + 1);
    return r;
  }

  /// An `error` frame arrived: it refuses the oldest batch that has neither an ack nor an error.
  match_result on_error() {
    match_result r;
    for (auto& e : entries_) {
      if (!e.acked && !e.errored) {
        e.errored = true;
        --unresolved_;
        r.matched = r.newly_resolved = true;
        r.stamp = e.stamp;
        break;
      }
    }
    return r;
  }

  /// Batches with neither an answer nor an error.
  [[nodiscard]] std::size_t unresolved() const noexcept { return unresolved_; }

private:
  struct entry {
    std::uint64_t seq;
    time_point stamp;
    bool acked = false;
    bool errored = false;
  };

  std::deque<entry> entries_;
  std::size_t unresolved_ = 0;
  bool echo_;
};

} // namespace aia::bench
