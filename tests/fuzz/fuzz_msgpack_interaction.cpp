// libFuzzer harness: model::decode_interaction (the event log's msgpack form) over any bytes.
// Whatever decodes must survive encode -> decode unchanged, field for field and byte for byte.
#include "model/interaction_codec.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace {

using aia::model::interaction;

/// Equal as stored: the same bits (NaN, the "absent" marker, equals itself; -0.0 is not 0.0).
bool same_bits(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

bool same(const interaction& a, const interaction& b) {
  return same_bits(a.timestamp, b.timestamp) && a.user_id == b.user_id && a.type == b.type
         && a.element_id == b.element_id && same_bits(a.response_time, b.response_time)
         && same_bits(a.dwell_time, b.dwell_time) && same_bits(a.scroll_distance, b.scroll_distance)
         && a.device == b.device && a.tab_active == b.tab_active
         && same_bits(a.session_duration, b.session_duration) && a.client_id == b.client_id
         && a.seq == b.seq;
}

void require(bool ok) {
  if (!ok) {
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::optional<interaction> first = aia::model::decode_interaction(data, size);
  if (!first) {
    return 0;
  }
  // Re-encoding a decoded interaction must give bytes that decode to the same interaction...
  const auto bytes = aia::model::encode_interaction(*first);
  const auto second = aia::model::decode_interaction(bytes.data(), bytes.size());
  require(second.has_value() && same(*first, *second));
  // ... and the encoding of that is a fixed point.
  require(aia::model::encode_interaction(*second) == bytes);
  // Data minimisation drops the element id and nothing else.
  const auto minimised = aia::model::encode_interaction(*first, false);
  auto third = aia::model::decode_interaction(minimised.data(), minimised.size());
  require(third.has_value() && third->element_id.empty());
  third->element_id = first->element_id;
  require(same(*first, *third));
  return 0;
}
