// A direct JSON writer: compact output, automatic commas, keys in one transport's spelling.
#pragma once

#include "net/detail/json_names.hpp"
#include "privacy/utf8.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace aia::net::detail {

/// Appends compact JSON to one string, placing commas itself; keys follow one spelling.
class json_writer {
public:
  /// Writes keys in spelling `s` into a buffer of `capacity` bytes to start with.
  json_writer(spelling s, std::size_t capacity) : spelling_(s) { out_.reserve(capacity); }

  json_writer& begin_object() { return open('{'); }
  json_writer& end_object() { return close('}'); }
  json_writer& begin_array() { return open('['); }
  json_writer& end_array() { return close(']'); }

  /// A key from the field table, in this writer's spelling: [A-Za-z0-9_] by construction, so it
  /// is copied without the escaping scan.
  json_writer& key(const field_name& f) {
    separate();
    auto k = f.in(spelling_);
    out_ += '"';
    out_.append(k);
    out_.append("\":", 2);
    need_comma_ = false;
    return *this;
  }

  /// A key computed at run time from a snake_case name, in this writer's spelling.
  json_writer& name_key(std::string_view snake) {
    if (spelling_ == spelling::snake) {
      return key(snake);
    }
    std::string camel;
    camel.reserve(snake.size());
    camel_case(snake, [&camel](char c) { camel += c; });
    return key(camel);
  }

  /// Values: non-finite doubles become null, strings are escaped (ill-formed UTF-8 as U+FFFD).
  json_writer& value(bool x) {
    separate();
    out_ += x ? "true" : "false";
    return *this;
  }
  json_writer& value(double x) { return std::isfinite(x) ? number(x) : null(); }
  template <std::integral Integer>
  json_writer& value(Integer x) {
    return number(x);
  }
  json_writer& value(std::string_view s) {
    separate();
    append_string(s);
    return *this;
  }
  json_writer& value(const char* s) { return value(std::string_view{s}); }
  /// A value that is already JSON text (another codec's output), written as it is.
  json_writer& raw(std::string_view json) {
    separate();
    out_.append(json);
    return *this;
  }
  json_writer& null() {
    separate();
    out_ += "null";
    return *this;
  }

  /// A key from the field table and its value.
  template <class T>
  json_writer& member(const field_name& f, const T& x) {
    return key(f).value(x);
  }

  /// The text written so far; the writer is spent.
  std::string take() { return std::move(out_); }

private:
  json_writer& key(std::string_view k) {
    separate();
    append_string(k);
    out_ += ':';
    need_comma_ = false;
    return *this;
  }
  json_writer& open(char bracket) {
    separate();
    out_ += bracket;
    need_comma_ = false;
    return *this;
  }
  json_writer& close(char bracket) {
    out_ += bracket;
    need_comma_ = true;
    return *this;
  }
  template <class Number>
  json_writer& number(Number x) {
    separate();
    std::array<char, 32> buf{};
    auto end = std::to_chars(buf.data(), buf.data() + buf.size(), x).ptr;
    out_.append(buf.data(), end);
    return *this;
  }
  /// Writes the comma owed by the previous value, and owes one for the value being written.
  void separate() {
    if (need_comma_) {
      out_ += ',';
    }
    need_comma_ = true;
  }
  void append_string(std::string_view s);
  void append_ascii(char c);

  spelling spelling_;
  std::string out_;
  bool need_comma_ = false;
};

inline void json_writer::append_string(std::string_view s) {
  out_ += '"';
  for (std::size_t i = 0; i < s.size();) {
    // The common case, a run of printable ASCII that needs no escape, is copied at once.
    std::size_t run = i;
    while (run < s.size()) {
      auto c = static_cast<unsigned char>(s[run]);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
        break;
      }
      ++run;
    }
    out_.append(s.data() + i, run - i);
    i = run;
    if (i == s.size()) {
      break;
    }
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      append_ascii(s[i++]);
      continue;
    }
    // Ill-formed UTF-8 becomes U+FFFD, so the output is always valid JSON.
    auto n = privacy::utf8_sequence(s.substr(i));
    if (n == 0) {
      out_ += "\\ufffd";
      ++i;
    } else {
      out_.append(s.substr(i, n));
      i += n;
    }
  }
  out_ += '"';
}

inline void json_writer::append_ascii(char c) {
  if (c == '"' || c == '\\') {
    out_ += '\\';
    out_ += c;
  } else if (static_cast<unsigned char>(c) < 0x20) {
    constexpr std::string_view hex = "0123456789abcdef";
    out_ += "\\u00";
    out_ += hex[(c >> 4) & 0xF];
    out_ += hex[c & 0xF];
  } else {
    out_ += c;
  }
}

} // namespace aia::net::detail
