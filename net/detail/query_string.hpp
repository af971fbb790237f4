// Query strings of GET routes: percent-decoding and iteration over key=value parameters.
#pragma once

#include "net/json_codec.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace aia::net::detail {

/// The value of a hex digit, -1 if `c` is none.
inline int hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  c = static_cast<char>(c | 0x20);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/// Percent-decodes a query component ('+' is a space); false if an escape is malformed.
inline bool decode_component(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      auto hi = i + 1 < in.size() ? hex_digit(in[i + 1]) : -1;
      auto lo = i + 2 < in.size() ? hex_digit(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return false;
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += in[i] == '+' ? ' ' : in[i];
    }
  }
  return true;
}

/// Calls `take(key, value)` for each parameter; stops at the first wire_error it returns.
template <class Take>
std::optional<wire_error> each_parameter(std::string_view query, Take take) {
  std::string key;
  std::string value;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty()) {
      continue;
    }
    auto eq = part.find('=');
    if (!decode_component(part.substr(0, eq), key)
        || !decode_component(eq == std::string_view::npos ? "" : part.substr(eq + 1), value)) {
      return wire_error{"invalid_field", "malformed percent-escape in the query", {}};
    }
    if (auto err = take(key, value)) {
      return err;
    }
  }
  return std::nullopt;
}

} // namespace aia::net::detail
