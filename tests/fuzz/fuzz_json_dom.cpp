// libFuzzer harness: the inbound JSON parser (net/detail/json_dom) against nlohmann::json on any
// bytes. Both must accept or refuse alike, and read an accepted text to equal values; the one
// difference allowed is a NUL byte, which nlohmann reads as the end of the text.
#include "net/detail/json_dom.hpp"

#include "tests/support/json_dom_nlohmann.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

using aia::net::detail::json_document;

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
  if (aia::test::to_nlohmann(root) != theirs || !(root == root)) {
    std::abort();
  }
  return 0;
}
