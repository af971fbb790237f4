// One UI interaction as the node receives it, after validation (see shared PROTOCOL.md).
#pragma once

#include <cmath>
#include <limits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aia::model {

/// The kinds of interaction the protocol accepts.
enum class interaction_type : std::uint8_t {
  click,
  scroll,
  keypress,
  input,
  hover,
  focus,
  blur,
  navigation,
  submit,
  answer,
  idle,
  visibility_change,
};

inline constexpr int interaction_type_count = 12;

/// The device classes of `viewport_data.device_type`; `unknown` when the client sent none.
enum class device_type : std::uint8_t { unknown, desktop, mobile, tablet, other };

/// Wire name of an interaction type (`click`, `visibility_change`, ...).
std::string_view to_string(interaction_type x) noexcept;
/// Parses a wire name; nullopt for an unknown one.
std::optional<interaction_type> parse_interaction_type(std::string_view name) noexcept;

/// Wire name of a device type (`desktop`, ...; `unknown` is never sent).
std::string_view to_string(device_type x) noexcept;
/// Parses `desktop`, `mobile`, `tablet`, `other`; nullopt otherwise.
std::optional<device_type> parse_device_type(std::string_view name) noexcept;

/// Absent optional numbers are NaN, so the struct stays a flat aggregate that actor messages and
/// snapshots can carry without std::optional (CAF 0.17 cannot inspect it).
inline constexpr double absent = std::numeric_limits<double>::quiet_NaN();

/// True if an optional number field carries a value.
inline bool present(double x) noexcept {
  return !std::isnan(x);
}

/// One validated interaction.
struct interaction {
  double timestamp = 0;              ///< seconds since the epoch
  std::string user_id;               ///< 1-128 chars of [A-Za-z0-9._:@-]
  interaction_type type = interaction_type::click;
  std::string element_id;            ///< may be empty; never logged
  double response_time = absent;     ///< seconds, >= 0
  double dwell_time = absent;        ///< seconds, >= 0
  double scroll_distance = absent;   ///< pixels, may be negative
  device_type device = device_type::unknown;
  std::int8_t tab_active = -1;       ///< -1 absent, 0 false, 1 true
  double session_duration = absent;  ///< milliseconds, >= 0
  std::string client_id;             ///< with seq: idempotency key; empty if none
  std::uint64_t seq = 0;             ///< 0 if none
  // `learning_data` (an extension of PROTOCOL.md, see net/README.md): what the interaction was
  // about, for the adaptive learning framework. item_id, skill and correct come together, on
  // `answer` interactions only; a modality may be on any interaction.
  std::string item_id;               ///< the learning item answered; empty if none
  std::string skill;                 ///< the skill it exercises
  std::int8_t correct = -1;          ///< -1 absent, 0 wrong, 1 right
  std::int8_t modality = -1;         ///< the content's learning_style (0..4), -1 absent
};

/// True if `x` is a graded answer to a learning item.
inline bool is_graded_answer(const interaction& x) noexcept {
  return x.type == interaction_type::answer && x.correct >= 0 && !x.skill.empty();
}

} // namespace aia::model
