// A UI adaptation proposed from a user's state (the spec's four adaptation tables).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aia::model {

/// The four adaptation families of the spec.
enum class recommendation_type : std::uint8_t {
  reduce_cognitive_load,
  improve_focus,
  mitigate_fatigue,
  boost_engagement,
};

/// Wire name of a recommendation type.
std::string_view to_string(recommendation_type x) noexcept;

/// One named parameter of a recommendation: a number, a flag or a word.
struct parameter {
  enum class kind : std::uint8_t { number, flag, text };
  std::string name;   ///< snake_case wire name, e.g. `animation_speed`
  kind type = kind::number;
  double number = 0;  ///< for kind::number; 0/1 for kind::flag
  std::string text;   ///< for kind::text
};

/// One recommendation.
struct recommendation {
  std::string id;     ///< stable per user and type, e.g. `user123:reduce_cognitive_load`
  recommendation_type type = recommendation_type::reduce_cognitive_load;
  std::string reason; ///< human-readable, names the state that triggered it
  double confidence = 0;  ///< 0..1
  std::vector<parameter> parameters;
  double expires_at = 0;  ///< seconds since the epoch
};

} // namespace aia::model
