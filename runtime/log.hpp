// Structured logging: one JSON object per line on stderr, through spdlog (kept out of this header).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace aia::log {

/// A field value: text, integer, float or flag.
using value = std::variant<std::string, std::int64_t, std::uint64_t, double, bool>;

/// Flat fields of one line, e.g. {{"user", pseudo}, {"seq", 7u}}.
using fields = std::initializer_list<std::pair<std::string_view, value>>;

/// Sets the level (trace, debug, info, warn, error, off) and the `node` field of every line.
/// Returns false for an unknown level name. Safe to call more than once.
bool init(std::string_view level, std::string_view node);

/// True if debug lines are written (check before building costly fields).
[[nodiscard]] bool debug_enabled() noexcept;

/// Writes {"ts":..., "level":..., "node":..., "event": event, ...fields}. Never pass a raw user
/// payload, a token or key material as a field.
void debug(std::string_view event, fields f = {});
void info(std::string_view event, fields f = {});
void warn(std::string_view event, fields f = {});
void error(std::string_view event, fields f = {});

} // namespace aia::log
