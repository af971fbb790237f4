// Test helper: a parsed net::detail::json_value as nlohmann::json, to compare the two parsers
// (tests/net/json_dom_test.cpp, tests/fuzz/fuzz_json_dom.cpp). Header-only: the fuzz build links
// no test support library.
#pragma once

#include "net/detail/json_dom.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace aia::test {

/// The same value as nlohmann::json holds it (a member given twice: the last one).
inline nlohmann::json to_nlohmann(const net::detail::json_value& v) {
  using net::detail::json_value;
  switch (v.type()) {
  case json_value::kind::null:
    return nullptr;
  case json_value::kind::boolean:
    return v.boolean();
  case json_value::kind::number:
    if (v.is_integer()) {
      return v.is_unsigned() ? nlohmann::json(v.uint64()) : nlohmann::json(v.int64());
    }
    return v.number();
  case json_value::kind::string:
    return std::string{v.string()};
  case json_value::kind::array: {
    auto out = nlohmann::json::array();
    for (const auto& e : v.children()) {
      out.push_back(to_nlohmann(e));
    }
    return out;
  }
  case json_value::kind::object: {
    auto out = nlohmann::json::object();
    for (const auto& m : v.children()) {
      out[std::string{m.key()}] = to_nlohmann(m);
    }
    return out;
  }
  }
  return nullptr;
}

} // namespace aia::test
