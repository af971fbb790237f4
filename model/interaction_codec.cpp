// msgpack encoding of interactions: a fixed-order array, versioned by its first element.
#include "model/interaction_codec.hpp"

#include <msgpack.hpp>

#include <array>
#include <cstring>

namespace aia::model {

namespace {

/// Version 2 appends the learning fields (item_id, skill, correct, modality) to version 1's 13
/// elements; version 1 events, stored before, still decode.
constexpr int codec_version = 2;
constexpr std::uint32_t v1_size = 13;
constexpr std::uint32_t v2_size = 17;

/// A float64 exactly as it is. msgpack-c's pack_double turns integral values into integers, and
/// its range check converts 2^64 to uint64_t, which is undefined behaviour (found by tests/fuzz:
/// a decoded 1.8446744073709552e19 re-encoded). The decoder reads either form.
void pack_f64(msgpack::sbuffer& buf, double d) {
  std::uint64_t bits = 0;
  std::memcpy(&bits, &d, sizeof bits);
  std::array<char, 9> out{};
  out[0] = static_cast<char>(0xcb);
  for (std::size_t i = 0; i < 8; ++i) {
    out[1 + i] = static_cast<char>((bits >> (56 - 8 * i)) & 0xff);  // big-endian
  }
  buf.write(out.data(), out.size());
}

} // namespace

std::vector<std::uint8_t> encode_interaction(const interaction& x, bool keep_element_id) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk{buf};
  pk.pack_array(v2_size);
  pk.pack(codec_version);
  pack_f64(buf, x.timestamp);
  pk.pack(x.user_id);
  pk.pack(static_cast<int>(x.type));
  pk.pack(keep_element_id ? x.element_id : std::string{});
  pack_f64(buf, x.response_time);
  pack_f64(buf, x.dwell_time);
  pack_f64(buf, x.scroll_distance);
  pk.pack(static_cast<int>(x.device));
  pk.pack(static_cast<int>(x.tab_active));
  pack_f64(buf, x.session_duration);
  pk.pack(x.client_id);
  pk.pack(x.seq);
  pk.pack(x.item_id);
  pk.pack(x.skill);
  pk.pack(static_cast<int>(x.correct));
  pk.pack(static_cast<int>(x.modality));
  auto p = reinterpret_cast<const std::uint8_t*>(buf.data());
  return {p, p + buf.size()};
}

std::optional<interaction> decode_interaction(const std::uint8_t* data, std::size_t size) {
  try {
    // Limits before any allocation: msgpack reserves room for every element a header claims,
    // so 5 bytes could ask for 128 GiB (found by tests/fuzz). An interaction is an array of 13
    // or 17 scalars with no maps; strings and binaries stay under 1 MiB; nesting 2 at most.
    auto oh = msgpack::unpack(reinterpret_cast<const char*>(data), size, nullptr, nullptr,
                              msgpack::unpack_limit(v2_size, 0, 1 << 20, 1 << 20, 0, 2));
    const auto& o = oh.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size < v1_size) {
      return std::nullopt;
    }
    auto version = o.via.array.ptr[0].as<int>();
    if (!(version == 1 && o.via.array.size == v1_size)
        && !(version == codec_version && o.via.array.size == v2_size)) {
      return std::nullopt;
    }
    const auto* a = o.via.array.ptr;
    interaction x;
    x.timestamp = a[1].as<double>();
    x.user_id = a[2].as<std::string>();
    auto type = a[3].as<int>();
    auto device = a[8].as<int>();
    auto tab = a[9].as<int>();
    if (type < 0 || type >= interaction_type_count || device < 0 || device > 4 || tab < -1
        || tab > 1) {
      return std::nullopt;
    }
    x.type = static_cast<interaction_type>(type);
    x.element_id = a[4].as<std::string>();
    x.response_time = a[5].as<double>();
    x.dwell_time = a[6].as<double>();
    x.scroll_distance = a[7].as<double>();
    x.device = static_cast<device_type>(device);
    x.tab_active = static_cast<std::int8_t>(tab);
    x.session_duration = a[10].as<double>();
    x.client_id = a[11].as<std::string>();
    x.seq = a[12].as<std::uint64_t>();
    if (version == codec_version) {
      x.item_id = a[13].as<std::string>();
      x.skill = a[14].as<std::string>();
      auto correct = a[15].as<int>();
      auto modality = a[16].as<int>();
      if (correct < -1 || correct > 1 || modality < -1 || modality > 4) {
        return std::nullopt;
      }
      x.correct = static_cast<std::int8_t>(correct);
      x.modality = static_cast<std::int8_t>(modality);
    }
    return x;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

} // namespace aia::model
