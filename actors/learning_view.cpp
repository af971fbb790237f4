// Builds learning_reply from the engine's answers (see learning_view.hpp).
#include "actors/learning_view.hpp"

#include "model/learning/learner.hpp"
#include "model/user_state.hpp"

namespace aia::actors {

namespace {

skill_view view_of(const model::learning::learning_engine& engine,
                   const model::learning::learner_state& learner, const std::string& skill) {
  skill_view v;
  v.skill = skill;
  v.p_known = engine.mastery(learner, skill);
  if (const auto* r = learner.find_skill(skill)) {
    v.attempts = r->attempts;
    v.correct = r->correct;
    v.last_at = r->last_at;
  }
  return v;
}

void fill_next(learning_reply& out, const model::learning::learning_engine& engine,
               const model::learning::learner_state& learner, const model::user_state& state,
               double now) {
  auto step = engine.next(learner, {state.cognitive_load, state.fatigue_level}, now);
  out.kind = model::learning::to_string(step.what);
  out.item_id = step.item_id;
  out.skill = step.skill;
  out.reason = step.reason;
  out.p_success = step.p_success;
  out.recall = step.recall;
  out.in_band = step.in_band;
  out.band_low = step.band.low;
  out.band_high = step.band.high;
  out.take_break = step.pause.take_break;
  out.break_minutes = step.pause.minutes;
  out.break_reason = model::learning::to_string(step.pause.reason);
  out.minutes_active = step.minutes_active;
  out.visual_complexity = step.visual_complexity;
  if (!step.skill.empty()) {
    out.skills.push_back(view_of(engine, learner, step.skill));
  }
}

} // namespace

std::optional<learning_reply>
make_learning_reply(const model::learning::learning_engine& engine,
                    const model::learning::learner_state& learner, const model::user_state& state,
                    const std::string& user, const learning_query& q, double now,
                    learning_refusal* why) {
  auto refuse = [why](learning_refusal r) -> std::optional<learning_reply> {
    if (why != nullptr) {
      *why = r;
    }
    return std::nullopt;
  };
  learning_reply out;
  out.user_id = user;
  out.what = q.what;
  out.as_of = now;
  out.answers = learner.answers;
  out.mastery_threshold = engine.config().progression.mastery_threshold;
  auto style = engine.style(learner);
  out.preferred_modality = std::string{model::to_string(style.primary)};
  out.modality_scores.assign(style.scores.begin(), style.scores.end());
  out.modality_confidence = style.confidence;
  if (q.what == "mastery") {
    for (const auto& r : learner.skills) {
      out.skills.push_back(view_of(engine, learner, r.skill));
    }
  } else if (q.what == "next") {
    fill_next(out, engine, learner, state, now);
  } else if (q.what == "path") {
    auto steps = engine.path(learner, q.arg);
    if (!steps) {
      return refuse(learning_refusal::unknown_skill);
    }
    out.goal = q.arg;
    for (auto& s : *steps) {
      auto v = view_of(engine, learner, s.skill);
      v.prerequisites = std::move(s.prerequisites);
      out.skills.push_back(std::move(v));
    }
  } else if (q.what == "item") {
    out.item_id = q.arg;
    if (const auto* it = learner.find_item(q.arg)) {
      out.skill = it->skill;
      out.item_attempts = it->attempts;
      out.item_correct = it->correct;
      out.stability_days = it->memory.stability_days;
      out.item_difficulty = it->memory.difficulty;
      out.last_review = it->last_review;
      out.next_review_at = engine.next_review_at(learner, q.arg);
    }
    const auto& skill = !out.skill.empty() ? out.skill : q.skill;
    if (!skill.empty()) {
      out.skills.push_back(view_of(engine, learner, skill));
    }
  } else {
    return refuse(learning_refusal::unknown_query);
  }
  return out;
}

} // namespace aia::actors
