// Wire names of the learning styles.
#include "model/user_state.hpp"

namespace aia::model {

std::string_view to_string(learning_style x) noexcept {
  switch (x) {
  case learning_style::visual:
    return "visual";
  case learning_style::auditory:
    return "auditory";
  case learning_style::kinesthetic:
    return "kinesthetic";
  case learning_style::reading_writing:
    return "reading_writing";
  case learning_style::multimodal:
    return "multimodal";
  }
  return "unknown";
}

std::optional<learning_style> parse_learning_style(std::string_view name) noexcept {
  for (int i = 0; i < learning_style_count; ++i) {
    auto x = static_cast<learning_style>(i);
    if (to_string(x) == name) {
      return x;
    }
  }
  return std::nullopt;
}

} // namespace aia::model
