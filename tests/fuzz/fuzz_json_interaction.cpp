// libFuzzer harness: net::parse_interaction (the REST body of POST /interaction) over any bytes.
// Checks the documented contract of what it accepts, and that its error body is valid JSON.
#include "net/json_codec.hpp"

#include "tests/fuzz/fuzz_keys.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string_view>
#include <variant>

namespace {

/// Absent (NaN) or a finite number >= `min`.
bool absent_or_at_least(double x, double min) {
  return !aia::model::present(x) || (std::isfinite(x) && x >= min);
}

/// The invariants model::interaction documents for a validated interaction.
void check_accepted(const aia::model::interaction& x, const aia::net::codec_limits& limits) {
  bool ok = aia::net::is_valid_user_id(x.user_id) && x.timestamp > 0
            && x.timestamp <= aia::fuzz::fixed_now + limits.max_future_seconds
            && absent_or_at_least(x.response_time, 0) && absent_or_at_least(x.dwell_time, 0)
            && absent_or_at_least(x.scroll_distance, -std::numeric_limits<double>::max())
            && absent_or_at_least(x.session_duration, 0) && x.tab_active >= -1 && x.tab_active <= 1
            && x.client_id.size() <= 4 * limits.max_client_id
            && x.element_id.size() <= 4 * limits.max_element_id;
  if (!ok) {
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const aia::net::codec_limits limits;
  const std::string_view body{reinterpret_cast<const char*>(data), size};
  auto parsed = aia::net::parse_interaction(body, limits, aia::fuzz::fixed_now);
  if (auto* err = std::get_if<aia::net::wire_error>(&parsed)) {
    // The refusal goes back to the client as JSON: it must parse whatever the input was.
    if (err->code.empty() || !nlohmann::json::accept(aia::net::rest_error(*err))) {
      std::abort();
    }
    return 0;
  }
  check_accepted(std::get<aia::model::interaction>(parsed), limits);
  return 0;
}
