// The spec's four adaptation tables as rules: a trigger on one state dimension, and parameters
// that scale with how far past its threshold the state is.
#include "model/recommender.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>

namespace aia::model {

namespace {

// -- thresholds ----------------------------------------------------------------------------------

constexpr double high_load = 0.625; // load >= 0.625 is exactly cognitive_load_level >= 4
constexpr double low_focus = 0.4;
constexpr double high_fatigue = 0.6;
constexpr double low_engagement = 0.4;

double unit(double x) noexcept {
  return std::isnan(x) ? 0.0 : std::clamp(x, 0.0, 1.0);
}

// -- parameters ----------------------------------------------------------------------------------

/// A parameter and whether it only changes how the UI looks (dropped without visual adaptation).
struct entry {
  parameter value;
  bool visual;
};

using table = std::vector<entry>;

/// `lo` at severity 0 to `hi` at severity 1, rounded to two decimals for the wire.
double scale(double lo, double hi, double severity) {
  return std::round((lo + (hi - lo) * severity) * 100) / 100;
}

entry number(std::string name, double x, bool visual) {
  return {parameter{std::move(name), parameter::kind::number, x, {}}, visual};
}

entry flag(std::string name, bool visual = false) {
  return {parameter{std::move(name), parameter::kind::flag, 1, {}}, visual};
}

entry text(std::string name, std::string x, bool visual) {
  return {parameter{std::move(name), parameter::kind::text, 0, std::move(x)}, visual};
}

// The spec's tables; `s` is the severity, 0 at the threshold and 1 at the extreme.

table load_table(double s) {
  return {number("visual_complexity", scale(0.7, 0.5, s), true),
          number("animation_speed", scale(0.8, 0.5, s), true),
          number("max_colors", s < 0.5 ? 4 : 3, true),
          number("information_density", scale(0.4, 0.3, s), false),
          number("click_target_scale", scale(1.2, 1.5, s), true),
          flag("simplified_navigation")};
}

table focus_table(double s) {
  return {number("highlight_intensity", 1.2, true),
          number("contrast_boost", scale(1.1, 1.3, s), true), flag("show_progress"),
          flag("attention_cues"), flag("reduce_distractions")};
}

table fatigue_table(double s) {
  return {flag("suggest_break"), flag("reduce_interactions"),
          number("ui_scale", scale(1.1, 1.25, s), true), text("color_scheme", "soft", true),
          number("transition_speed", scale(0.8, 0.6, s), true)};
}

table engagement_table(double) {
  return {number("interactive_elements_multiplier", 1.5, false), flag("gamification"),
          flag("show_progress"), flag("achievement_feedback"), flag("dynamic_content")};
}

// -- rules ---------------------------------------------------------------------------------------

/// One adaptation family: which dimension triggers it, where, and what it changes.
struct rule {
  recommendation_type type;
  const char* label; // names the dimension in the reason
  double threshold;
  bool above; // triggers at value >= threshold (else at value < threshold)
  double user_state::*value;
  double state_confidence::*confidence;
  table (*parameters)(double severity);
};

constexpr rule rules[] = {
    {recommendation_type::reduce_cognitive_load, "cognitive load", high_load, true,
     &user_state::cognitive_load, &state_confidence::cognitive_load, load_table},
    {recommendation_type::improve_focus, "focus level", low_focus, false, &user_state::focus_level,
     &state_confidence::focus_level, focus_table},
    {recommendation_type::mitigate_fatigue, "fatigue level", high_fatigue, true,
     &user_state::fatigue_level, &state_confidence::fatigue_level, fatigue_table},
    {recommendation_type::boost_engagement, "engagement score", low_engagement, false,
     &user_state::engagement_score, &state_confidence::engagement_score, engagement_table},
};

/// How far past the threshold `v` is, 0..1; negative when the rule does not trigger.
double severity(const rule& r, double v) {
  if (std::isnan(v)) {
    return -1;
  }
  return r.above ? (v - r.threshold) / (1 - r.threshold) : (r.threshold - v) / r.threshold;
}

std::string reason(const rule& r, const user_state& s) {
  char buf[96];
  if (r.type == recommendation_type::reduce_cognitive_load) {
    std::snprintf(buf, sizeof buf, "cognitive load %d/5", s.cognitive_load_level);
  } else {
    std::snprintf(buf, sizeof buf, "%s %.2f %s %.2f", r.label, s.*r.value,
                  r.above ? "at or above" : "below", r.threshold);
  }
  return buf;
}

std::vector<parameter> select(table t, bool visual_adaptation) {
  std::vector<parameter> out;
  for (entry& e : t) {
    if (visual_adaptation || !e.visual) {
      out.push_back(std::move(e.value));
    }
  }
  return out;
}

/// The rule's recommendation for `s`, if it triggers and is worth sending.
std::optional<recommendation> apply(const rule& r, std::string_view user_id, const user_state& s,
                                    const recommender_options& opt) {
  const double sev = severity(r, s.*r.value);
  // Never more sure than the state it rests on: a mere touch of the threshold halves it.
  const double confidence = unit(s.confidence.*r.confidence) * (0.5 + 0.5 * unit(sev));
  if (sev < 0 || confidence <= 0) {
    return std::nullopt;
  }
  auto params = select(r.parameters(unit(sev)), opt.visual_adaptation);
  if (params.empty()) {
    return std::nullopt;
  }
  const auto name = to_string(r.type);
  return recommendation{std::string{user_id}.append(":").append(name),
                        r.type,
                        reason(r, s),
                        confidence,
                        std::move(params),
                        s.updated_at + opt.ttl_seconds};
}

} // namespace

std::vector<recommendation> recommend(std::string_view user_id, const user_state& s,
                                      const recommender_options& opt) {
  std::vector<recommendation> out;
  for (const rule& r : rules) {
    if (auto rec = apply(r, user_id, s, opt)) {
      out.push_back(std::move(*rec));
    }
  }
  // Stable: equal confidences keep the tables' order, so the output is deterministic.
  std::stable_sort(out.begin(), out.end(), [](const recommendation& a, const recommendation& b) {
    return a.confidence > b.confidence;
  });
  return out;
}

} // namespace aia::model
