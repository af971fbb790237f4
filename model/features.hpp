// Incremental features of one user's interaction stream: the input of the user-state models.
#pragma once

#include "model/interaction.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace aia::model {

/// Number of features in a feature_vector.
inline constexpr std::size_t feature_count = 30;

/// A fixed-size, named feature vector (names via feature_name()).
struct feature_vector {
  std::array<double, feature_count> values{};
};

/// Name of feature `i` (snake_case), for docs, logs and the evaluation tools.
std::string_view feature_name(std::size_t i) noexcept;

/// The sliding feature window of one user. Deterministic: the same interactions in the same order
/// give the same features, whatever the batch boundaries, so a session rebuilt from its event log
/// reaches the same state. Time is the interactions' own timestamps, never the wall clock.
class feature_window {
public:
  /// `ring_capacity` bounds the recent interactions kept for trend statistics.
  explicit feature_window(std::size_t ring_capacity = 64);

  /// Folds one interaction in. O(1) amortised.
  void add(const interaction& x);

  /// The current features, as of the latest interaction's timestamp.
  [[nodiscard]] feature_vector features() const;

  /// Number of interactions folded in so far.
  [[nodiscard]] std::uint64_t count() const noexcept;

  /// Compact binary form (msgpack) for session snapshots.
  [[nodiscard]] std::vector<std::uint8_t> serialize() const;

  /// Inverse of serialize(); nullopt on malformed input.
  [[nodiscard]] static std::optional<feature_window> deserialize(const std::uint8_t* data,
                                                                 std::size_t size);

  /// Approximate heap + inline bytes held, for memory accounting.
  [[nodiscard]] std::size_t memory_bytes() const noexcept;

private:
  // -- compact state (see features.cpp): under 800 bytes for ring_capacity 64 --------------------

  /// One interaction as the ring keeps it: 8 bytes instead of a whole `interaction`.
  struct record {
    float gap = -1;              ///< seconds since the previous interaction; -1 for the first
    std::uint8_t type = 0;       ///< interaction_type
    std::int8_t tab_active = -1; ///< as in `interaction`
  };

  /// Exponentially weighted moments of one log-scaled quantity, bias-corrected when read.
  struct moments {
    double mean = 0;   ///< EWMA of x (~10 events): the recent level
    double square = 0; ///< EWMA of x * x (~10 events)
    double slow = 0;   ///< EWMA of x (~50 events): the long-term level
    std::uint32_t n = 0;
    void add(double x) noexcept;
  };

  struct codec;   // the msgpack snapshot, defined in feature_codec.cpp
  struct reading; // one pass over the ring, defined in features.cpp

  enum : std::size_t { response_m, dwell_m, gap_m, scroll_m, speed_m, moments_count };

  void push(record r);

  std::vector<record> ring_; ///< grows to capacity_, then overwritten at head_
  std::array<moments, moments_count> moments_{};
  std::uint64_t count_ = 0;
  double last_ts_ = 0;                 ///< latest timestamp seen (seconds)
  double session_start_ = 0;           ///< first timestamp after the latest gap above 30 min
  double reported_session_s_ = absent; ///< latest session_duration of this session, seconds
  double baseline_sum_ = 0;            ///< sum of this session's first log response times
  std::uint16_t baseline_n_ = 0;       ///< how many of them (up to 20)
  std::uint16_t capacity_ = 64;        ///< 1..4096
  std::uint16_t head_ = 0;             ///< oldest record once the ring is full
  device_type device_ = device_type::unknown;
};

} // namespace aia::model
