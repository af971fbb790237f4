// Structured logging: one JSON object per line on stderr, through spdlog (kept out of this header).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace aia::log {

/// A field value: text, integer (any width or signedness), float or flag.
class value {
public:
  using variant = std::variant<std::string, std::int64_t, std::uint64_t, double, bool>;

  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  value(T x) // NOLINT(google-explicit-constructor): fields read like JSON literals
    : v_(std::is_signed_v<T> ? variant{static_cast<std::int64_t>(x)}
                             : variant{static_cast<std::uint64_t>(x)}) {}
  value(bool x) : v_(x) {}                       // NOLINT(google-explicit-constructor)
  value(double x) : v_(x) {}                     // NOLINT(google-explicit-constructor)
  value(std::string x) : v_(std::move(x)) {}     // NOLINT(google-explicit-constructor)
  value(std::string_view x) : v_(std::string{x}) {} // NOLINT(google-explicit-constructor)
  value(const char* x) : v_(std::string{x}) {}   // NOLINT(google-explicit-constructor)

  /// The held alternative.
  [[nodiscard]] const variant& get() const noexcept { return v_; }

private:
  variant v_;
};

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
