// The inbound JSON parser (json_dom.hpp): iterative, so nesting costs no stack.
#include "net/detail/json_dom.hpp"

#include "privacy/utf8.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <system_error>

namespace aia::net::detail {

const json_value* json_value::find(std::string_view name) const noexcept {
  if (kind_ != kind::object) {
    return nullptr;
  }
  const json_value* hit = nullptr;
  for (const auto& member : children()) {
    if (member.key_ == name) {
      hit = &member;  // keep going: the last one counts
    }
  }
  return hit;
}

bool operator==(const json_value& a, const json_value& b) noexcept {
  using kind = json_value::kind;
  if (a.kind_ != b.kind_) {
    return false;
  }
  switch (a.kind_) {
  case kind::null:
    return true;
  case kind::boolean:
    return a.truth_ == b.truth_;
  case kind::number:
    if (a.integer_ && b.integer_) {
      return a.negative_ == b.negative_ && a.bits_ == b.bits_;
    }
    return a.number_ == b.number_;
  case kind::string:
    return a.text_ == b.text_;
  case kind::array: {
    if (a.count_ != b.count_) {
      return false;
    }
    auto j = b.children().begin();
    for (const auto& x : a.children()) {
      if (!(x == *j)) {
        return false;
      }
      ++j;
    }
    return true;
  }
  case kind::object: {
    // Each key's effective (last) value must match in both directions.
    for (const auto& m : a.children()) {
      const auto* o = b.find(m.key_);
      if (o == nullptr || !(*a.find(m.key_) == *o)) {
        return false;
      }
    }
    for (const auto& m : b.children()) {
      if (a.find(m.key_) == nullptr) {
        return false;
      }
    }
    return true;
  }
  }
  return false;
}

/// One parse. Values are appended to `doc.nodes_` in document order; a container's count and
/// span are filled in when it closes.
class json_parser {
public:
  json_parser(std::string_view text, int max_depth) : text_(text), max_depth_(max_depth) {}

  std::variant<json_document, json_failure> run() {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") {
      pos_ = 3;
    }
    doc_.nodes_.reserve(16 + text_.size() / 12);
    if (!parse_all()) {
      return failure_;
    }
    return std::move(doc_);
  }

private:
  using kind = json_value::kind;

  bool fail(json_failure::reason why = json_failure::reason::syntax) {
    failure_ = {why, std::min(pos_, text_.size()) + 1};
    return false;
  }

  void skip_space() noexcept {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        return;
      }
      ++pos_;
    }
  }

  /// The next non-space byte, consumed; 0 at the end (a NUL byte is never valid there either).
  char next() noexcept {
    skip_space();
    return pos_ < text_.size() ? text_[pos_++] : '\0';
  }

  bool parse_all() {
    std::vector<std::uint32_t> open;  // indices of the arrays / objects not closed yet
    std::string_view key;
    for (;;) {
      // A value starts here (after a key in an object).
      char c = next();
      auto at = static_cast<std::uint32_t>(doc_.nodes_.size());
      if (!open.empty()) {
        ++doc_.nodes_[open.back()].count_;
      }
      auto& v = doc_.nodes_.emplace_back();
      v.key_ = key;
      key = {};
      bool container = false;
      switch (c) {
      case '{':
      case '[':
        v.kind_ = c == '{' ? kind::object : kind::array;
        if (static_cast<int>(open.size()) >= max_depth_) {
          --pos_;
          return fail(json_failure::reason::too_deep);
        }
        open.push_back(at);
        container = true;
        break;
      case '"':
        v.kind_ = kind::string;
        if (!string_at(doc_.nodes_[at].text_)) {
          return false;
        }
        break;
      case 't':
        v.kind_ = kind::boolean;
        v.truth_ = true;
        if (!literal("rue")) {
          return false;
        }
        break;
      case 'f':
        v.kind_ = kind::boolean;
        if (!literal("alse")) {
          return false;
        }
        break;
      case 'n':
        if (!literal("ull")) {
          return false;
        }
        break;
      default:
        if (c == '\0') {
          return fail();
        }
        --pos_;
        if (!number_at(doc_.nodes_[at])) {
          return false;
        }
      }
      if (container) {
        // An empty container closes at once; otherwise its first key / element follows.
        auto& box = doc_.nodes_[at];
        skip_space();
        char close = box.kind_ == kind::object ? '}' : ']';
        if (pos_ < text_.size() && text_[pos_] == close) {
          ++pos_;
          open.pop_back();
        } else if (box.kind_ == kind::object) {
          if (!member_key(key)) {
            return false;
          }
          continue;
        } else {
          continue;
        }
      }
      // A value ended: close what ends here, then go on after a comma or finish.
      while (!open.empty()) {
        auto& box = doc_.nodes_[open.back()];
        char d = next();
        if (d == ',') {
          if (box.kind_ == kind::object && !member_key(key)) {
            return false;
          }
          break;
        }
        if (d != (box.kind_ == kind::object ? '}' : ']')) {
          return d == '\0' ? fail() : (--pos_, fail());
        }
        box.span_ = static_cast<std::uint32_t>(doc_.nodes_.size() - open.back());
        open.pop_back();
      }
      if (open.empty()) {
        skip_space();
        return pos_ == text_.size() || fail();
      }
    }
  }

  /// `"key" :` of an object member.
  bool member_key(std::string_view& key) {
    if (next() != '"') {
      --pos_;
      return fail();
    }
    if (!string_at(key)) {
      return false;
    }
    if (next() != ':') {
      --pos_;
      return fail();
    }
    return true;
  }

  bool literal(std::string_view rest) {
    if (text_.substr(pos_, rest.size()) != rest) {
      --pos_;  // at its first letter
      return fail();
    }
    pos_ += rest.size();
    return true;
  }

  /// The rest of a string whose opening quote is consumed. Without escapes the value is a view
  /// of the text; with them it is decoded into the document.
  bool string_at(std::string_view& out) {
    std::size_t start = pos_;
    std::string* decoded = nullptr;
    std::size_t copied = start;  // text before this position is in `decoded` already
    while (pos_ < text_.size()) {
      auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        if (decoded == nullptr) {
          out = text_.substr(start, pos_ - start);
        } else {
          decoded->append(text_.substr(copied, pos_ - copied));
          out = *decoded;
        }
        ++pos_;
        return true;
      }
      if (c < 0x20) {
        return fail();
      }
      if (c < 0x80 && c != '\\') {
        ++pos_;
        continue;
      }
      if (c >= 0x80) {
        auto n = privacy::utf8_sequence(text_.substr(pos_));
        if (n == 0) {
          return fail();
        }
        pos_ += n;
        continue;
      }
      if (decoded == nullptr) {
        decoded = &doc_.decoded_.emplace_back();
      }
      decoded->append(text_.substr(copied, pos_ - copied));
      if (!escape(*decoded)) {
        return false;
      }
      copied = pos_;
    }
    return fail();
  }

  /// Four hex digits at `pos_`.
  bool hex4(std::uint32_t& out) {
    if (pos_ + 4 > text_.size()) {
      pos_ = text_.size();
      return fail();
    }
    out = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      char h = text_[pos_];
      unsigned d = h >= '0' && h <= '9'   ? static_cast<unsigned>(h - '0')
                   : h >= 'a' && h <= 'f' ? static_cast<unsigned>(h - 'a' + 10)
                   : h >= 'A' && h <= 'F' ? static_cast<unsigned>(h - 'A' + 10)
                                          : 16u;
      if (d == 16) {
        return fail();
      }
      out = out * 16 + d;
    }
    return true;
  }

  /// One escape sequence at `pos_` (on its backslash), decoded onto `out`.
  bool escape(std::string& out) {
    ++pos_;
    if (pos_ >= text_.size()) {
      return fail();
    }
    char e = text_[pos_++];
    switch (e) {
    case '"': out += '"'; return true;
    case '\\': out += '\\'; return true;
    case '/': out += '/'; return true;
    case 'b': out += '\b'; return true;
    case 'f': out += '\f'; return true;
    case 'n': out += '\n'; return true;
    case 'r': out += '\r'; return true;
    case 't': out += '\t'; return true;
    case 'u': break;
    default: --pos_; return fail();
    }
    std::uint32_t cp = 0;
    if (!hex4(cp)) {
      return false;
    }
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return fail();  // a low surrogate without its high one
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (text_.substr(pos_, 2) != "\\u") {
        return fail();
      }
      pos_ += 2;
      std::uint32_t low = 0;
      if (!hex4(low)) {
        return false;
      }
      if (low < 0xDC00 || low > 0xDFFF) {
        return fail();
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(out, cp);
    return true;
  }

  static void append_utf8(std::string& out, std::uint32_t cp) {
    auto put = [&out](std::uint32_t b) { out += static_cast<char>(b); };
    if (cp < 0x80) {
      put(cp);
    } else if (cp < 0x800) {
      put(0xC0 | (cp >> 6));
      put(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      put(0xE0 | (cp >> 12));
      put(0x80 | ((cp >> 6) & 0x3F));
      put(0x80 | (cp & 0x3F));
    } else {
      put(0xF0 | (cp >> 18));
      put(0x80 | ((cp >> 12) & 0x3F));
      put(0x80 | ((cp >> 6) & 0x3F));
      put(0x80 | (cp & 0x3F));
    }
  }

  bool digit_at(std::size_t i) const noexcept {
    return i < text_.size() && text_[i] >= '0' && text_[i] <= '9';
  }

  /// Skips one or more digits; false if there is none.
  bool digits() noexcept {
    std::size_t from = pos_;
    while (digit_at(pos_)) {
      ++pos_;
    }
    return pos_ > from;
  }

  /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?` at `pos_`.
  bool number_at(json_value& v) {
    std::size_t start = pos_;
    bool negative = pos_ < text_.size() && text_[pos_] == '-';
    pos_ += negative ? 1 : 0;
    if (!digit_at(pos_)) {
      return fail();
    }
    if (text_[pos_] == '0') {
      ++pos_;
    } else {
      digits();
    }
    std::size_t int_end = pos_;
    bool integer = true;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!digits()) {
        return fail();
      }
      integer = false;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) {
        ++pos_;
      }
      if (!digits()) {
        return fail();
      }
      integer = false;
    }
    v.kind_ = kind::number;
    v.negative_ = negative;
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (integer) {
      std::uint64_t magnitude = 0;
      auto [end, ec] = std::from_chars(text_.data() + start + (negative ? 1 : 0),
                                       text_.data() + int_end, magnitude);
      constexpr auto min_magnitude
          = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1;
      if (ec == std::errc{} && (!negative || magnitude <= min_magnitude)) {
        v.integer_ = true;
        v.bits_ = negative ? 0 - magnitude : magnitude;
        v.number_ = negative ? -static_cast<double>(magnitude) : static_cast<double>(magnitude);
        return true;
      }
      // Beyond 64 bits: a double, as nlohmann reads it.
    }
    auto [end, ec] = std::from_chars(first, last, v.number_);
    if (ec == std::errc::result_out_of_range) {
      // Overflow is refused; underflow reads as strtod gives it (0 or a subnormal).
      std::string copy{first, last};
      v.number_ = std::strtod(copy.c_str(), nullptr);
      if (!std::isfinite(v.number_)) {
        pos_ = start;
        return fail(json_failure::reason::out_of_range);
      }
    } else if (ec != std::errc{} || end != last) {
      pos_ = start;
      return fail();
    }
    return true;
  }

  std::string_view text_;
  int max_depth_;
  std::size_t pos_ = 0;
  json_document doc_;
  json_failure failure_;
};

std::variant<json_document, json_failure> parse_json(std::string_view text, int max_depth) {
  return json_parser{text, max_depth}.run();
}

} // namespace aia::net::detail
