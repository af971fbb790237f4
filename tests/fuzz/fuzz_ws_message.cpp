// libFuzzer harness: net::parse_ws_message (a WebSocket text frame of /ws/user123) over any bytes.
// Checks the batch limits and the path user of what it accepts, and the JSON of its error frame.
#include "net/json_codec.hpp"

#include "tests/fuzz/fuzz_keys.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

namespace {

using aia::net::ws_inbound;

/// What parse_ws_message promises about an accepted message.
bool well_formed(const ws_inbound& in, const aia::net::codec_limits& limits) {
  if (in.type == ws_inbound::kind::ping) {
    return in.interactions.empty();
  }
  if (in.interactions.empty() || in.interactions.size() > limits.max_batch) {
    return false;
  }
  for (const auto& x : in.interactions) {
    if (x.user_id != aia::fuzz::ws_path_user || x.timestamp <= 0
        || x.timestamp > aia::fuzz::fixed_now + limits.max_future_seconds) {
      return false;
    }
  }
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const aia::net::codec_limits limits;
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  auto parsed
      = aia::net::parse_ws_message(text, aia::fuzz::ws_path_user, limits, aia::fuzz::fixed_now);
  if (auto* err = std::get_if<aia::net::wire_error>(&parsed)) {
    // The session answers a refused frame with ws_error: it must be JSON whatever the input.
    if (err->code.empty() || !nlohmann::json::accept(aia::net::ws_error(*err))) {
      std::abort();
    }
    return 0;
  }
  const auto& in = std::get<ws_inbound>(parsed);
  if (!well_formed(in, limits)) {
    std::abort();
  }
  // The session acknowledges an accepted batch with its client id: that frame must be JSON too.
  if (!nlohmann::json::accept(aia::net::ws_ack(in.client_id, in.seq, in.interactions.size(), 0))) {
    std::abort();
  }
  return 0;
}
