// Tests of the JSON wire format: validation of REST and WebSocket input, and the output bodies.
#include "net/json_codec.hpp"

#include "tests/support/wire.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <set>
#include <string>

using namespace aia;
using net::codec_limits;
using net::wire_error;
using net::ws_inbound;
using nlohmann::json;

namespace {

const codec_limits limits{};
constexpr double now = 1700000010.0;

// The REST example of the spec, byte for byte as printed in its curl command.
constexpr std::string_view spec_rest_body = aia::test::spec_rest_interaction;

// What JSON.stringify makes of the spec's TypeScript batch, with Date.now() = 1700000000123.
constexpr std::string_view spec_ws_batch
    = R"({"type":"interaction_batch","interactions":[{"timestamp":1700000000123,"userId":"user123",)"
      R"("interactionType":"click","elementId":"submit-button","timingData":{"responseTime":1.2,)"
      R"("dwellTime":3.5},"viewportData":{"scrollDistance":100,"deviceType":"desktop"},)"
      R"("contextData":{"tabActive":true,"sessionDuration":300000}}]})";

model::interaction rest_ok(std::string_view body) {
  auto r = net::parse_interaction(body, limits, now);
  if (auto* e = std::get_if<wire_error>(&r)) {
    FAIL("refused: " << e->code << " " << e->field << " " << e->message);
  }
  return std::get<model::interaction>(r);
}

wire_error rest_refused(std::string_view body) {
  auto r = net::parse_interaction(body, limits, now);
  REQUIRE(std::holds_alternative<wire_error>(r));
  return std::get<wire_error>(r);
}

ws_inbound ws_ok(std::string_view text) {
  auto r = net::parse_ws_message(text, "user123", limits, now);
  if (auto* e = std::get_if<wire_error>(&r)) {
    FAIL("refused: " << e->code << " " << e->field << " " << e->message);
  }
  return std::get<ws_inbound>(r);
}

wire_error ws_refused(std::string_view text) {
  auto r = net::parse_ws_message(text, "user123", limits, now);
  REQUIRE(std::holds_alternative<wire_error>(r));
  return std::get<wire_error>(r);
}

/// The spec's REST body as a JSON value, to derive variants from.
json rest_body() {
  return json::parse(spec_rest_body);
}

/// The spec's WebSocket batch with `n` copies of its interaction.
json ws_batch(std::size_t n = 1) {
  auto batch = json::parse(spec_ws_batch);
  auto item = batch["interactions"][0];
  batch["interactions"] = json::array();
  for (std::size_t i = 0; i < n; ++i) {
    batch["interactions"].push_back(item);
  }
  return batch;
}

void check_error(const wire_error& e, std::string_view code, std::string_view field) {
  CHECK(e.code == code);
  CHECK(e.field == field);
  CHECK_FALSE(e.message.empty());
}

std::string nested_arrays(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[')
         + std::string(static_cast<std::size_t>(depth), ']');
}

std::set<std::string> keys_of(const json& j) {
  std::set<std::string> keys;
  for (const auto& item : j.items()) {
    keys.insert(item.key());
  }
  return keys;
}

model::user_state sample_state() {
  model::user_state s;
  s.emotion = {0.2, -0.3, 0.1, 0.6};
  s.cognitive_load = 0.75;
  s.cognitive_load_level = 4;
  s.focus_level = 0.4;
  s.engagement_score = 0.7;
  s.fatigue_level = 0.2;
  s.style_scores = {0.1, 0.1, 0.1, 0.6, 0.1};
  s.primary_style = model::learning_style::reading_writing;
  s.confidence = {0.5, 0.6, 0.7, 0.8, 0.9, 0.3};
  s.model_version = "heuristic-1";
  s.updated_at = 1700000000.5;
  s.interaction_count = 42;
  return s;
}

std::vector<model::recommendation> sample_recommendations() {
  using kind = model::parameter::kind;
  model::recommendation r;
  r.id = "user123:reduce_cognitive_load";
  r.type = model::recommendation_type::reduce_cognitive_load;
  r.reason = "cognitive load 4 of 5";
  r.confidence = 0.85;
  r.parameters = {{"animation_speed", kind::number, 0.6, {}},
                  {"simplified_navigation", kind::flag, 1, {}},
                  {"color_scheme", kind::text, 0, "soft"}};
  r.expires_at = 1700000300;
  return {r};
}

const std::set<std::string> rest_state_keys{
    "emotional_state",  "cognitive_load", "cognitive_load_level", "focus_level",
    "engagement_score", "fatigue_level",  "learning_style",       "confidence",
    "model_version",    "updated_at",     "interaction_count"};

const std::set<std::string> ws_state_keys{"emotionalState", "cognitiveLoad",   "cognitiveLoadLevel",
                                          "focusLevel",     "engagementScore", "fatigueLevel",
                                          "learningStyle",  "confidence",      "modelVersion",
                                          "updatedAt",      "interactionCount"};

} // namespace

// -- the spec's examples -------------------------------------------------------------------------

TEST_CASE("the spec's REST curl body parses with its values") {
  auto x = rest_ok(spec_rest_body);
  CHECK(x.timestamp == Approx(1634567890.123));
  CHECK(x.user_id == "user123");
  CHECK(x.type == model::interaction_type::click);
  CHECK(x.element_id == "nav-menu");
  CHECK(x.response_time == Approx(0.8));
  CHECK(x.dwell_time == Approx(2.1));
  CHECK(x.scroll_distance == Approx(150));
  CHECK(x.device == model::device_type::mobile);
  CHECK(x.tab_active == 1);
  CHECK(x.session_duration == Approx(180000));
  CHECK(x.client_id.empty());
  CHECK(x.seq == 0);
}

TEST_CASE("the spec's TypeScript batch parses, with Date.now() milliseconds made seconds") {
  auto in = ws_ok(spec_ws_batch);
  CHECK(in.type == ws_inbound::kind::interaction_batch);
  REQUIRE(in.interactions.size() == 1);
  const auto& x = in.interactions[0];
  CHECK(x.timestamp == Approx(1700000000.123).epsilon(1e-12));
  CHECK(x.user_id == "user123");
  CHECK(x.type == model::interaction_type::click);
  CHECK(x.element_id == "submit-button");
  CHECK(x.response_time == Approx(1.2));
  CHECK(x.dwell_time == Approx(3.5));
  CHECK(x.scroll_distance == Approx(100));
  CHECK(x.device == model::device_type::desktop);
  CHECK(x.tab_active == 1);
  CHECK(x.session_duration == Approx(300000));
}

TEST_CASE("both spellings are accepted on both transports") {
  SECTION("camelCase on REST") {
    auto x = rest_ok(ws_batch()["interactions"][0].dump());
    CHECK(x.timestamp == Approx(1700000000.123));
    CHECK(x.device == model::device_type::desktop);
  }
  SECTION("snake_case on WebSocket") {
    auto batch = json{{"type", "interaction_batch"}, {"interactions", {rest_body()}}};
    auto in = ws_ok(batch.dump());
    REQUIRE(in.interactions.size() == 1);
    CHECK(in.interactions[0].device == model::device_type::mobile);
    CHECK(in.interactions[0].session_duration == Approx(180000));
  }
  SECTION("both spellings of one field with equal values") {
    auto body = rest_body();
    body["userId"] = "user123";
    body["timingData"] = body["timing_data"];
    CHECK(rest_ok(body.dump()).user_id == "user123");
  }
}

TEST_CASE("integer seconds stay seconds, numbers above 1e11 are milliseconds") {
  auto body = rest_body();
  body["timestamp"] = 1634567890;
  CHECK(rest_ok(body.dump()).timestamp == Approx(1634567890));
  body["timestamp"] = 1634567890123.0;
  CHECK(rest_ok(body.dump()).timestamp == Approx(1634567890.123));
}

TEST_CASE("unknown extra fields are ignored and null optionals are absent") {
  auto body = rest_body();
  body["future_field"] = {{"anything", {1, 2, 3}}};
  body["element_id"] = nullptr;
  body["timing_data"]["response_time"] = nullptr;
  body["viewport_data"] = nullptr;
  body["context_data"]["unknown"] = "x";
  body["client_id"] = nullptr;
  body["seq"] = nullptr;
  auto x = rest_ok(body.dump());
  CHECK(x.element_id.empty());
  CHECK_FALSE(model::present(x.response_time));
  CHECK(x.dwell_time == Approx(2.1));
  CHECK_FALSE(model::present(x.scroll_distance));
  CHECK(x.device == model::device_type::unknown);
  CHECK(x.tab_active == 1);
  CHECK(x.seq == 0);
}

TEST_CASE("client id and seq are read on interactions and batches") {
  auto body = rest_body();
  body["client_id"] = "tab-1";
  body["seq"] = 7;
  auto x = rest_ok(body.dump());
  CHECK(x.client_id == "tab-1");
  CHECK(x.seq == 7);

  auto batch = ws_batch();
  batch["clientId"] = "tab-2";
  batch["seq"] = 9;
  auto in = ws_ok(batch.dump());
  CHECK(in.client_id == "tab-2");
  CHECK(in.seq == 9);
}

TEST_CASE("a ping is a ping") {
  auto in = ws_ok(R"({"type":"ping"})");
  CHECK(in.type == ws_inbound::kind::ping);
  CHECK(in.interactions.empty());
}

// -- refusals ------------------------------------------------------------------------------------

TEST_CASE("missing required fields are named") {
  for (const char* name : {"timestamp", "user_id", "interaction_type"}) {
    auto body = rest_body();
    body.erase(name);
    check_error(rest_refused(body.dump()), "missing_field", name);
  }
  auto batch = ws_batch();
  batch["interactions"][0].erase("interactionType");
  check_error(ws_refused(batch.dump()), "missing_field", "interactions[0].interactionType");
}

TEST_CASE("wrong types and out-of-range values are refused, never clamped") {
  struct variant {
    json::json_pointer where;
    json value;
    std::string field;
  };
  const std::vector<variant> variants{
      {json::json_pointer{"/timestamp"}, "soon", "timestamp"},
      {json::json_pointer{"/user_id"}, 123, "user_id"},
      {json::json_pointer{"/timing_data/response_time"}, -0.1, "timing_data.response_time"},
      {json::json_pointer{"/timing_data/dwell_time"}, "2", "timing_data.dwell_time"},
      {json::json_pointer{"/timing_data"}, 5, "timing_data"},
      {json::json_pointer{"/viewport_data/scroll_distance"}, true, "viewport_data.scroll_distance"},
      {json::json_pointer{"/viewport_data/device_type"}, "watch", "viewport_data.device_type"},
      {json::json_pointer{"/context_data/tab_active"}, "yes", "context_data.tab_active"},
      {json::json_pointer{"/context_data/session_duration"}, -1, "context_data.session_duration"},
      {json::json_pointer{"/interaction_type"}, "doubleclick", "interaction_type"},
      {json::json_pointer{"/element_id"}, std::string(257, 'e'), "element_id"},
      {json::json_pointer{"/user_id"}, "user 123", "user_id"},
      {json::json_pointer{"/user_id"}, "", "user_id"},
      {json::json_pointer{"/user_id"}, std::string(129, 'u'), "user_id"},
      {json::json_pointer{"/timestamp"}, now + 301, "timestamp"},
      {json::json_pointer{"/timestamp"}, (now + 301) * 1000, "timestamp"},
      {json::json_pointer{"/timestamp"}, 0, "timestamp"},
      {json::json_pointer{"/timestamp"}, -5, "timestamp"},
      {json::json_pointer{"/seq"}, 0, "seq"},
      {json::json_pointer{"/seq"}, 3.5, "seq"},
      {json::json_pointer{"/seq"}, 3.0, "seq"},
      {json::json_pointer{"/seq"}, -2, "seq"},
      {json::json_pointer{"/seq"}, "x", "seq"},
      {json::json_pointer{"/client_id"}, "", "client_id"},
      {json::json_pointer{"/client_id"}, std::string(65, 'c'), "client_id"},
  };
  for (const auto& v : variants) {
    auto body = rest_body();
    body[v.where] = v.value;
    INFO(body.dump());
    check_error(rest_refused(body.dump()), "invalid_field", v.field);
  }
}

TEST_CASE("values at the limits are accepted") {
  auto body = rest_body();
  body["element_id"] = std::string(256, 'e');
  body["user_id"] = std::string(128, 'u');
  body["timestamp"] = now + 299;
  body["timing_data"]["response_time"] = 0;
  body["viewport_data"]["scroll_distance"] = -400;
  body["client_id"] = std::string(64, 'c');
  body["seq"] = 1;
  auto x = rest_ok(body.dump());
  CHECK(x.scroll_distance == Approx(-400));
  CHECK(x.response_time == 0);
  CHECK(net::is_valid_user_id("a.b_c:d@e-F9"));
}

TEST_CASE("a number too large for a double is refused") {
  auto body = std::string(spec_rest_body);
  body.replace(body.find("1634567890.123"), 14, "1e400");
  check_error(rest_refused(body), "invalid_field", "");
}

TEST_CASE("field paths use the client's spelling and index") {
  auto batch = ws_batch(5);
  batch["interactions"][3]["timingData"]["responseTime"] = -1;
  check_error(ws_refused(batch.dump()), "invalid_field", "interactions[3].timingData.responseTime");

  auto mixed = ws_batch(2);
  mixed["interactions"][1].erase("viewportData");
  mixed["interactions"][1]["viewport_data"] = {{"device_type", "fridge"}};
  check_error(ws_refused(mixed.dump()), "invalid_field",
              "interactions[1].viewport_data.device_type");

  auto not_object = ws_batch(2);
  not_object["interactions"][1] = 42;
  check_error(ws_refused(not_object.dump()), "invalid_field", "interactions[1]");
}

TEST_CASE("conflicting spellings of one field are refused") {
  auto body = rest_body();
  body["userId"] = "someone_else";
  check_error(rest_refused(body.dump()), "invalid_field", "user_id");

  auto nested = rest_body();
  nested["timing_data"]["responseTime"] = 5;
  check_error(rest_refused(nested.dump()), "invalid_field", "timing_data.response_time");
}

TEST_CASE("malformed JSON and ill-formed UTF-8 are invalid_json") {
  check_error(rest_refused(spec_rest_body.substr(0, 40)), "invalid_json", "");
  check_error(rest_refused(""), "invalid_json", "");
  check_error(rest_refused("not json"), "invalid_json", "");
  check_error(rest_refused(R"({"timestamp": 1634567890, "user_id": "u)"
                           "\xff"
                           R"("})"),
              "invalid_json", "");
  check_error(ws_refused("{\"type\":\"ping\",\"x\":\"\xc0\xaf\"}"), "invalid_json", "");
}

TEST_CASE("a body that is not an object is refused") {
  check_error(rest_refused("[1,2]"), "invalid_field", "");
  check_error(ws_refused("\"ping\""), "invalid_field", "");
}

TEST_CASE("nesting is limited to max_depth") {
  // The body object is level 1, so an extra field of 31 nested arrays makes depth 32.
  auto deep = [](int arrays) { return R"({"type":"ping","extra":)" + nested_arrays(arrays) + "}"; };
  CHECK(ws_ok(deep(31)).type == ws_inbound::kind::ping);
  check_error(ws_refused(deep(32)), "invalid_json", "");

  auto batch = ws_batch();
  batch["interactions"][0]["contextData"]["extra"] = json::parse(nested_arrays(28));
  CHECK(ws_ok(batch.dump()).interactions.size() == 1);
  batch["interactions"][0]["contextData"]["extra"] = json::parse(nested_arrays(29));
  check_error(ws_refused(batch.dump()), "invalid_json", "");
}

TEST_CASE("100000-deep nesting is refused without a crash") {
  check_error(rest_refused(nested_arrays(100000)), "invalid_json", "");
  check_error(ws_refused(std::string(100000, '{')), "invalid_json", "");
  check_error(ws_refused(R"({"type":"ping","x":)" + std::string(100000, '[')), "invalid_json", "");
  CHECK(ws_ok(R"({"type":"ping","x":")" + std::string(100000, '[') + "\"}").type
        == ws_inbound::kind::ping);
}

TEST_CASE("brackets inside strings do not count as nesting") {
  auto body = rest_body();
  body["element_id"] = std::string(200, '[') + "\\\"{";
  CHECK(rest_ok(body.dump()).element_id.size() == 203);
}

TEST_CASE("a batch holds 1 to max_batch interactions") {
  check_error(ws_refused(ws_batch(0).dump()), "invalid_field", "interactions");
  check_error(ws_refused(ws_batch(limits.max_batch + 1).dump()), "invalid_field", "interactions");
  check_error(ws_refused(R"({"type":"interaction_batch","interactions":{}})"), "invalid_field",
              "interactions");
  check_error(ws_refused(R"({"type":"interaction_batch"})"), "missing_field", "interactions");
  CHECK(ws_ok(ws_batch(limits.max_batch).dump()).interactions.size() == limits.max_batch);
}

TEST_CASE("message types are checked") {
  check_error(ws_refused(R"({"type":"subscribe"})"), "unknown_message_type", "type");
  check_error(ws_refused(R"({"interactions":[]})"), "missing_field", "type");
  check_error(ws_refused(R"({"type":7})"), "invalid_field", "type");
}

TEST_CASE("every interaction of a batch must belong to the path's user") {
  auto batch = ws_batch(4);
  batch["interactions"][2]["userId"] = "mallory";
  check_error(ws_refused(batch.dump()), "user_mismatch", "interactions[2].userId");

  auto snake = ws_batch();
  snake["interactions"][0].erase("userId");
  snake["interactions"][0]["user_id"] = "user1234";
  check_error(ws_refused(snake.dump()), "user_mismatch", "interactions[0].user_id");
}

// -- serialisation -------------------------------------------------------------------------------

TEST_CASE("the REST interaction response has the documented snake_case keys") {
  auto body = json::parse(net::rest_interaction_response("user123", 7, false, sample_state(),
                                                         sample_recommendations(), 1.25));
  CHECK(keys_of(body)
        == std::set<std::string>{"accepted", "user_id", "seq", "duplicate", "user_state",
                                 "recommendations", "processing_time_ms"});
  CHECK(body["accepted"] == true);
  CHECK(body["seq"] == 7);
  CHECK(body["duplicate"] == false);
  CHECK(body["processing_time_ms"] == 1.25);

  const auto& state = body["user_state"];
  CHECK(keys_of(state) == rest_state_keys);
  CHECK(keys_of(state["emotional_state"])
        == std::set<std::string>{"valence", "arousal", "dominance", "activation"});
  CHECK(keys_of(state["learning_style"])
        == std::set<std::string>{"primary", "scores", "confidence"});
  CHECK(state["learning_style"]["primary"] == "reading_writing");
  CHECK(keys_of(state["learning_style"]["scores"])
        == std::set<std::string>{"visual", "auditory", "kinesthetic", "reading_writing",
                                 "multimodal"});
  CHECK(state["learning_style"]["confidence"] == 0.3);
  CHECK(keys_of(state["confidence"])
        == std::set<std::string>{"emotional_state", "cognitive_load", "focus_level",
                                 "engagement_score", "fatigue_level", "learning_style"});
  CHECK(state["cognitive_load"] == 0.75);
  CHECK(state["cognitive_load_level"] == 4);
  CHECK(state["emotional_state"]["arousal"] == -0.3);
  CHECK(state["model_version"] == "heuristic-1");
  CHECK(state["interaction_count"] == 42);

  const auto& rec = body["recommendations"][0];
  CHECK(keys_of(rec)
        == std::set<std::string>{"id", "type", "reason", "confidence", "parameters", "expires_at"});
  CHECK(rec["type"] == "reduce_cognitive_load");
  CHECK(
      rec["parameters"]
      == json{{"animation_speed", 0.6}, {"simplified_navigation", true}, {"color_scheme", "soft"}});
}

TEST_CASE("WebSocket frames use camelCase keys and snake_case enum values") {
  auto update = json::parse(net::ws_user_state_update(sample_state()));
  CHECK(keys_of(update) == std::set<std::string>{"type", "userState"});
  CHECK(update["type"] == "user_state_update");
  const auto& state = update["userState"];
  CHECK(keys_of(state) == ws_state_keys);
  CHECK(keys_of(state["learningStyle"]["scores"])
        == std::set<std::string>{"visual", "auditory", "kinesthetic", "readingWriting",
                                 "multimodal"});
  CHECK(state["learningStyle"]["primary"] == "reading_writing");
  CHECK(keys_of(state["confidence"])
        == std::set<std::string>{"emotionalState", "cognitiveLoad", "focusLevel", "engagementScore",
                                 "fatigueLevel", "learningStyle"});
  CHECK(state["focusLevel"] == 0.4);

  auto recs = json::parse(net::ws_recommendations(sample_recommendations()));
  CHECK(keys_of(recs) == std::set<std::string>{"type", "recommendations"});
  const auto& rec = recs["recommendations"][0];
  CHECK(keys_of(rec)
        == std::set<std::string>{"id", "type", "reason", "confidence", "parameters", "expiresAt"});
  CHECK(rec["type"] == "reduce_cognitive_load");
  CHECK(rec["parameters"]
        == json{{"animationSpeed", 0.6}, {"simplifiedNavigation", true}, {"colorScheme", "soft"}});
}

TEST_CASE("the profile body lists every interaction type") {
  model::user_profile p;
  p.user_id = "user123";
  p.state = sample_state();
  p.recommendations = sample_recommendations();
  p.interaction_count = 3;
  p.counts_by_type[0] = 2;
  p.counts_by_type[11] = 1;
  p.first_seen = 1700000000;
  p.last_seen = 1700000005.5;
  auto body = json::parse(net::rest_profile(p));
  CHECK(keys_of(body)
        == std::set<std::string>{"user_id", "user_state", "learning_style", "recommendations",
                                 "interaction_count", "interaction_counts", "first_seen",
                                 "last_seen", "model_version", "updated_at"});
  CHECK(body["learning_style"] == body["user_state"]["learning_style"]);
  CHECK(body["interaction_counts"].size() == 12);
  CHECK(body["interaction_counts"]["click"] == 2);
  CHECK(body["interaction_counts"]["visibility_change"] == 1);
  CHECK(body["interaction_counts"]["hover"] == 0);
  CHECK(body["last_seen"] == 1700000005.5);
  CHECK(body["model_version"] == "heuristic-1");
}

TEST_CASE("errors, status and small frames have their documented shapes") {
  CHECK(json::parse(net::rest_error({"invalid_field", "bad", "timing_data.response_time"}))
        == json{{"error", "invalid_field"},
                {"message", "bad"},
                {"field", "timing_data.response_time"}});
  CHECK(json::parse(net::rest_error({"invalid_json", "bad", ""}))
        == json{{"error", "invalid_json"}, {"message", "bad"}});
  CHECK(json::parse(net::rest_status("ok")) == json{{"status", "ok"}});
  CHECK(json::parse(net::ws_error({"unknown_message_type", "no", "type"}))
        == json{{"type", "error"},
                {"error", "unknown_message_type"},
                {"message", "no"},
                {"field", "type"}});
  CHECK(json::parse(net::ws_pong()) == json{{"type", "pong"}});
  CHECK(
      json::parse(net::ws_ack("tab-1", 9, 3, 1))
      == json{
          {"type", "ack"}, {"clientId", "tab-1"}, {"seq", 9}, {"accepted", 3}, {"duplicates", 1}});
  CHECK(json::parse(net::ws_ack("", 0, 1, 0))["clientId"].is_null());
  CHECK(json::parse(net::ws_performance_metrics(2.5, 1.5, 17))
        == json{{"type", "performance_metrics"},
                {"metrics",
                 {{"processingTimeMs", 2.5}, {"modelLatencyMs", 1.5}, {"queueLength", 17}}}});
}

TEST_CASE("output is valid JSON whatever the values") {
  auto state = sample_state();
  state.focus_level = std::nan("");
  state.fatigue_level = std::numeric_limits<double>::infinity();
  state.model_version = "quote\" backslash\\ newline\n bell\x07 bad\xff utf8 é";
  auto recs = sample_recommendations();
  recs[0].reason = "tab\there";
  auto body = json::parse(net::rest_interaction_response("u", 1, true, state, recs, 0));
  CHECK(body["user_state"]["focus_level"].is_null());
  CHECK(body["user_state"]["fatigue_level"].is_null());
  CHECK(body["user_state"]["model_version"]
        == "quote\" backslash\\ newline\n bell\x07 bad\xef\xbf\xbd utf8 é");
  CHECK(body["recommendations"][0]["reason"] == "tab\there");
}

TEST_CASE("numbers round-trip exactly") {
  auto state = sample_state();
  state.updated_at = 1634567890.123456;
  state.emotion.valence = -1e-9;
  auto body = json::parse(net::ws_user_state_update(state));
  CHECK(body["userState"]["updatedAt"].get<double>() == state.updated_at);
  CHECK(body["userState"]["emotionalState"]["valence"].get<double>() == state.emotion.valence);
}
