// The learning routes' JSON views.
#include "net/learning_codec.hpp"

#include "model/user_state.hpp"
#include "net/detail/json_writer.hpp"

namespace aia::net {

namespace {

using detail::json_writer;
using detail::spelling;

void write_skill(json_writer& w, const actors::skill_view& s, double threshold,
                 bool with_prerequisites) {
  w.begin_object()
    .name_key("skill").value(s.skill)
    .name_key("p_known").value(s.p_known)
    .name_key("mastered").value(s.p_known >= threshold)
    .name_key("attempts").value(s.attempts)
    .name_key("correct").value(s.correct);
  w.name_key("last_answered_at");
  if (s.last_at > 0) {
    w.value(s.last_at);
  } else {
    w.null();
  }
  if (with_prerequisites) {
    w.name_key("prerequisites").begin_array();
    for (const auto& p : s.prerequisites) {
      w.value(p);
    }
    w.end_array();
  }
  w.end_object();
}

void write_style(json_writer& w, const actors::learning_reply& r) {
  w.name_key("learning_style").begin_object()
    .name_key("primary").value(r.preferred_modality)
    .name_key("scores").begin_object();
  for (std::size_t i = 0; i < r.modality_scores.size(); ++i) {
    w.name_key(model::to_string(static_cast<model::learning_style>(i))).value(r.modality_scores[i]);
  }
  w.end_object().name_key("confidence").value(r.modality_confidence).end_object();
}

void write_next(json_writer& w, const actors::learning_reply& r) {
  w.name_key("next").begin_object().name_key("kind").value(r.kind);
  if (r.kind != "none") {
    w.name_key("item_id");
    if (r.item_id.empty()) {
      w.null();
    } else {
      w.value(r.item_id);
    }
    w.name_key("skill").value(r.skill).name_key("p_success").value(r.p_success);
    if (r.kind == "review") {
      w.name_key("recall").value(r.recall);
    }
    w.name_key("in_band").value(r.in_band);
  }
  w.name_key("target_band").begin_object()
    .name_key("low").value(r.band_low)
    .name_key("high").value(r.band_high)
    .end_object()
    .name_key("reason").value(r.reason)
    .end_object();
  if (!r.skills.empty()) {
    w.name_key("mastery");
    write_skill(w, r.skills.front(), r.mastery_threshold, false);
  }
  w.name_key("break").begin_object()
    .name_key("suggested").value(r.take_break)
    .name_key("minutes").value(r.break_minutes)
    .name_key("reason").value(r.break_reason)
    .name_key("minutes_active").value(r.minutes_active)
    .end_object();
  w.name_key("presentation").begin_object()
    .name_key("visual_complexity").value(r.visual_complexity)
    .name_key("preferred_modality").value(r.preferred_modality)
    .name_key("modality_confidence").value(r.modality_confidence)
    .end_object();
}

} // namespace

std::string rest_learning(const actors::learning_reply& r) {
  json_writer w{spelling::snake, 512 + 160 * r.skills.size()};
  w.begin_object()
    .name_key("user_id").value(r.user_id)
    .name_key("as_of").value(r.as_of)
    .name_key("answers").value(r.answers)
    .name_key("mastery_threshold").value(r.mastery_threshold);
  if (r.what == "next") {
    write_next(w, r);
  } else {
    if (r.what == "path") {
      w.name_key("goal").value(r.goal)
        .name_key("complete").value(r.skills.empty())
        .name_key("steps");
    } else {
      w.name_key("skills");
    }
    w.begin_array();
    for (const auto& s : r.skills) {
      write_skill(w, s, r.mastery_threshold, r.what == "path");
    }
    w.end_array();
  }
  write_style(w, r);
  w.end_object();
  return w.take();
}

std::string rest_learning_answer(const answer_receipt& a, const actors::learning_reply& item) {
  json_writer w{spelling::snake, 512};
  w.begin_object()
    .name_key("accepted").value(true)
    .name_key("user_id").value(a.user_id)
    .name_key("seq").value(a.seq)
    .name_key("duplicate").value(a.duplicate)
    .name_key("item_id").value(item.item_id)
    .name_key("correct").value(a.correct);
  if (!item.skills.empty()) {
    w.name_key("mastery");
    write_skill(w, item.skills.front(), item.mastery_threshold, false);
  }
  w.name_key("next_review_at");
  if (item.next_review_at > 0) {
    w.value(item.next_review_at);
  } else {
    w.null();
  }
  w.name_key("stability_days").value(item.stability_days)
    .name_key("processing_time_ms").value(a.processing_time_ms)
    .end_object();
  return w.take();
}

} // namespace aia::net
