// The JSON text the audit log writes and reads: UTF-8 checks, canonical strings and numbers, and
// a cursor that parses without ever quoting the text in its errors.
#pragma once

#include "privacy/utf8.hpp"

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace aia::privacy::detail {

inline constexpr char hex_digits[] = "0123456789abcdef";

/// True for 64 lowercase hex digits: a mac as the log writes it.
[[nodiscard]] bool is_mac_hex(std::string_view s) noexcept;

/// Appends `s` quoted, escaping only `"`, `\` and control characters.
void put_string(std::string& out, std::string_view s);

/// Appends `x` as std::to_chars writes it with `format`.
template <class Number, class... Format>
void put_number(std::string& out, Number x, Format... format) {
  std::array<char, 64> buf{};
  auto res = std::to_chars(buf.data(), buf.data() + buf.size(), x, format...);
  out.append(buf.data(), res.ptr);
}

/// A JSON-encoded object followed by `,"<name>":"<hex>"}`, replacing the final '}' of `body`.
[[nodiscard]] std::string with_hex_field(std::string body, std::string_view name,
                                         std::string_view hex);

/// A cursor over JSON text; errors throw std::invalid_argument naming the byte, never the text.
class json_cursor {
public:
  explicit json_cursor(std::string_view s) : s_{s} {}

  [[nodiscard]] bool at_end() const noexcept { return pos_ == s_.size(); }
  [[nodiscard]] char peek() const noexcept { return at_end() ? '\0' : s_[pos_]; }

  void skip_ws() noexcept;
  bool consume(char c) noexcept;
  void expect(std::string_view literal);
  [[noreturn]] void bad(const std::string& what) const;

  /// A string, unescaped; it must be UTF-8.
  std::string string();

  /// The text of a JSON number, checked against the grammar.
  std::string_view number();

  template <class Number>
  Number number_as() {
    auto text = number();
    Number x{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
    if (ec != std::errc{} || end != text.data() + text.size()) {
      bad("a number out of range");
    }
    return x;
  }

private:
  void escape(std::string& out);
  std::uint32_t hex4();

  std::string_view s_;
  std::size_t pos_ = 0;
};

} // namespace aia::privacy::detail
