// A read-only JSON document for the inbound wire messages: one strict pass (RFC 8259, well-formed
// UTF-8, bounded nesting) into a flat array of nodes that point into the message itself.
//
// Why not nlohmann::json here: its DOM allocates a string per key and value and a std::map per
// object, which made parsing one ws_loadgen batch of one interaction (338 bytes) cost ~7 µs, the
// largest single item of the gateway thread (bench/codec_bench). This parser allocates the node
// array and, only for strings with escapes, their decoded text. Its accept / reject decisions and
// values are checked against nlohmann's by tests/net/json_dom_test.cpp and the fuzz_json_dom
// harness. Semantics kept from nlohmann: a leading UTF-8 BOM is skipped, a member given twice
// reads as its last value, an integer beyond 64 bits reads as a double, and a number beyond a
// double's range is refused. One difference: nlohmann takes a NUL byte for the end of the text
// (`{} \0junk` passes), this parser refuses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace aia::net::detail {

class json_value;

/// The members of an object or the elements of an array, in document order.
class json_children {
public:
  class iterator {
  public:
    iterator(const json_value* at, std::uint32_t left) : at_(at), left_(left) {}
    const json_value& operator*() const { return *at_; }
    const json_value* operator->() const { return at_; }
    iterator& operator++();
    bool operator==(const iterator& o) const { return left_ == o.left_; }

  private:
    const json_value* at_;
    std::uint32_t left_;
  };

  json_children(const json_value* first, std::uint32_t count) : first_(first), count_(count) {}
  iterator begin() const { return {first_, count_}; }
  iterator end() const { return {nullptr, 0}; }

private:
  const json_value* first_;
  std::uint32_t count_;
};

/// One value of a parsed document; valid while its json_document and the parsed text live.
class json_value {
public:
  enum class kind : std::uint8_t { null, boolean, number, string, array, object };

  kind type() const noexcept { return kind_; }
  bool is_null() const noexcept { return kind_ == kind::null; }
  bool is_boolean() const noexcept { return kind_ == kind::boolean; }
  bool is_number() const noexcept { return kind_ == kind::number; }
  bool is_string() const noexcept { return kind_ == kind::string; }
  bool is_array() const noexcept { return kind_ == kind::array; }
  bool is_object() const noexcept { return kind_ == kind::object; }
  /// A number written without fraction or exponent that fits 64 bits (signed or unsigned).
  bool is_integer() const noexcept { return kind_ == kind::number && integer_; }
  /// An integer written without a minus sign.
  bool is_unsigned() const noexcept { return is_integer() && !negative_; }

  bool boolean() const noexcept { return truth_; }
  double number() const noexcept { return number_; }
  /// The integer's value; an unsigned one above INT64_MAX wraps (check is_unsigned first).
  std::int64_t int64() const noexcept { return static_cast<std::int64_t>(bits_); }
  std::uint64_t uint64() const noexcept { return bits_; }
  std::string_view string() const noexcept { return text_; }

  /// Members or elements; 0 for a scalar.
  std::size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  json_children children() const noexcept { return {this + 1, count_}; }
  /// The key of this value inside its object ("" elsewhere).
  std::string_view key() const noexcept { return key_; }
  /// The value of member `name` (its last one if given twice), or nullptr.
  const json_value* find(std::string_view name) const noexcept;

  /// Deep equality: numbers by value, objects by member (order aside).
  friend bool operator==(const json_value& a, const json_value& b) noexcept;

private:
  friend class json_children::iterator;
  friend class json_parser;

  std::string_view key_;
  std::string_view text_;
  double number_ = 0;
  std::uint64_t bits_ = 0;   ///< an integer's two's-complement bits
  std::uint32_t count_ = 0;  ///< members or elements
  std::uint32_t span_ = 1;   ///< nodes in this subtree, itself included
  kind kind_ = kind::null;
  bool integer_ = false;
  bool negative_ = false;
  bool truth_ = false;
};

inline json_children::iterator& json_children::iterator::operator++() {
  at_ += at_->span_;
  --left_;
  return *this;
}

/// A parsed document. It refers to the parsed text, which must outlive it.
class json_document {
public:
  const json_value& root() const noexcept { return nodes_.front(); }

private:
  friend class json_parser;
  std::vector<json_value> nodes_;
  std::deque<std::string> decoded_;  ///< strings that had escapes (stable addresses)
};

/// Why a text is not accepted.
struct json_failure {
  enum class reason : std::uint8_t {
    syntax,      ///< malformed JSON or UTF-8
    too_deep,    ///< arrays / objects nest deeper than allowed
    out_of_range ///< a number beyond a double's range
  };
  reason why = reason::syntax;
  std::size_t byte = 0;  ///< 1-based position of the offending byte
};

/// Parses `text` as one JSON value with at most `max_depth` nested arrays / objects.
std::variant<json_document, json_failure> parse_json(std::string_view text, int max_depth);

} // namespace aia::net::detail
