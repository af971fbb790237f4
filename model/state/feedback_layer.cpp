// The per-user feedback layer (see feedback_layer.hpp).
#include "model/state/feedback_layer.hpp"

#include <msgpack.hpp>

#include <algorithm>
#include <cmath>

namespace aia::model::state {

namespace {

constexpr std::array<std::string_view, state_dimension_count> names{
  "valence", "arousal", "cognitive_load", "focus_level", "engagement_score", "fatigue_level"};
constexpr int codec_version = 1;

double* field_of(user_state& s, state_dimension d) noexcept {
  switch (d) {
  case state_dimension::valence:
    return &s.emotion.valence;
  case state_dimension::arousal:
    return &s.emotion.arousal;
  case state_dimension::cognitive_load:
    return &s.cognitive_load;
  case state_dimension::focus_level:
    return &s.focus_level;
  case state_dimension::engagement_score:
    return &s.engagement_score;
  case state_dimension::fatigue_level:
    return &s.fatigue_level;
  }
  return &s.focus_level;
}

double feedback_confidence(const dimension_offset& o, double prior_var) noexcept {
  if (o.labels == 0 || o.variance < 0 || prior_var <= 0) {
    return 0;
  }
  return std::clamp(1 - std::sqrt(o.variance / prior_var), 0.0, 1.0);
}

double combine(double model_conf, double fb_conf) noexcept {
  if (fb_conf <= 0) {
    return model_conf;  // exactly: no reports change nothing
  }
  return 1 - (1 - std::clamp(model_conf, 0.0, 1.0)) * (1 - fb_conf);
}

} // namespace

std::string_view to_string(state_dimension d) noexcept {
  return names[static_cast<std::size_t>(d)];
}

std::optional<state_dimension> parse_state_dimension(std::string_view name) noexcept {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) {
      return static_cast<state_dimension>(i);
    }
  }
  return std::nullopt;
}

std::pair<double, double> range_of(state_dimension d) noexcept {
  return d == state_dimension::valence || d == state_dimension::arousal
           ? std::pair{-1.0, 1.0}
           : std::pair{0.0, 1.0};
}

std::vector<std::uint8_t> feedback_state::encode() const {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk{buf};
  pk.pack_array(3);
  pk.pack(codec_version);
  pk.pack(version);
  pk.pack_array(state_dimension_count);
  for (const auto& o : offsets) {
    pk.pack_array(4);
    pk.pack_double(o.mean);
    pk.pack_double(o.variance);
    pk.pack(o.labels);
    pk.pack_double(o.last_at);
  }
  auto p = reinterpret_cast<const std::uint8_t*>(buf.data());
  return {p, p + buf.size()};
}

std::optional<feedback_state> feedback_state::decode(const std::uint8_t* data, std::size_t size) {
  try {
    auto oh = msgpack::unpack(reinterpret_cast<const char*>(data), size, nullptr, nullptr,
                              msgpack::unpack_limit(8, 0, 0, 0, 0, 3));
    const auto& o = oh.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 3
        || o.via.array.ptr[0].as<int>() != codec_version) {
      return std::nullopt;
    }
    feedback_state s;
    s.version = o.via.array.ptr[1].as<std::uint64_t>();
    const auto& list = o.via.array.ptr[2];
    if (list.type != msgpack::type::ARRAY || list.via.array.size != state_dimension_count) {
      return std::nullopt;
    }
    for (std::size_t i = 0; i < state_dimension_count; ++i) {
      const auto& e = list.via.array.ptr[i];
      if (e.type != msgpack::type::ARRAY || e.via.array.size != 4) {
        return std::nullopt;
      }
      auto& d = s.offsets[i];
      d.mean = e.via.array.ptr[0].as<double>();
      d.variance = e.via.array.ptr[1].as<double>();
      d.labels = e.via.array.ptr[2].as<std::uint32_t>();
      d.last_at = e.via.array.ptr[3].as<double>();
      if (!std::isfinite(d.mean) || !std::isfinite(d.variance)) {
        return std::nullopt;
      }
    }
    return s;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

double feedback_layer::prior_variance(state_dimension d) const noexcept {
  auto [lo, hi] = range_of(d);
  double sd = prior_.offset_sd * (hi - lo);
  return sd * sd;
}

double feedback_layer::value_of(const user_state& s, state_dimension d) noexcept {
  return *field_of(const_cast<user_state&>(s), d);
}

void feedback_layer::observe(feedback_state& s, state_dimension d, double model_value,
                             double reported, double t) const noexcept {
  auto [lo, hi] = range_of(d);
  auto& o = s.offsets[static_cast<std::size_t>(d)];
  const double prior_var = prior_variance(d);
  const double var = o.variance < 0 ? prior_var : o.variance;
  const double noise = std::pow(prior_.report_sd * (hi - lo), 2);
  const double residual = std::clamp(reported, lo, hi) - model_value;
  const double precision = 1 / var + 1 / noise;
  o.mean = (o.mean / var + residual / noise) / precision;
  o.variance = 1 / precision;
  ++o.labels;
  o.last_at = std::max(o.last_at, t);
  ++s.version;
}

user_state feedback_layer::apply(const feedback_state& s, user_state out) const noexcept {
  std::array<double, state_dimension_count> conf{};
  for (std::size_t i = 0; i < state_dimension_count; ++i) {
    auto d = static_cast<state_dimension>(i);
    const auto& o = s.offsets[i];
    conf[i] = feedback_confidence(o, prior_variance(d));
    if (o.labels == 0) {
      continue;
    }
    auto [lo, hi] = range_of(d);
    double* v = field_of(out, d);
    *v = std::clamp(*v + o.mean, lo, hi);
  }
  auto at = [&conf](state_dimension d) { return conf[static_cast<std::size_t>(d)]; };
  auto& c = out.confidence;
  c.emotional_state = combine(c.emotional_state,
                              std::min(at(state_dimension::valence), at(state_dimension::arousal)));
  c.cognitive_load = combine(c.cognitive_load, at(state_dimension::cognitive_load));
  c.focus_level = combine(c.focus_level, at(state_dimension::focus_level));
  c.engagement_score = combine(c.engagement_score, at(state_dimension::engagement_score));
  c.fatigue_level = combine(c.fatigue_level, at(state_dimension::fatigue_level));
  if (at(state_dimension::cognitive_load) > 0) {
    out.cognitive_load_level = static_cast<int>(std::lround(1 + 4 * out.cognitive_load));
  }
  return out;
}

} // namespace aia::model::state
