// The JSON wire format (shared PROTOCOL.md): validation of interactions and WebSocket messages,
// and the REST and WebSocket bodies; field names come from one table in detail/json_names.hpp.
#include "net/json_codec.hpp"

#include "model/state/feedback_layer.hpp"

#include "net/detail/json_names.hpp"
#include "net/detail/json_reader.hpp"
#include "net/detail/json_writer.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <optional>
#include <utility>

namespace aia::net {

namespace {

using namespace detail;

// -- writing -------------------------------------------------------------------------------------

/// Writes `{name: x.*member, ...}` for one table of numeric fields.
template <class T, std::size_t N>
void write_numbers(json_writer& w, const T& x, const std::array<named_number<T>, N>& fields) {
  w.begin_object();
  for (const auto& f : fields) {
    w.member(f.name, x.*(f.member));
  }
  w.end_object();
}

void write_learning_style(json_writer& w, const model::user_state& s) {
  w.begin_object().member(f_primary, name_of(style_names, s.primary_style));
  w.key(f_scores).begin_object();
  for (std::size_t i = 0; i < style_names.size(); ++i) {
    w.member(style_names[i], s.style_scores[i]);
  }
  w.end_object().member(f_confidence, s.confidence.learning_style).end_object();
}

void write_state(json_writer& w, const model::user_state& s) {
  w.begin_object().key(f_emotional_state);
  write_numbers(w, s.emotion, emotion_fields);
  w.member(f_cognitive_load, s.cognitive_load)
      .member(f_cognitive_load_level, s.cognitive_load_level)
      .member(f_focus_level, s.focus_level)
      .member(f_engagement_score, s.engagement_score)
      .member(f_fatigue_level, s.fatigue_level)
      .key(f_learning_style);
  write_learning_style(w, s);
  w.key(f_confidence);
  write_numbers(w, s.confidence, confidence_fields);
  w.member(f_model_version, s.model_version)
      .member(f_updated_at, s.updated_at)
      .member(f_interaction_count, s.interaction_count)
      .end_object();
}

void write_parameter(json_writer& w, const model::parameter& p) {
  w.name_key(p.name);
  switch (p.type) {
  case model::parameter::kind::flag:
    w.value(p.number != 0);
    break;
  case model::parameter::kind::text:
    w.value(p.text);
    break;
  case model::parameter::kind::number:
    w.value(p.number);
    break;
  }
}

void write_recommendations(json_writer& w, const std::vector<model::recommendation>& recs) {
  w.begin_array();
  for (const auto& r : recs) {
    w.begin_object()
        .member(f_id, r.id)
        .member(f_type, name_of(recommendation_names, r.type))
        .member(f_reason, r.reason)
        .member(f_confidence, r.confidence)
        .key(f_parameters)
        .begin_object();
    for (const auto& p : r.parameters) {
      write_parameter(w, p);
    }
    w.end_object().member(f_expires_at, r.expires_at).end_object();
  }
  w.end_array();
}

void write_error_fields(json_writer& w, const wire_error& e) {
  w.member(f_error, e.code).member(f_message, e.message);
  if (!e.field.empty()) {
    w.member(f_field, e.field);
  }
}

// -- reading -------------------------------------------------------------------------------------

/// What an interaction is checked against besides its own fields.
struct interaction_rules {
  const codec_limits& limits;
  double now;
  std::optional<std::string_view> path_user; ///< the WebSocket path's user, if any
};

/// Optional idempotency key, on an interaction or a whole batch.
struct idempotency_key {
  std::string client_id;
  std::uint64_t seq = 0;
};

idempotency_key read_idempotency(const field_reader& r, const codec_limits& limits) {
  idempotency_key k;
  if (auto id = r.text(r.find(f_client_id), 1, limits.max_client_id)) {
    k.client_id = *id;
  }
  k.seq = r.sequence(r.find(f_seq));
  return k;
}

/// Seconds since the epoch; numbers above 1e11 are milliseconds (`Date.now()`).
double read_timestamp(const field_reader& r, const interaction_rules& rules) {
  auto field = r.need(f_timestamp);
  auto t = r.number(field, -std::numeric_limits<double>::infinity());
  if (!model::present(t)) {
    return 0;
  }
  constexpr double millisecond_threshold = 1e11;
  if (t > millisecond_threshold) {
    t /= 1000;
  }
  if (t <= 0 || t > rules.now + rules.limits.max_future_seconds) {
    r.fail(field, "invalid_field",
           "must be > 0 and not more than "
               + std::to_string(std::llround(rules.limits.max_future_seconds))
               + " s in the future");
  }
  return t;
}

std::string read_user(const field_reader& r, const interaction_rules& rules) {
  auto field = r.need(f_user_id);
  auto id = r.text(field);
  if (!id) {
    return {};
  }
  if (!is_valid_user_id(*id)) {
    r.fail(field, "invalid_field", "must be 1 to 128 characters of [A-Za-z0-9._:@-]");
  } else if (rules.path_user && *id != *rules.path_user) {
    r.fail(field, "user_mismatch", "differs from the connection's user");
  }
  return std::string{*id};
}

void read_nested(const field_reader& r, model::interaction& x) {
  const auto timing = r.object(f_timing_data);
  x.response_time = timing.number(timing.find(f_response_time), 0);
  x.dwell_time = timing.number(timing.find(f_dwell_time), 0);
  const auto viewport = r.object(f_viewport_data);
  x.scroll_distance
      = viewport.number(viewport.find(f_scroll_distance), -std::numeric_limits<double>::infinity());
  x.device = viewport.enumeration(viewport.find(f_device_type), model::parse_device_type)
                 .value_or(model::device_type::unknown);
  const auto context = r.object(f_context_data);
  x.tab_active = context.flag(context.find(f_tab_active));
  x.session_duration = context.number(context.find(f_session_duration), 0);
}

/// A right/wrong grade: true/false, or the 0/1 that knowledge-tracing data uses; -1 if absent.
std::int8_t read_grade(const field_reader& r, const found& f) {
  if (f.value != nullptr && f.value->is_integer()) {
    auto v = f.value->int64();
    if (v == 0 || v == 1) {
      return static_cast<std::int8_t>(v);
    }
    r.fail(f, "invalid_field", "must be true, false, 0 or 1");
    return -1;
  }
  return r.flag(f);
}

/// The learning fields in `learning` (the `learning_data` object of an interaction, or the body
/// of POST /learning/answer): item_id, skill and correct grade an `answer`; a modality fits any
/// interaction. `need_item`: the item id is required.
void read_learning(const field_reader& learning, model::interaction& x,
                   const codec_limits& limits, bool need_item = false) {
  const auto modality = learning.find(f_modality);
  if (auto m = learning.enumeration(modality, model::parse_learning_style)) {
    x.modality = static_cast<std::int8_t>(*m);
  }
  const auto item = need_item ? learning.need(f_item_id) : learning.find(f_item_id);
  const auto skill = learning.find(f_skill);
  const auto correct = learning.find(f_correct);
  if (item.value == nullptr && skill.value == nullptr && correct.value == nullptr) {
    return;
  }
  if (x.type != model::interaction_type::answer) {
    const auto& f = correct.value != nullptr ? correct : skill.value != nullptr ? skill : item;
    learning.fail(f, "invalid_field", "is only allowed on interactions of type answer");
    return;
  }
  if (auto id = learning.text(item, 1, limits.max_element_id)) {
    x.item_id = *id;
  }
  if (auto s = learning.text(learning.need(f_skill), 1, limits.max_element_id)) {
    x.skill = *s;
  }
  x.correct = read_grade(learning, learning.need(f_correct));
}

/// Reads one interaction; errors go to the reader's sink.
model::interaction read_interaction(const field_reader& r, const interaction_rules& rules) {
  model::interaction x;
  x.timestamp = read_timestamp(r, rules);
  x.user_id = read_user(r, rules);
  x.type = r.enumeration(r.need(f_interaction_type), model::parse_interaction_type)
               .value_or(model::interaction_type::click);
  if (auto id = r.text(r.find(f_element_id), 0, rules.limits.max_element_id)) {
    x.element_id = *id;
  }
  read_nested(r, x);
  read_learning(r.object(f_learning_data), x, rules.limits);
  auto key = read_idempotency(r, rules.limits);
  x.client_id = std::move(key.client_id);
  x.seq = key.seq;
  return x;
}

/// One parse of a whole message, refusing malformed JSON, ill-formed UTF-8 and deep nesting.
parse_result<json_document> parse_document(std::string_view text, int max_depth) {
  auto parsed = parse_json(text, max_depth);
  if (auto* doc = std::get_if<json_document>(&parsed)) {
    return std::move(*doc);
  }
  const auto& f = std::get<json_failure>(parsed);
  switch (f.why) {
  case json_failure::reason::too_deep:
    return wire_error{"invalid_json", "JSON nests deeper than " + std::to_string(max_depth), {}};
  case json_failure::reason::out_of_range:
    return wire_error{"invalid_field", "a number is too large for a double", {}};
  case json_failure::reason::syntax:
    break;
  }
  return wire_error{"invalid_json",
                    "malformed JSON or UTF-8 at byte " + std::to_string(f.byte), {}};
}

ws_inbound read_batch(const field_reader& r, const interaction_rules& rules) {
  ws_inbound in;
  in.type = ws_inbound::kind::interaction_batch;
  auto list = r.need(f_interactions);
  if (list.value != nullptr
      && (!list.value->is_array() || list.value->empty()
          || list.value->size() > rules.limits.max_batch)) {
    r.fail(list, "invalid_field",
           "must be an array of 1 to " + std::to_string(rules.limits.max_batch) + " interactions");
  }
  auto key = read_idempotency(r, rules.limits);
  in.client_id = std::move(key.client_id);
  in.seq = key.seq;
  if (r.failed() || list.value == nullptr) {
    return in;
  }
  const path_node list_path{&r.path(), list.key};
  in.interactions.reserve(list.value->size());
  std::size_t i = 0;
  for (const auto& element : list.value->children()) {
    if (r.failed()) {
      break;
    }
    const auto item = r.element(list_path, element, i++);
    in.interactions.push_back(read_interaction(item, rules));
  }
  return in;
}

/// Reads the root object of `doc` with `read`, returning its value or the first error.
template <class Read>
auto read_root(const json& doc, spelling preferred, Read read)
    -> parse_result<decltype(read(std::declval<const field_reader&>()))> {
  error_sink sink;
  const field_reader root{doc, path_node{}, preferred, sink};
  auto value = read(root);
  if (sink.failed()) {
    return sink.take();
  }
  return value;
}

/// Parses a REST body (snake_case preferred) and reads its root object with `read(reader, rules)`.
template <class Read>
auto read_rest_body(std::string_view body, const codec_limits& limits, double now, Read read)
    -> parse_result<decltype(read(std::declval<const field_reader&>(),
                                  std::declval<const interaction_rules&>()))> {
  auto doc = parse_document(body, limits.max_depth);
  if (auto* e = std::get_if<wire_error>(&doc)) {
    return std::move(*e);
  }
  const interaction_rules rules{limits, now, std::nullopt};
  return read_root(std::get<json_document>(doc).root(), spelling::snake,
                   [&](const field_reader& r) { return read(r, rules); });
}

/// The body of POST /learning/answer as an `answer` interaction.
model::interaction read_answer(const field_reader& r, const interaction_rules& rules) {
  model::interaction x;
  x.type = model::interaction_type::answer;
  x.timestamp = r.find(f_timestamp).value != nullptr ? read_timestamp(r, rules) : rules.now;
  x.user_id = read_user(r, rules);
  x.response_time = r.number(r.find(f_response_time), 0);
  read_learning(r, x, rules.limits, true);
  auto key = read_idempotency(r, rules.limits);
  x.client_id = std::move(key.client_id);
  x.seq = key.seq;
  return x;
}

/// The body of POST /feedback.
feedback_body read_feedback(const field_reader& r, const interaction_rules& rules) {
  feedback_body out;
  out.user_id = read_user(r, rules);
  auto& u = out.update;
  u.timestamp = r.find(f_timestamp).value != nullptr ? read_timestamp(r, rules) : rules.now;
  auto dim_field = r.need(f_dimension);
  auto dim = r.enumeration(dim_field, model::state::parse_state_dimension);
  if (dim) {
    u.dimension = std::string{model::state::to_string(*dim)};
  }
  auto value_field = r.need(f_value);
  u.value = r.number(value_field, -std::numeric_limits<double>::infinity());
  if (dim && model::present(u.value)) {
    auto [lo, hi] = model::state::range_of(*dim);
    if (u.value < lo || u.value > hi) {
      r.fail(value_field, "invalid_field",
             lo < 0 ? "must be in -1..1 for this dimension"
                    : "must be in 0..1 for this dimension");
    }
  }
  u.source = "self_report";
  if (auto s = r.text(r.find(f_source))) {
    if (*s != "self_report" && *s != "task_outcome") {
      r.fail(r.find(f_source), "invalid_field", "must be self_report or task_outcome");
    }
    u.source = *s;
  }
  return out;
}

ws_inbound read_ws_message(const field_reader& r, const interaction_rules& rules) {
  auto type = r.need(f_type);
  auto name = r.text(type);
  if (!name) {
    return {};
  }
  if (*name == "interaction_batch") {
    return read_batch(r, rules);
  }
  if (*name != "ping") {
    r.fail(type, "unknown_message_type", "must be interaction_batch or ping");
  }
  return {};
}

std::string finish(json_writer& w) {
  w.end_object();
  return w.take();
}

} // namespace

bool is_valid_user_id(std::string_view id) noexcept {
  constexpr std::size_t max_length = 128;
  auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
           || c == '_' || c == ':' || c == '@' || c == '-';
  };
  return !id.empty() && id.size() <= max_length && std::all_of(id.begin(), id.end(), allowed);
}

// -- parsing -------------------------------------------------------------------------------------

parse_result<model::interaction> parse_interaction(std::string_view body,
                                                   const codec_limits& limits, double now) {
  return read_rest_body(body, limits, now, read_interaction);
}

parse_result<model::interaction> parse_learning_answer(std::string_view body,
                                                       const codec_limits& limits, double now) {
  return read_rest_body(body, limits, now, read_answer);
}

parse_result<feedback_body> parse_feedback(std::string_view body, const codec_limits& limits,
                                           double now) {
  return read_rest_body(body, limits, now, read_feedback);
}

parse_result<ws_inbound> parse_ws_message(std::string_view text, std::string_view path_user,
                                          const codec_limits& limits, double now) {
  auto doc = parse_document(text, limits.max_depth);
  if (auto* e = std::get_if<wire_error>(&doc)) {
    return std::move(*e);
  }
  const interaction_rules rules{limits, now, path_user};
  return read_root(std::get<json_document>(doc).root(), spelling::camel,
                   [&rules](const field_reader& r) { return read_ws_message(r, rules); });
}

// -- REST bodies ---------------------------------------------------------------------------------

std::string rest_interaction_response(std::string_view user_id, std::uint64_t seq, bool duplicate,
                                      const model::user_state& s,
                                      const std::vector<model::recommendation>& recs,
                                      double processing_time_ms) {
  json_writer w{spelling::snake, 1024 + 512 * recs.size()};
  w.begin_object()
      .member(f_accepted, true)
      .member(f_user_id, user_id)
      .member(f_seq, seq)
      .member(f_duplicate, duplicate)
      .key(f_user_state);
  write_state(w, s);
  w.key(f_recommendations);
  write_recommendations(w, recs);
  w.member(f_processing_time_ms, processing_time_ms);
  return finish(w);
}

std::string rest_profile(const model::user_profile& p) {
  json_writer w{spelling::snake, 1536 + 512 * p.recommendations.size()};
  w.begin_object().member(f_user_id, p.user_id).key(f_user_state);
  write_state(w, p.state);
  w.key(f_learning_style);
  write_learning_style(w, p.state);
  w.key(f_recommendations);
  write_recommendations(w, p.recommendations);
  w.member(f_interaction_count, p.interaction_count).key(f_interaction_counts).begin_object();
  for (int i = 0; i < model::interaction_type_count; ++i) {
    w.name_key(model::to_string(static_cast<model::interaction_type>(i)))
        .value(p.counts_by_type[static_cast<std::size_t>(i)]);
  }
  w.end_object()
      .member(f_first_seen, p.first_seen)
      .member(f_last_seen, p.last_seen)
      .member(f_model_version, p.state.model_version)
      .member(f_updated_at, p.state.updated_at);
  return finish(w);
}

std::string rest_feedback(const actors::feedback_reply& r) {
  json_writer w{spelling::snake, 2048};
  w.begin_object()
      .member(f_accepted, true)
      .member(f_user_id, r.profile.user_id)
      .name_key("dimension").value(r.dimension)
      .name_key("labels").value(r.labels)
      .name_key("model_value").value(r.model_value)
      .name_key("offset").value(r.offset)
      .name_key("offset_std").value(r.offset_std)
      .name_key("profile").raw(rest_profile(r.profile));
  return finish(w);
}

std::string rest_error(const wire_error& e) {
  json_writer w{spelling::snake, 128};
  w.begin_object();
  write_error_fields(w, e);
  return finish(w);
}

std::string rest_status(std::string_view status) {
  json_writer w{spelling::snake, 32};
  w.begin_object().member(f_status, status);
  return finish(w);
}

// -- WebSocket frames ----------------------------------------------------------------------------

std::string ws_ack(std::string_view client_id, std::uint64_t seq, std::size_t accepted,
                   std::size_t duplicates) {
  json_writer w{spelling::camel, 128};
  w.begin_object().member(f_type, "ack").key(f_client_id);
  if (client_id.empty()) {
    w.null();
  } else {
    w.value(client_id);
  }
  w.member(f_seq, seq).member(f_accepted, accepted).member(f_duplicates, duplicates);
  return finish(w);
}

std::string ws_user_state_update(const model::user_state& s) {
  json_writer w{spelling::camel, 1024};
  w.begin_object().member(f_type, "user_state_update").key(f_user_state);
  write_state(w, s);
  return finish(w);
}

std::string ws_recommendations(const std::vector<model::recommendation>& recs) {
  json_writer w{spelling::camel, 64 + 512 * recs.size()};
  w.begin_object().member(f_type, "recommendations").key(f_recommendations);
  write_recommendations(w, recs);
  return finish(w);
}

std::string ws_performance_metrics(double processing_time_ms, double model_latency_ms,
                                   std::uint64_t queue_length) {
  json_writer w{spelling::camel, 128};
  w.begin_object()
      .member(f_type, "performance_metrics")
      .key(f_metrics)
      .begin_object()
      .member(f_processing_time_ms, processing_time_ms)
      .member(f_model_latency_ms, model_latency_ms)
      .member(f_queue_length, queue_length)
      .end_object();
  return finish(w);
}

std::string ws_error(const wire_error& e) {
  json_writer w{spelling::camel, 128};
  w.begin_object().member(f_type, "error");
  write_error_fields(w, e);
  return finish(w);
}

std::string ws_pong() {
  return R"({"type":"pong"})";
}

} // namespace aia::net
