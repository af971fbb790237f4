// The JSON text form of Paillier keys (see paillier_format.hpp).
#include "privacy/detail/paillier_format.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>

namespace aia::privacy::detail {

namespace {

[[noreturn]] void fail(paillier_errc code) {
  throw paillier_error{code};
}

/// The string values of a flat JSON object {"name":"value",...} without escapes, in the order of
/// `names`: each name exactly once, no other. What write_numbers writes.
std::vector<std::string> read_fields(std::string_view json,
                                     std::initializer_list<std::string_view> names) {
  std::vector<std::string> values(names.size());
  std::vector<bool> seen(names.size(), false);
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < json.size() && std::strchr(" \t\r\n", json[i]) != nullptr && json[i] != '\0') {
      ++i;
    }
  };
  auto at = [&](char c) {
    skip_space();
    return i < json.size() && json[i] == c;
  };
  auto expect = [&](char c) {
    if (!at(c)) {
      fail(paillier_errc::malformed);
    }
    ++i;
  };
  auto string = [&] {
    expect('"');
    auto end = json.find('"', i);
    if (end == std::string_view::npos) {
      fail(paillier_errc::malformed);
    }
    auto s = json.substr(i, end - i);
    if (s.find('\\') != std::string_view::npos) {
      fail(paillier_errc::malformed);
    }
    i = end + 1;
    return s;
  };
  expect('{');
  bool more = !at('}');
  while (more) {
    auto key = string();
    expect(':');
    auto value = string();
    auto it = std::find(names.begin(), names.end(), key);
    auto index = static_cast<std::size_t>(it - names.begin());
    if (it == names.end() || seen[index]) {
      fail(paillier_errc::malformed);
    }
    seen[index] = true;
    values[index] = value;
    more = at(',');
    if (more) {
      ++i;
    }
  }
  expect('}');
  skip_space();
  if (i != json.size() || std::find(seen.begin(), seen.end(), false) != seen.end()) {
    fail(paillier_errc::malformed);
  }
  return values;
}

/// Clears parsed secret text before its memory is released.
void cleanse(std::vector<std::string>& values) {
  for (auto& v : values) {
    OPENSSL_cleanse(v.data(), v.size());
  }
}

} // namespace

std::vector<big_integer> read_numbers(std::string_view json,
                                      std::initializer_list<std::string_view> names) {
  auto fields = read_fields(json, names);
  struct wipe {
    std::vector<std::string>& f;
    ~wipe() { cleanse(f); }
  } wipe_fields{fields};
  std::vector<big_integer> numbers;
  numbers.reserve(fields.size());
  for (const auto& field : fields) {
    numbers.push_back(big_integer::parse(field));
  }
  return numbers;
}

std::string write_numbers(std::span<const std::pair<const char*, const big_integer*>> fields,
                          int modulus_bits) {
  std::string out;
  out.reserve(fields.size() * (static_cast<std::size_t>(modulus_bits) / 4 + 16));
  const char* separator = R"({")";
  for (const auto& [name, value] : fields) {
    auto hex = value->to_hex();
    out.append(separator).append(name).append(R"(":")").append(hex);
    OPENSSL_cleanse(hex.data(), hex.size());
    separator = R"(",")";
  }
  out.append(R"("})");
  return out;
}

} // namespace aia::privacy::detail
