// Forward declarations of the model layer's domain types.
#pragma once

#include <cstdint>

namespace aia::model {

enum class interaction_type : std::uint8_t;
enum class device_type : std::uint8_t;
enum class learning_style : std::uint8_t;
enum class recommendation_type : std::uint8_t;
struct interaction;
struct user_state;
struct recommendation;
struct feature_vector;
class feature_window;
class state_model;

} // namespace aia::model
