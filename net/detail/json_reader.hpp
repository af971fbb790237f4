// Reading one JSON object under both spellings, with the path of the first offending field.
#pragma once

#include "model/interaction.hpp"
#include "net/detail/json_dom.hpp"
#include "net/detail/json_names.hpp"
#include "net/json_codec.hpp"


#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace aia::net::detail {

using json = json_value;

/// One step of a field's path: an object key as the client spelt it, or an array index.
struct path_node {
  const path_node* parent = nullptr;
  std::string_view key;
  std::size_t index = 0;
  bool is_index = false;
};

/// Renders a path as `interactions[3].timingData.responseTime`; the root renders as "".
inline void append_path(std::string& out, const path_node* node) {
  if (node == nullptr) {
    return;
  }
  append_path(out, node->parent);
  if (node->is_index) {
    out += '[';
    out += std::to_string(node->index);
    out += ']';
  } else if (!node->key.empty()) {
    if (!out.empty()) {
      out += '.';
    }
    out += node->key;
  }
}

/// Keeps the first error of one parse; later failures are ignored.
class error_sink {
public:
  [[nodiscard]] bool failed() const noexcept { return error_.has_value(); }

  void fail(std::string_view code, const path_node& where, std::string_view problem) {
    if (failed()) {
      return;
    }
    wire_error e{std::string(code), {}, {}};
    append_path(e.field, &where);
    e.message = (e.field.empty() ? std::string("the message") : e.field) + ' ';
    e.message += problem;
    error_ = std::move(e);
  }

  wire_error take() { return std::move(*error_); }

private:
  std::optional<wire_error> error_;
};

/// A field looked up under both spellings.
struct found {
  const json* value = nullptr; ///< nullptr if absent or null
  std::string_view key;        ///< the client's spelling; the preferred one if absent
};

/// Number of code points of valid UTF-8 (the parser has validated it).
inline std::size_t code_points(std::string_view s) noexcept {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

/// Reads the fields of one JSON object under either spelling. An absent object reads as empty.
/// Readers form a path chain, so they are neither copied nor moved.
class field_reader {
public:
  /// Reads `value`, which must be an object; `at` is its path.
  field_reader(const json& value, path_node at, spelling preferred, error_sink& sink)
      : object_(&value), at_(at), preferred_(preferred), sink_(sink) {
    if (!value.is_object()) {
      sink_.fail("invalid_field", at_, "must be a JSON object");
      object_ = nullptr;
    }
  }
  field_reader(const field_reader&) = delete;
  field_reader& operator=(const field_reader&) = delete;

  const path_node& path() const { return at_; }
  [[nodiscard]] bool failed() const { return sink_.failed(); }

  /// The element `i` of the array at `list`, which must be an object.
  field_reader element(const path_node& list, const json& value, std::size_t i) const {
    return field_reader{value, path_node{&list, {}, i, true}, preferred_, sink_};
  }

  /// The field `f`; both spellings may be given if they are equal.
  found find(const field_name& f) const {
    found r{nullptr, f.in(preferred_)};
    if (object_ == nullptr || sink_.failed()) {
      return r;
    }
    const json* snake = lookup(f.snake());
    const json* camel = f.single() ? nullptr : lookup(f.camel());
    if (snake != nullptr && camel != nullptr && !(*snake == *camel)) {
      fail(r, "invalid_field", "is given in both spellings with different values");
      return r;
    }
    r.value = snake != nullptr ? snake : camel;
    r.key = snake != nullptr ? f.snake() : camel != nullptr ? f.camel() : r.key;
    return r;
  }

  /// The field `f`, which must be present.
  found need(const field_name& f) const {
    auto r = find(f);
    if (r.value == nullptr) {
      fail(r, "missing_field", "is required");
    }
    return r;
  }

  /// The nested object `f`; absent reads as empty.
  field_reader object(const field_name& f) const {
    auto r = find(f);
    if (r.value != nullptr && !r.value->is_object()) {
      fail(r, "invalid_field", "must be an object");
      r.value = nullptr;
    }
    return field_reader{r.value, path_node{&at_, r.key}, preferred_, sink_};
  }

  /// A finite number >= `min`, or `model::absent`.
  double number(const found& r, double min) const {
    if (r.value == nullptr) {
      return model::absent;
    }
    if (!r.value->is_number()) {
      fail(r, "invalid_field", "must be a number");
      return model::absent;
    }
    auto x = r.value->number();
    if (!std::isfinite(x) || x < min) {
      fail(r, "invalid_field", min == 0 ? "must be a finite number >= 0" : "must be finite");
      return model::absent;
    }
    return x;
  }

  /// A string of `min_chars` to `max_chars` characters (code points), or nullopt.
  std::optional<std::string_view> text(const found& r, std::size_t min_chars = 0,
                                       std::size_t max_chars
                                       = std::numeric_limits<std::size_t>::max()) const {
    if (r.value == nullptr) {
      return std::nullopt;
    }
    if (!r.value->is_string()) {
      fail(r, "invalid_field", "must be a string");
      return std::nullopt;
    }
    std::string_view s = r.value->string();
    auto n = code_points(s);
    if (n < min_chars || n > max_chars) {
      fail(r, "invalid_field",
           "must have " + std::to_string(min_chars) + " to " + std::to_string(max_chars)
               + " characters");
      return std::nullopt;
    }
    return s;
  }

  /// A string parsed by `parse` (the model's enum parsers), or nullopt.
  template <class Enum>
  std::optional<Enum> enumeration(const found& r,
                                  std::optional<Enum> (*parse)(std::string_view) noexcept) const {
    auto s = text(r);
    if (!s) {
      return std::nullopt;
    }
    auto x = parse(*s);
    if (!x) {
      fail(r, "invalid_field", "has an unknown value");
    }
    return x;
  }

  /// A boolean as -1 (absent), 0 or 1.
  std::int8_t flag(const found& r) const {
    if (r.value == nullptr) {
      return -1;
    }
    if (!r.value->is_boolean()) {
      fail(r, "invalid_field", "must be true or false");
      return -1;
    }
    return r.value->boolean() ? 1 : 0;
  }

  /// An integer >= 1, or 0 if absent.
  std::uint64_t sequence(const found& r) const {
    if (r.value == nullptr) {
      return 0;
    }
    if (!r.value->is_unsigned() || r.value->uint64() == 0) {
      fail(r, "invalid_field", "must be an integer >= 1");
      return 0;
    }
    return r.value->uint64();
  }

  /// Records an error at field `r`.
  void fail(const found& r, std::string_view code, std::string_view problem) const {
    sink_.fail(code, path_node{&at_, r.key}, problem);
  }

private:
  field_reader(const json* object, path_node at, spelling preferred, error_sink& sink)
      : object_(object), at_(at), preferred_(preferred), sink_(sink) {}

  const json* lookup(std::string_view key) const {
    const json* hit = object_->find(key);
    return hit == nullptr || hit->is_null() ? nullptr : hit;
  }

  const json* object_;
  path_node at_;
  spelling preferred_;
  error_sink& sink_;
};

} // namespace aia::net::detail
