// Compact binary form (msgpack) of an interaction, as the event log stores it.
#pragma once

#include "model/interaction.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace aia::model {

/// Encodes an interaction. `keep_element_id` false drops the element id (data minimisation).
[[nodiscard]] std::vector<std::uint8_t> encode_interaction(const interaction& x,
                                                           bool keep_element_id = true);

/// Decodes encode_interaction()'s output; nullopt for malformed or truncated bytes.
[[nodiscard]] std::optional<interaction> decode_interaction(const std::uint8_t* data,
                                                            std::size_t size);

} // namespace aia::model
