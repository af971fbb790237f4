// libFuzzer harness: the inbound JSON parser (net/detail/json_dom) against nlohmann::json on any
// bytes. Both must accept or refuse alike, and read an accepted text to equal values; the one
// difference allowed is a NUL byte, which nlohmann reads as the end of the text.
#include "net/detail/json_dom.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

namespace {

using aia::net::detail::json_document;
using aia::net::detail::json_value;

/// The value as nlohmann::json holds it (a member given twice: the last one).
nlohmann::json to_nlohmann(const json_value& v) {
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

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  // nlohmann recurses per level; keep both within what its stack takes under ASan.
  constexpr int max_depth = 256;
  auto mine = aia::net::detail::parse_json(text, max_depth);
  if (std::holds_alternative<aia::net::detail::json_failure>(mine)
      && std::get<aia::net::detail::json_failure>(mine).why
             == aia::net::detail::json_failure::reason::too_deep) {
    return 0;
  }
  nlohmann::json theirs;
  try {
    theirs = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    if (std::holds_alternative<json_document>(mine)) {
      std::abort();  // accepted what nlohmann refuses
    }
    return 0;
  }
  if (!std::holds_alternative<json_document>(mine)) {
    // Refused what nlohmann accepts: only right where nlohmann took a NUL byte for the end.
    if (text.find('\0') == std::string_view::npos) {
      std::abort();
    }
    return 0;
  }
  const auto& root = std::get<json_document>(mine).root();
  if (to_nlohmann(root) != theirs || !(root == root)) {
    std::abort();
  }
  return 0;
}
