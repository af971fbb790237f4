// Difficulty progression: eligibility by prerequisites, then the item nearest the success band.
#include "model/learning/progression.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>

namespace aia::model::learning {

namespace {

/// Ties within this distance count as equal, so rounding noise does not decide.
constexpr double tie_epsilon = 1e-9;

double strain_of(double x, double onset) noexcept {
  if (std::isnan(x) || onset >= 1) {
    return 0;
  }
  return std::clamp((x - onset) / (1 - onset), 0.0, 1.0);
}

bool prerequisites_mastered(const candidate_item& item, const mastery_map& mastery,
                            const skill_graph& graph, double threshold) {
  const auto pre = graph.prerequisites(item.skill);
  return std::all_of(pre.begin(), pre.end(),
                     [&](const auto& s) { return mastery_of(mastery, s) >= threshold; });
}

/// Distance of `p` outside the band (0 inside).
double outside(double p, const success_band& b) noexcept {
  return p < b.low ? b.low - p : p > b.high ? p - b.high : 0.0;
}

} // namespace

const char* to_string(progression_errc code) noexcept {
  switch (code) {
  case progression_errc::no_candidates:
    return "no_candidates";
  case progression_errc::invalid_predictions:
    return "invalid_predictions";
  case progression_errc::prerequisites_unmastered:
    return "prerequisites_unmastered";
  case progression_errc::none_in_band:
    return "none_in_band";
  }
  return "unknown";
}

success_band effective_band(const learner_strain& s, const progression_config& cfg) noexcept {
  const auto strain = std::max(strain_of(s.cognitive_load, cfg.load_onset),
                               strain_of(s.fatigue, cfg.fatigue_onset));
  const auto shift = cfg.max_shift * strain;
  return {std::min(cfg.band.low + shift, cfg.max_high),
          std::min(cfg.band.high + shift, cfg.max_high)};
}

progression_result choose_next(const std::vector<candidate_item>& items, const mastery_map& mastery,
                               const skill_graph& graph, const learner_strain& strain,
                               const progression_config& cfg) {
  if (items.empty()) {
    return progression_errc::no_candidates;
  }
  const auto band = effective_band(strain, cfg);
  const auto centre = (band.low + band.high) / 2;
  bool any_valid = false;
  std::optional<std::size_t> best;
  // Rank key: (distance outside band, distance to centre); smaller is better.
  std::tuple<double, double> best_key{};
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& item = items[i];
    const auto p = item.p_success;
    if (std::isnan(p) || p < 0 || p > 1) {
      continue;
    }
    any_valid = true;
    if (!prerequisites_mastered(item, mastery, graph, cfg.mastery_threshold)) {
      continue;
    }
    const std::tuple<double, double> key{outside(p, band), std::abs(p - centre)};
    if (!best) {
      best = i;
      best_key = key;
      continue;
    }
    const auto& cur = items[*best];
    const auto d_out = std::get<0>(key) - std::get<0>(best_key);
    const auto d_centre = std::get<1>(key) - std::get<1>(best_key);
    bool better = false;
    if (std::abs(d_out) > tie_epsilon) {
      better = d_out < 0;
    } else if (std::abs(d_centre) > tie_epsilon) {
      better = d_centre < 0;
    } else if (std::abs(p - cur.p_success) > tie_epsilon) {
      better = p > cur.p_success; // the easier item
    } else {
      better = mastery_of(mastery, item.skill) < mastery_of(mastery, cur.skill) - tie_epsilon;
    }
    if (better) {
      best = i;
      best_key = key;
    }
  }
  if (!any_valid) {
    return progression_errc::invalid_predictions;
  }
  if (!best) {
    return progression_errc::prerequisites_unmastered;
  }
  const bool in_band = std::get<0>(best_key) <= tie_epsilon;
  if (!in_band && !cfg.allow_outside_band) {
    return progression_errc::none_in_band;
  }
  return item_choice{*best, items[*best].p_success, in_band, band};
}

progression_result choose_next(std::vector<candidate_item> items, const mastery_map& mastery,
                               const skill_graph& graph, const learner_strain& strain,
                               const progression_config& cfg,
                               const std::function<double(const candidate_item&)>& predict) {
  for (auto& item : items) {
    item.p_success = predict(item);
  }
  return choose_next(static_cast<const std::vector<candidate_item>&>(items), mastery, graph, strain,
                     cfg);
}

} // namespace aia::model::learning
