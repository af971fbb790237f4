// The estimated state of one user: the analyzer's output, the same meaning on REST and WebSocket.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aia::model {

/// Learning styles, in the order of `user_state::style_scores`.
enum class learning_style : std::uint8_t {
  visual,
  auditory,
  kinesthetic,
  reading_writing,
  multimodal,
};

inline constexpr int learning_style_count = 5;

/// Wire name of a learning style (`reading_writing`, ...).
std::string_view to_string(learning_style x) noexcept;

/// Parses a wire name (`visual`, ..., `multimodal`); nullopt for an unknown one.
std::optional<learning_style> parse_learning_style(std::string_view name) noexcept;

/// Valence, arousal and dominance in -1..1; activation in 0..1.
struct emotional_state {
  double valence = 0;
  double arousal = 0;
  double dominance = 0;
  double activation = 0;
};

/// How sure the model is of each dimension, 0..1.
struct state_confidence {
  double emotional_state = 0;
  double cognitive_load = 0;
  double focus_level = 0;
  double engagement_score = 0;
  double fatigue_level = 0;
  double learning_style = 0;
};

/// One user's estimated state.
struct user_state {
  emotional_state emotion;
  double cognitive_load = 0;         ///< 0..1, equals (cognitive_load_level_exact - 1) / 4
  int cognitive_load_level = 1;      ///< the spec's 1..5 scale (rounded)
  double focus_level = 0.5;          ///< 0..1
  double engagement_score = 0.5;     ///< 0..1
  double fatigue_level = 0;          ///< 0..1
  std::array<double, learning_style_count> style_scores{}; ///< 0..1 each, sum 1
  learning_style primary_style = learning_style::multimodal;
  state_confidence confidence;
  std::string model_version;
  double updated_at = 0;             ///< seconds since the epoch
  std::uint64_t interaction_count = 0;
};

} // namespace aia::model
