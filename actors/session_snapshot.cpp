// msgpack encoding of session snapshots: a versioned fixed-order array.
#include "actors/session_snapshot.hpp"

#include <msgpack.hpp>

namespace aia::actors {

namespace {

/// Version 2 appends the learner (model/learning/learner.hpp) to version 1's nine elements;
/// version 1 snapshots, written before, still decode (with an empty learner).
constexpr int snapshot_version = 2;

} // namespace

std::vector<std::uint8_t> encode_snapshot(const session_snapshot& s) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk{buf};
  pk.pack_array(10);
  pk.pack(snapshot_version);
  pk.pack(s.last_seq);
  pk.pack(s.interaction_count);
  pk.pack(s.counts_by_type);
  pk.pack(s.first_seen);
  pk.pack(s.last_seen);
  pk.pack(s.state_updated_at);
  auto window = s.window.serialize();
  pk.pack_bin(static_cast<std::uint32_t>(window.size()));
  pk.pack_bin_body(reinterpret_cast<const char*>(window.data()),
                   static_cast<std::uint32_t>(window.size()));
  pk.pack_array(static_cast<std::uint32_t>(s.dedupe.clients().size()));
  for (const auto& [client, w] : s.dedupe.clients()) {
    pk.pack_array(3);
    pk.pack(client);
    pk.pack(w.floor);
    pk.pack(std::vector<std::uint64_t>(w.above.begin(), w.above.end()));
  }
  auto learner = model::learning::encode_learner(s.learner);
  pk.pack_bin(static_cast<std::uint32_t>(learner.size()));
  pk.pack_bin_body(reinterpret_cast<const char*>(learner.data()),
                   static_cast<std::uint32_t>(learner.size()));
  auto p = reinterpret_cast<const std::uint8_t*>(buf.data());
  return {p, p + buf.size()};
}

std::optional<session_snapshot> decode_snapshot(const std::uint8_t* data, std::size_t size) {
  try {
    auto oh = msgpack::unpack(reinterpret_cast<const char*>(data), size);
    const auto& o = oh.get();
    if (o.type != msgpack::type::ARRAY) {
      return std::nullopt;
    }
    const auto version = o.via.array.size > 0 ? o.via.array.ptr[0].as<int>() : 0;
    if (!(version == 1 && o.via.array.size == 9)
        && !(version == snapshot_version && o.via.array.size == 10)) {
      return std::nullopt;
    }
    const auto* a = o.via.array.ptr;
    if (a[7].type != msgpack::type::BIN || a[8].type != msgpack::type::ARRAY) {
      return std::nullopt;
    }
    auto window = model::feature_window::deserialize(
      reinterpret_cast<const std::uint8_t*>(a[7].via.bin.ptr), a[7].via.bin.size);
    if (!window) {
      return std::nullopt;
    }
    session_snapshot s{a[1].as<std::uint64_t>(),
                       a[2].as<std::uint64_t>(),
                       a[3].as<std::array<std::uint64_t, model::interaction_type_count>>(),
                       a[4].as<double>(),
                       a[5].as<double>(),
                       a[6].as<double>(),
                       std::move(*window),
                       {},
                       {}};
    if (version == snapshot_version) {
      if (a[9].type != msgpack::type::BIN) {
        return std::nullopt;
      }
      auto learner = model::learning::decode_learner(
        reinterpret_cast<const std::uint8_t*>(a[9].via.bin.ptr), a[9].via.bin.size);
      if (!learner) {
        return std::nullopt;
      }
      s.learner = std::move(*learner);
    }
    for (std::uint32_t i = 0; i < a[8].via.array.size; ++i) {
      const auto& e = a[8].via.array.ptr[i];
      if (e.type != msgpack::type::ARRAY || e.via.array.size != 3) {
        return std::nullopt;
      }
      auto& w = s.dedupe.clients()[e.via.array.ptr[0].as<std::string>()];
      w.floor = e.via.array.ptr[1].as<std::uint64_t>();
      auto above = e.via.array.ptr[2].as<std::vector<std::uint64_t>>();
      w.above.insert(above.begin(), above.end());
    }
    return s;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

} // namespace aia::actors
