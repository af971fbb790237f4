// JSON text for the audit log: UTF-8, canonical strings, and the parsing cursor.
#include "privacy/detail/audit_json.hpp"

#include <cctype>
#include <stdexcept>

namespace aia::privacy::detail {

bool is_mac_hex(std::string_view s) noexcept {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

void put_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (auto u = static_cast<unsigned char>(c); u < 0x20) {
        out += "\\u00";
        out += hex_digits[u >> 4];
        out += hex_digits[u & 0xF];
      } else {
        out += c;
      }
    }
  }
  out += '"';
}


std::string with_hex_field(std::string body, std::string_view name, std::string_view hex) {
  body.pop_back();
  body += ",\"";
  body += name;
  body += "\":";
  put_string(body, hex);
  body += '}';
  return body;
}

// -- json_cursor ----------------------------------------------------------------------------------

void json_cursor::skip_ws() noexcept {
  while (!at_end()
         && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
    ++pos_;
  }
}

bool json_cursor::consume(char c) noexcept {
  if (at_end() || s_[pos_] != c) {
    return false;
  }
  ++pos_;
  return true;
}

void json_cursor::expect(std::string_view literal) {
  if (s_.substr(pos_, literal.size()) != literal) {
    bad("expected " + std::string{literal});
  }
  pos_ += literal.size();
}

void json_cursor::bad(const std::string& what) const {
  throw std::invalid_argument(what + " at byte " + std::to_string(pos_));
}

std::string json_cursor::string() {
  if (!consume('"')) {
    bad("expected a string");
  }
  std::string out;
  while (true) {
    if (at_end()) {
      bad("unterminated string");
    }
    char c = s_[pos_];
    if (c == '"') {
      ++pos_;
      return out;
    }
    if (static_cast<unsigned char>(c) < 0x20) {
      bad("a control character in a string");
    }
    if (c == '\\') {
      ++pos_;
      escape(out);
      continue;
    }
    auto n = utf8_sequence(s_.substr(pos_));
    if (n == 0) {
      bad("a string that is not UTF-8");
    }
    out.append(s_.substr(pos_, n));
    pos_ += n;
  }
}

std::string_view json_cursor::number() {
  auto start = pos_;
  consume('-');
  auto digits = [this] {
    auto from = pos_;
    while (!at_end() && std::isdigit(static_cast<unsigned char>(s_[pos_])) != 0) {
      ++pos_;
    }
    return pos_ - from;
  };
  auto int_start = pos_;
  auto n = digits();
  if (n == 0 || (n > 1 && s_[int_start] == '0')) {
    bad("expected a number");
  }
  if (consume('.') && digits() == 0) {
    bad("expected digits after '.'");
  }
  if (consume('e') || consume('E')) {
    if (!consume('+')) {
      consume('-');
    }
    if (digits() == 0) {
      bad("expected an exponent");
    }
  }
  return s_.substr(start, pos_ - start);
}

void json_cursor::escape(std::string& out) {
  char e = peek();
  ++pos_;
  switch (e) {
  case '"':
  case '\\':
  case '/':
    out += e;
    return;
  case 'b':
    out += '\b';
    return;
  case 'f':
    out += '\f';
    return;
  case 'n':
    out += '\n';
    return;
  case 'r':
    out += '\r';
    return;
  case 't':
    out += '\t';
    return;
  case 'u':
    break;
  default:
    bad("a bad escape");
  }
  auto code = hex4();
  if (code >= 0xD800 && code < 0xDC00) {
    expect("\\u");
    auto low = hex4();
    if (low < 0xDC00 || low > 0xDFFF) {
      bad("a lone surrogate");
    }
    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
  } else if (code >= 0xDC00 && code <= 0xDFFF) {
    bad("a lone surrogate");
  }
  // Encode as UTF-8.
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

std::uint32_t json_cursor::hex4() {
  if (s_.size() - pos_ < 4) {
    bad("a short \\u escape");
  }
  std::uint32_t code = 0;
  auto [end, ec] = std::from_chars(s_.data() + pos_, s_.data() + pos_ + 4, code, 16);
  if (ec != std::errc{} || end != s_.data() + pos_ + 4) {
    bad("a bad \\u escape");
  }
  pos_ += 4;
  return code;
}

} // namespace aia::privacy::detail
