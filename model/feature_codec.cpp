// The msgpack form of a feature window (session snapshots): exact round trip, strict validation.
#include "model/features.hpp"

#include "model/detail/feature_layout.hpp"

#include <msgpack.hpp>

#include <cmath>
#include <exception>
#include <utility>

namespace aia::model {

namespace {

// Layout: one array of `top_fields` entries, in this order.
enum top : std::uint32_t {
  format_at,
  capacity_at,
  head_at,
  count_at,
  last_ts_at,
  session_start_at,
  reported_at,
  device_at,
  baseline_sum_at,
  baseline_n_at,
  moments_at,
  ring_at,
  top_fields,
};

constexpr std::uint64_t format_version = 1;
constexpr std::uint32_t moment_fields = 4; // n, mean, square, slow
constexpr std::uint32_t record_fields = 3; // gap, type, tab_active
constexpr std::size_t max_snapshot_bytes = 1 << 20;
// Bounds of what a window can hold: it clamps times to 1e7 s and pixels to 1e7 and stores
// log(1 + x), which stays below 20; anything far outside is corruption.
constexpr double max_log = 64;
constexpr double max_seconds = 1e7;

/// Appends msgpack output to a byte vector (the packer's Stream concept).
struct byte_sink {
  std::vector<std::uint8_t>& out;
  void write(const char* p, std::size_t n) { out.insert(out.end(), p, p + n); }
};

/// Limits for unpacking untrusted bytes: no maps, strings or binaries; small arrays; flat.
msgpack::unpack_limit snapshot_limits() {
  const std::size_t max_array = record_fields * detail::max_ring_capacity;
  return msgpack::unpack_limit{max_array, 0, 0, 0, 0, 3};
}

bool within(double x, double lo, double hi) noexcept {
  return x >= lo && x <= hi; // false for NaN
}

/// True if `o` is an array of exactly `n` (or, with `multiple_of`, a multiple of `n`) elements.
bool is_array(const msgpack::object& o, std::uint32_t n, bool multiple_of) {
  if (o.type != msgpack::type::ARRAY) {
    return false;
  }
  const std::uint32_t size = o.via.array.size;
  return multiple_of ? size % n == 0 : size == n;
}

} // namespace

/// Packs and unpacks a window; a nested class, so it may read the private fields.
struct feature_window::codec {
  static void pack(const feature_window& w, msgpack::packer<byte_sink>& pk) {
    pk.pack_array(top_fields);
    pk.pack(format_version).pack(w.capacity_).pack(w.head_).pack(w.count_);
    pk.pack(w.last_ts_).pack(w.session_start_).pack(w.reported_session_s_);
    pk.pack(static_cast<std::uint8_t>(w.device_)).pack(w.baseline_sum_).pack(w.baseline_n_);
    pk.pack_array(moment_fields * moments_count);
    for (const moments& m : w.moments_) {
      pk.pack(m.n).pack(m.mean).pack(m.square).pack(m.slow);
    }
    pk.pack_array(static_cast<std::uint32_t>(record_fields * w.ring_.size()));
    for (const record& r : w.ring_) {
      pk.pack_float(r.gap).pack(r.type).pack(r.tab_active);
    }
  }

  /// Reads the scalar fields; false if one is out of range. Throws msgpack::type_error on types.
  static bool unpack_scalars(const msgpack::object* f, feature_window& w) {
    const auto device = f[device_at].as<std::uint8_t>();
    w.head_ = f[head_at].as<std::uint16_t>();
    w.count_ = f[count_at].as<std::uint64_t>();
    w.last_ts_ = f[last_ts_at].as<double>();
    w.session_start_ = f[session_start_at].as<double>();
    w.reported_session_s_ = f[reported_at].as<double>();
    w.device_ = static_cast<device_type>(device);
    w.baseline_sum_ = f[baseline_sum_at].as<double>();
    w.baseline_n_ = f[baseline_n_at].as<std::uint16_t>();
    const bool reported_ok
        = std::isnan(w.reported_session_s_) || within(w.reported_session_s_, 0, max_seconds);
    return f[format_at].as<std::uint64_t>() == format_version && w.head_ < w.capacity_
           && device <= static_cast<std::uint8_t>(device_type::other) && std::isfinite(w.last_ts_)
           && std::isfinite(w.session_start_) && w.session_start_ <= w.last_ts_ && reported_ok
           && within(w.baseline_sum_, 0, max_log * w.baseline_n_) && w.baseline_n_ <= w.count_;
  }

  static bool unpack_moments(const msgpack::object& o, feature_window& w) {
    if (!is_array(o, moment_fields * moments_count, false)) {
      return false;
    }
    const msgpack::object* f = o.via.array.ptr;
    for (moments& m : w.moments_) {
      m.n = f[0].as<std::uint32_t>();
      m.mean = f[1].as<double>();
      m.square = f[2].as<double>();
      m.slow = f[3].as<double>();
      const bool values_ok = within(m.mean, 0, max_log) && within(m.square, 0, max_log * max_log)
                             && within(m.slow, 0, max_log);
      if (m.n > w.count_ || !values_ok) {
        return false;
      }
      f += moment_fields;
    }
    return true;
  }

  static bool unpack_ring(const msgpack::object& o, feature_window& w) {
    if (!is_array(o, record_fields, true)) {
      return false;
    }
    const msgpack::object* f = o.via.array.ptr;
    const std::size_t size = o.via.array.size / record_fields;
    const bool head_ok = size == w.capacity_ || w.head_ == 0; // head_ moves once the ring is full
    if (size > w.capacity_ || size > w.count_ || !head_ok) {
      return false;
    }
    w.ring_.reserve(w.capacity_);
    for (std::size_t i = 0; i < size; ++i, f += record_fields) {
      const record r{f[0].as<float>(), f[1].as<std::uint8_t>(), f[2].as<std::int8_t>()};
      const bool gap_ok = r.gap == -1 || within(r.gap, 0, max_seconds);
      if (!gap_ok || r.type >= interaction_type_count || r.tab_active < -1 || r.tab_active > 1) {
        return false;
      }
      w.ring_.push_back(r);
    }
    return true;
  }

  static std::optional<feature_window> unpack(const msgpack::object& o) {
    if (!is_array(o, top_fields, false)) {
      return std::nullopt;
    }
    const msgpack::object* f = o.via.array.ptr;
    const auto capacity = f[capacity_at].as<std::uint64_t>();
    if (capacity == 0 || capacity > detail::max_ring_capacity) {
      return std::nullopt;
    }
    feature_window w{capacity};
    const bool ok
        = unpack_scalars(f, w) && unpack_moments(f[moments_at], w) && unpack_ring(f[ring_at], w);
    return ok ? std::optional<feature_window>{std::move(w)} : std::nullopt;
  }
};

std::vector<std::uint8_t> feature_window::serialize() const {
  std::vector<std::uint8_t> out;
  out.reserve(64 + 8 * ring_.size());
  byte_sink sink{out};
  msgpack::packer<byte_sink> pk{sink};
  codec::pack(*this, pk);
  return out;
}

std::optional<feature_window> feature_window::deserialize(const std::uint8_t* data,
                                                          std::size_t size) {
  if (data == nullptr || size == 0 || size > max_snapshot_bytes) {
    return std::nullopt;
  }
  // Parser exceptions (truncation, limits, wrong types) stop here, as STYLE.md asks.
  try {
    std::size_t offset = 0;
    const auto handle = msgpack::unpack(reinterpret_cast<const char*>(data), size, offset, nullptr,
                                        nullptr, snapshot_limits());
    if (offset != size) {
      return std::nullopt; // trailing bytes: not one of our snapshots
    }
    return codec::unpack(handle.get());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

} // namespace aia::model
