// Every JSON field name of the wire format, written once in snake_case; camelCase is derived.
#pragma once

#include "model/user_state.hpp"

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace aia::net::detail {

/// The spelling of one transport: REST writes snake_case, WebSocket camelCase.
enum class spelling : std::uint8_t { snake, camel };

/// Calls `put` with each character of the camelCase form of the snake_case name `snake`.
template <class Put>
constexpr void camel_case(std::string_view snake, Put put) {
  bool upper = false;
  for (char c : snake) {
    if (c == '_') {
      upper = true;
      continue;
    }
    put(upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    upper = false;
  }
}

/// A wire field name in both spellings, written once in snake_case. Only for constants in static
/// storage (camel() views the object itself); a name longer than its buffer, or with a character
/// other than [a-z0-9_], does not compile, so the writer copies these names without escaping.
class field_name {
public:
  template <std::size_t N>
  consteval field_name(const char (&snake)[N]) : snake_(snake, N - 1) {
    for (char c : snake_) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
        throw "a field name is snake_case: [a-z0-9_] only";  // a compile error in consteval
      }
    }
    camel_case(snake_, [this](char c) { camel_[camel_size_++] = c; });
  }

  constexpr std::string_view snake() const { return snake_; }
  constexpr std::string_view camel() const { return {camel_.data(), camel_size_}; }
  constexpr std::string_view in(spelling s) const {
    return s == spelling::snake ? snake() : camel();
  }
  /// True if both spellings are the same (`timestamp`, `seq`).
  constexpr bool single() const { return snake_.size() == camel_size_; }

private:
  std::string_view snake_;
  std::array<char, 40> camel_{};
  std::size_t camel_size_ = 0;
};

// Input fields (PROTOCOL.md "Interaction") and message envelopes.
inline constexpr field_name f_timestamp{"timestamp"}, f_user_id{"user_id"},
    f_interaction_type{"interaction_type"}, f_element_id{"element_id"},
    f_timing_data{"timing_data"}, f_response_time{"response_time"}, f_dwell_time{"dwell_time"},
    f_viewport_data{"viewport_data"}, f_scroll_distance{"scroll_distance"},
    f_device_type{"device_type"}, f_context_data{"context_data"}, f_tab_active{"tab_active"},
    f_session_duration{"session_duration"}, f_client_id{"client_id"}, f_seq{"seq"}, f_type{"type"},
    f_interactions{"interactions"}, f_learning_data{"learning_data"}, f_item_id{"item_id"},
    f_skill{"skill"}, f_correct{"correct"}, f_modality{"modality"}, f_dimension{"dimension"},
    f_value{"value"}, f_source{"source"};

// Output fields (PROTOCOL.md "User state", "Recommendation", "REST", "WebSocket").
inline constexpr field_name f_emotional_state{"emotional_state"},
    f_cognitive_load{"cognitive_load"}, f_cognitive_load_level{"cognitive_load_level"},
    f_focus_level{"focus_level"}, f_engagement_score{"engagement_score"},
    f_fatigue_level{"fatigue_level"}, f_learning_style{"learning_style"}, f_primary{"primary"},
    f_scores{"scores"}, f_confidence{"confidence"}, f_model_version{"model_version"},
    f_updated_at{"updated_at"}, f_interaction_count{"interaction_count"},
    f_interaction_counts{"interaction_counts"}, f_first_seen{"first_seen"},
    f_last_seen{"last_seen"}, f_id{"id"}, f_reason{"reason"}, f_parameters{"parameters"},
    f_expires_at{"expires_at"}, f_accepted{"accepted"}, f_duplicate{"duplicate"},
    f_duplicates{"duplicates"}, f_user_state{"user_state"}, f_recommendations{"recommendations"},
    f_processing_time_ms{"processing_time_ms"}, f_model_latency_ms{"model_latency_ms"},
    f_queue_length{"queue_length"}, f_metrics{"metrics"}, f_error{"error"}, f_message{"message"},
    f_field{"field"}, f_status{"status"};

/// A numeric member of `T` with its wire name.
template <class T>
struct named_number {
  field_name name;
  double T::*member;
};

inline constexpr std::array<named_number<model::emotional_state>, 4> emotion_fields{{
    {"valence", &model::emotional_state::valence},
    {"arousal", &model::emotional_state::arousal},
    {"dominance", &model::emotional_state::dominance},
    {"activation", &model::emotional_state::activation},
}};

inline constexpr std::array<named_number<model::state_confidence>, 6> confidence_fields{{
    {"emotional_state", &model::state_confidence::emotional_state},
    {"cognitive_load", &model::state_confidence::cognitive_load},
    {"focus_level", &model::state_confidence::focus_level},
    {"engagement_score", &model::state_confidence::engagement_score},
    {"fatigue_level", &model::state_confidence::fatigue_level},
    {"learning_style", &model::state_confidence::learning_style},
}};

/// Learning styles in enum order; as keys of `scores` they follow the transport's spelling, as
/// values (`primary`) they stay snake_case.
inline constexpr std::array<field_name, model::learning_style_count> style_names{{
    "visual",
    "auditory",
    "kinesthetic",
    "reading_writing",
    "multimodal",
}};

inline constexpr std::array<std::string_view, 4> recommendation_names{
    "reduce_cognitive_load", "improve_focus", "mitigate_fatigue", "boost_engagement"};

/// The entry of `table` for enum value `x`, or an empty name if out of range.
template <class Table, class Enum>
std::string_view name_of(const Table& table, Enum x) {
  auto i = static_cast<std::size_t>(x);
  if (i >= table.size()) {
    return {};
  }
  if constexpr (std::same_as<typename Table::value_type, field_name>) {
    return table[i].snake();
  } else {
    return table[i];
  }
}

} // namespace aia::net::detail
