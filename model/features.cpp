// The feature window: folds interactions into EWMA moments plus a ring of compact records, and
// reads the normalised feature vector of model/detail/feature_layout.hpp from them.
#include "model/features.hpp"

#include "model/detail/feature_layout.hpp"

#include <algorithm>
#include <cmath>

namespace aia::model {

namespace {

using detail::feature;
using detail::feature_table;

// -- constants ---------------------------------------------------------------------------------

constexpr double max_seconds = 1e7; // ~4 months: clamps absurd times and gaps
constexpr double max_pixels = 1e7;
constexpr double session_gap_s = 1800;   // a gap this long starts a new session
constexpr double idle_gap_s = 30;        // a gap this long counts as an idle period
constexpr double burst_gap_s = 0.3;      // a gap this short counts as part of a burst
constexpr double min_scroll_dt_s = 0.05; // floor of the time a scroll is assumed to take
constexpr double alpha_mean = 0.1;       // EWMA rates: ~10 and ~50 events of memory
constexpr double alpha_slow = 0.02;
constexpr double trend_gain = 1.5;            // tanh(1.5 * log-ratio): doubling reads as ~0.6
constexpr std::uint16_t baseline_events = 20; // response times that set a session's baseline
constexpr std::uint16_t min_baseline_events = 5;

// Reference values at which a log-scaled feature reaches 1.
constexpr double response_ref_s = 60;
constexpr double dwell_ref_s = 300;
constexpr double gap_ref_s = 300;
constexpr double scroll_ref_px = 10000;
constexpr double speed_ref_px_s = 20000;
constexpr double session_ref_min = 240;
constexpr double rate_ref_per_min = 120;

double unit(double x) noexcept {
  return std::isnan(x) ? 0.0 : std::clamp(x, 0.0, 1.0);
}

/// tanh(trend_gain * x), 0 for NaN: a log-ratio as a -1..1 trend.
double trend(double x) noexcept {
  return std::isnan(x) ? 0.0 : std::tanh(trend_gain * x);
}

/// log(1 + x) / log(1 + ref), clamped to 0..1.
double log_unit(double x, double ref) noexcept {
  return unit(std::log1p(std::max(x, 0.0)) / std::log1p(ref));
}

/// A non-negative finite value, or NaN when absent or unusable.
double usable(double x, double cap) noexcept {
  return std::isfinite(x) && x >= 0 ? std::min(x, cap) : absent;
}

/// Bias-corrected EWMA: the plain average for the first events, then the exponential one.
double corrected(double acc, double alpha, std::uint32_t n) noexcept {
  return acc / (1 - std::pow(1 - alpha, static_cast<double>(n)));
}

} // namespace

// -- moments -----------------------------------------------------------------------------------

void feature_window::moments::add(double x) noexcept {
  mean += alpha_mean * (x - mean);
  square += alpha_mean * (x * x - square);
  slow += alpha_slow * (x - slow);
  n = std::min(n + 1, UINT32_MAX - 1);
}

namespace {

// The helpers below take the window's private `moments` as a template parameter.

/// The EWMA level of a log1p-scaled quantity, normalised so that `ref` reads as 1.
template <class Moments>
double level(const Moments& m, double ref) noexcept {
  return unit(corrected(m.mean, alpha_mean, m.n) / std::log1p(ref));
}

/// Writes the level, standard deviation and, if `with_trend`, trend features of one quantity.
template <class Moments>
void write_moments(const Moments& m, double ref, feature_vector& out, std::size_t first,
                   bool with_trend) {
  if (m.n == 0) {
    return; // keep the typical values
  }
  const double mean = corrected(m.mean, alpha_mean, m.n);
  const double var = corrected(m.square, alpha_mean, m.n) - mean * mean;
  out.values[first] = level(m, ref);
  out.values[first + 1] = unit(std::sqrt(std::max(var, 0.0)));
  if (with_trend) {
    const double diff = mean - corrected(m.slow, alpha_slow, m.n);
    out.values[first + 2] = trend(diff);
  }
}

} // namespace

// -- one pass over the ring ----------------------------------------------------------------------

/// Counts over the recent interactions held in the ring.
struct feature_window::reading {
  std::array<double, interaction_type_count> types{};
  double events = 0;
  double with_gap = 0; // events with a known predecessor
  double bursts = 0;
  double idles = 0;
  double tab_reported = 0;
  double tab_inactive = 0;
  double span_s = 0; // time covered by the window (gaps after its oldest event)

  explicit reading(const feature_window& w) {
    const std::size_t oldest = w.ring_.size() < w.capacity_ ? 0 : w.head_;
    for (std::size_t i = 0; i < w.ring_.size(); ++i) {
      const record& r = w.ring_[i];
      types[r.type] += 1;
      events += 1;
      tab_reported += r.tab_active >= 0 ? 1 : 0;
      tab_inactive += r.tab_active == 0 ? 1 : 0;
      const bool idle_event = r.type == static_cast<std::uint8_t>(interaction_type::idle);
      idles += idle_event || r.gap > idle_gap_s ? 1 : 0;
      if (r.gap >= 0) {
        with_gap += 1;
        bursts += r.gap < burst_gap_s ? 1 : 0;
        span_s += i == oldest ? 0.0 : r.gap;
      }
    }
  }

  [[nodiscard]] double count(interaction_type t) const {
    return types[static_cast<std::size_t>(t)];
  }

  /// a / (a + b), or `fallback` when both are zero.
  [[nodiscard]] static double ratio(double a, double b, double fallback) {
    return a + b > 0 ? a / (a + b) : fallback;
  }

  /// Normalised Shannon entropy of the type mix.
  [[nodiscard]] double entropy() const {
    double h = 0;
    for (double c : types) {
      h -= c > 0 ? c / events * std::log(c / events) : 0.0;
    }
    return unit(h / std::log(static_cast<double>(interaction_type_count)));
  }

  void write_to(feature_vector& out) const {
    using it = interaction_type;
    auto& v = out.values;
    if (tab_reported > 0) {
      v[feature::tab_inactive_fraction] = tab_inactive / tab_reported;
    }
    if (with_gap > 0) {
      v[feature::burst_fraction] = bursts / with_gap;
    }
    v[feature::idle_fraction] = idles / events;
    v[feature::blur_fraction] = (count(it::blur) + count(it::visibility_change)) / events;
    v[feature::keypress_input_ratio]
        = ratio(count(it::keypress), count(it::input), v[feature::keypress_input_ratio]);
    v[feature::hover_click_ratio]
        = ratio(count(it::hover), count(it::click), v[feature::hover_click_ratio]);
    v[feature::type_entropy] = entropy();
    v[feature::mix_click] = count(it::click) / events;
    v[feature::mix_scroll] = count(it::scroll) / events;
    v[feature::mix_text] = (count(it::keypress) + count(it::input)) / events;
    v[feature::mix_navigation] = (count(it::navigation) + count(it::focus)) / events;
    v[feature::mix_answer] = (count(it::answer) + count(it::submit)) / events;
    if (events >= 2) {
      const double per_min = (events - 1) * 60 / std::max(span_s, 1.0);
      v[feature::event_rate] = log_unit(per_min, rate_ref_per_min);
      v[feature::click_rate] = log_unit(per_min * count(it::click) / events, rate_ref_per_min);
    }
  }
};

// -- the window ----------------------------------------------------------------------------------

feature_window::feature_window(std::size_t ring_capacity)
    : capacity_(static_cast<std::uint16_t>(
        std::clamp<std::size_t>(ring_capacity, 1, detail::max_ring_capacity))) {}

void feature_window::push(record r) {
  if (ring_.size() < capacity_) {
    ring_.reserve(capacity_);
    ring_.push_back(r);
    return;
  }
  ring_[head_] = r;
  head_ = static_cast<std::uint16_t>((head_ + 1) % capacity_);
}

void feature_window::add(const interaction& x) {
  if (static_cast<int>(x.type) >= interaction_type_count) {
    return; // not a protocol type: nothing to learn from it
  }
  const bool first = count_ == 0;
  const double ts = std::isfinite(x.timestamp) ? x.timestamp : last_ts_;
  // Out-of-order timestamps read as a zero gap; time never runs backwards in the window.
  const double gap = first ? -1.0 : std::clamp(ts - last_ts_, 0.0, max_seconds);
  if (first || gap > session_gap_s) {
    session_start_ = ts;
    reported_session_s_ = absent;
    baseline_sum_ = 0;
    baseline_n_ = 0;
  }
  last_ts_ = first ? ts : std::max(last_ts_, ts);
  if (const double rt = usable(x.response_time, max_seconds); present(rt)) {
    moments_[response_m].add(std::log1p(rt));
    if (baseline_n_ < baseline_events) {
      baseline_sum_ += std::log1p(rt);
      ++baseline_n_;
    }
  }
  if (const double dt = usable(x.dwell_time, max_seconds); present(dt)) {
    moments_[dwell_m].add(std::log1p(dt));
  }
  if (!first) {
    moments_[gap_m].add(std::log1p(gap));
  }
  if (const double d = usable(std::fabs(x.scroll_distance), max_pixels); present(d)) {
    moments_[scroll_m].add(std::log1p(d));
    if (!first) {
      moments_[speed_m].add(std::log1p(d / std::max(gap, min_scroll_dt_s)));
    }
  }
  if (x.device != device_type::unknown) {
    device_ = x.device;
  }
  if (const double sd = usable(x.session_duration / 1000, max_seconds); present(sd)) {
    reported_session_s_ = sd;
  }
  const std::int8_t tab = x.tab_active == 0 || x.tab_active == 1 ? x.tab_active : -1;
  push(record{static_cast<float>(gap), static_cast<std::uint8_t>(x.type), tab});
  ++count_;
}

feature_vector feature_window::features() const {
  feature_vector out;
  for (std::size_t i = 0; i < feature_count; ++i) {
    out.values[i] = feature_table[i].typical;
  }
  write_moments(moments_[response_m], response_ref_s, out, feature::response_time_mean, true);
  write_moments(moments_[dwell_m], dwell_ref_s, out, feature::dwell_time_mean, true);
  if (baseline_n_ >= min_baseline_events) {
    const auto& m = moments_[response_m];
    const double drift = corrected(m.mean, alpha_mean, m.n) - baseline_sum_ / baseline_n_;
    out.values[feature::response_time_drift] = trend(drift);
  }
  write_moments(moments_[gap_m], gap_ref_s, out, feature::gap_mean, false);
  if (moments_[scroll_m].n > 0) {
    out.values[feature::scroll_distance] = level(moments_[scroll_m], scroll_ref_px);
  }
  if (moments_[speed_m].n > 0) {
    out.values[feature::scroll_speed] = level(moments_[speed_m], speed_ref_px_s);
  }
  out.values[feature::device_mobile] = device_ == device_type::mobile ? 1 : 0;
  out.values[feature::device_tablet] = device_ == device_type::tablet ? 1 : 0;
  if (count_ > 0) {
    const double span = last_ts_ - session_start_;
    const double secs = present(reported_session_s_) ? std::max(span, reported_session_s_) : span;
    out.values[feature::session_duration] = log_unit(secs / 60, session_ref_min);
    reading{*this}.write_to(out);
  }
  const auto timed = std::max(moments_[response_m].n, moments_[dwell_m].n);
  out.values[feature::evidence] = log_unit(static_cast<double>(count_), detail::evidence_reference);
  out.values[feature::timing_support] = log_unit(timed, detail::evidence_reference);
  return out;
}

std::uint64_t feature_window::count() const noexcept {
  return count_;
}

std::size_t feature_window::memory_bytes() const noexcept {
  return sizeof(feature_window) + ring_.capacity() * sizeof(record);
}

std::string_view feature_name(std::size_t i) noexcept {
  return i < feature_count ? feature_table[i].name : std::string_view{};
}

} // namespace aia::model
