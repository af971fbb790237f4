// UTF-8 well-formedness (RFC 3629), the project's one check of it. It lives in aia_privacy, the
// lowest library, because the audit log (here), the gateway's JSON reader and writer (net/) and
// the JSON log lines (runtime/log.cpp) all need it.
#pragma once

#include <cstddef>
#include <string_view>

namespace aia::privacy {

/// Length of the well-formed UTF-8 sequence that starts `s`: 1 for ASCII, 2 to 4 for a
/// multi-byte character, 0 if ill-formed (or `s` is empty).
[[nodiscard]] inline std::size_t utf8_sequence(std::string_view s) noexcept {
  if (s.empty()) {
    return 0;
  }
  auto byte = [s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  auto lead = byte(0);
  if (lead < 0x80) {
    return 1;
  }
  std::size_t n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
  if (n == 0 || lead > 0xF4 || s.size() < n) {
    return 0;
  }
  // The second byte's range excludes overlong forms, surrogates and code points above U+10FFFF.
  unsigned char low = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
  unsigned char high = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
  if (byte(1) < low || byte(1) > high) {
    return 0;
  }
  for (std::size_t i = 2; i < n; ++i) {
    if ((byte(i) & 0xC0) != 0x80) {
      return 0;
    }
  }
  return n;
}

/// True if all of `s` is well-formed UTF-8.
[[nodiscard]] inline bool valid_utf8(std::string_view s) noexcept {
  while (!s.empty()) {
    auto n = utf8_sequence(s);
    if (n == 0) {
      return false;
    }
    s.remove_prefix(n);
  }
  return true;
}

} // namespace aia::privacy
