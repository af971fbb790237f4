// Names of the interaction and device enums on the wire.
#include "model/interaction.hpp"

#include <array>

namespace aia::model {

namespace {

constexpr std::array<std::string_view, interaction_type_count> interaction_names = {
  "click", "scroll", "keypress", "input",  "hover", "focus",
  "blur",  "navigation", "submit", "answer", "idle", "visibility_change",
};

constexpr std::array<std::string_view, 5> device_names = {"unknown", "desktop", "mobile",
                                                          "tablet", "other"};

} // namespace

std::string_view to_string(interaction_type x) noexcept {
  return interaction_names[static_cast<std::size_t>(x)];
}

std::optional<interaction_type> parse_interaction_type(std::string_view name) noexcept {
  for (std::size_t i = 0; i < interaction_names.size(); ++i) {
    if (interaction_names[i] == name) {
      return static_cast<interaction_type>(i);
    }
  }
  return std::nullopt;
}

std::string_view to_string(device_type x) noexcept {
  return device_names[static_cast<std::size_t>(x)];
}

std::optional<device_type> parse_device_type(std::string_view name) noexcept {
  for (std::size_t i = 1; i < device_names.size(); ++i) {
    if (device_names[i] == name) {
      return static_cast<device_type>(i);
    }
  }
  return std::nullopt;
}

} // namespace aia::model
