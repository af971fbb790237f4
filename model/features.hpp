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
inline constexpr std::size_t feature_count = 24;

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
  struct impl_state;
  // The implementation keeps its fields here (see features.cpp); the class stays copyable.
  std::vector<double> ring_;      // placeholder layout, replaced by the implementation
};

} // namespace aia::model
