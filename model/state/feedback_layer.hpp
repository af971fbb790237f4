// The per-user layer over a state model: Gaussian offsets learnt from a person's labelled
// feedback (self-reports, task outcomes), with the confidence they earn.
#pragma once

#include "model/user_state.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace aia::model::state {

/// The state dimensions feedback can label, on their user_state scales.
enum class state_dimension : std::uint8_t {
  valence,          ///< emotional_state.valence, -1..1
  arousal,          ///< emotional_state.arousal, -1..1
  cognitive_load,   ///< 0..1 (level = 1 + 4 x load)
  focus_level,      ///< 0..1
  engagement_score, ///< 0..1
  fatigue_level,    ///< 0..1
};
inline constexpr std::size_t state_dimension_count = 6;

/// Wire name of a dimension (`valence`, `cognitive_load`, ...).
[[nodiscard]] std::string_view to_string(state_dimension d) noexcept;
/// Parses a wire name; nullopt for an unknown one.
[[nodiscard]] std::optional<state_dimension> parse_state_dimension(std::string_view name) noexcept;
/// The range of a dimension's values: -1..1 for valence and arousal, else 0..1.
[[nodiscard]] std::pair<double, double> range_of(state_dimension d) noexcept;

/// What the layer believes about one person's offset on one dimension: N(mean, variance) after
/// `labels` reports. A variance below 0 means "no report yet" (the prior).
struct dimension_offset {
  double mean = 0;
  double variance = -1;
  std::uint32_t labels = 0;
  double last_at = 0; ///< seconds since the epoch of the latest report
};

/// One person's offsets on every dimension, versioned for the store.
struct feedback_state {
  std::array<dimension_offset, state_dimension_count> offsets{};
  std::uint64_t version = 0; ///< grows by one per report

  [[nodiscard]] std::vector<std::uint8_t> encode() const;
  [[nodiscard]] static std::optional<feedback_state> decode(const std::uint8_t* data,
                                                            std::size_t size);
};

/// The layer's assumptions, as fractions of a dimension's range (documented in model/README.md):
/// people differ from the population model by about offset_sd (the prior), and one report of
/// theirs is off their true state by about report_sd. With the defaults (0.15, 0.15) one report
/// moves the estimate half-way to it and five reports leave a sixth of the prior variance.
struct feedback_prior {
  double offset_sd = 0.15;
  double report_sd = 0.15;
};

/// Applies and updates per-user offsets. Stateless; thread-safe.
class feedback_layer {
public:
  explicit feedback_layer(feedback_prior p = {}) : prior_(p) {}

  /// Folds one report in: the person reported `reported` at `t` while the model (without their
  /// offset) said `model_value`. An exact Gaussian update of the offset.
  void observe(feedback_state& s, state_dimension d, double model_value, double reported,
               double t) const noexcept;

  /// `model_output` plus the person's offsets, clamped to each range, with each dimension's
  /// confidence raised by what the reports taught: c = 1 - (1 - c_model)(1 - c_feedback),
  /// c_feedback = 1 - sqrt(posterior variance / prior variance).
  [[nodiscard]] user_state apply(const feedback_state& s, user_state model_output) const noexcept;

  /// The offset's prior variance on dimension `d`.
  [[nodiscard]] double prior_variance(state_dimension d) const noexcept;
  /// The value of `d` in `s`.
  [[nodiscard]] static double value_of(const user_state& s, state_dimension d) noexcept;

private:
  feedback_prior prior_;
};

} // namespace aia::model::state
