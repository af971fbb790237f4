// Test harness: example payloads and PROTOCOL.md shape checks.
#include "tests/support/wire.hpp"

#include "tests/support/http_client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <sstream>

namespace aia::test {

namespace {

using json = nlohmann::json;

/// `snake` in the requested spelling (snake_case or camelCase).
std::string name(std::string_view snake, bool camel) {
  std::string out;
  bool upper = false;
  for (char c : snake) {
    if (camel && c == '_') {
      upper = true;
      continue;
    }
    out += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

void check_number(const json& obj, const std::string& key, double lo, double hi) {
  INFO("field " << key << " in " << obj.dump());
  REQUIRE(obj.contains(key));
  REQUIRE(obj[key].is_number());
  auto x = obj[key].get<double>();
  CHECK(std::isfinite(x));
  CHECK(x >= lo);
  CHECK(x <= hi);
}

} // namespace

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json spec_ws_batch(std::string_view user) {
  // The spec's TypeScript example, field for field; only the user is a parameter.
  return json{
      {"type", "interaction_batch"},
      {"interactions", json::array({json{
                           {"timestamp", now_ms()},
                           {"userId", user},
                           {"interactionType", "click"},
                           {"elementId", "submit-button"},
                           {"timingData", {{"responseTime", 1.2}, {"dwellTime", 3.5}}},
                           {"viewportData", {{"scrollDistance", 100}, {"deviceType", "desktop"}}},
                           {"contextData", {{"tabActive", true}, {"sessionDuration", 300000}}},
                       }})}};
}

json rest_interaction(std::string_view user, std::string_view type) {
  return json{{"timestamp", static_cast<double>(now_ms()) / 1000.0},
              {"user_id", user},
              {"interaction_type", type},
              {"element_id", "nav-menu"},
              {"timing_data", {{"response_time", 0.8}, {"dwell_time", 2.1}}},
              {"viewport_data", {{"scroll_distance", 150}, {"device_type", "mobile"}}},
              {"context_data", {{"tab_active", true}, {"session_duration", 180000}}}};
}

json ws_interaction(std::string_view user, std::string_view type) {
  return json{{"timestamp", now_ms()},
              {"userId", user},
              {"interactionType", type},
              {"elementId", "submit-button"},
              {"timingData", {{"responseTime", 1.2}, {"dwellTime", 3.5}}},
              {"viewportData", {{"scrollDistance", 100}, {"deviceType", "desktop"}}},
              {"contextData", {{"tabActive", true}, {"sessionDuration", 300000}}}};
}

json ws_batch(std::string_view user, int n, std::string_view client_id, std::uint64_t seq) {
  json batch{{"type", "interaction_batch"}, {"interactions", json::array()}};
  for (int i = 0; i < n; ++i) {
    batch["interactions"].push_back(ws_interaction(user));
  }
  if (!client_id.empty()) {
    batch["clientId"] = client_id;
    batch["seq"] = seq;
  }
  return batch;
}

std::int64_t profile_count(std::uint16_t port, std::string_view user) {
  auto res = http_request(port, "GET", std::string{api} + "/profile/" + std::string{user});
  if (res.status == 404) {
    return -1;
  }
  INFO("GET profile of " << user << ": " << res.status << " " << res.body);
  REQUIRE(res.status == 200);
  auto j = json::parse(res.body);
  REQUIRE(j["interaction_count"].is_number_integer());
  return j["interaction_count"].get<std::int64_t>();
}

std::optional<double> metric_sample(const std::string& text, std::string_view series) {
  std::istringstream in{text};
  const auto prefix = std::string{series} + " ";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) {
      return std::stod(line.substr(prefix.size()));
    }
  }
  return std::nullopt;
}

double node_metric(std::uint16_t port, std::string_view series) {
  auto res = http_request(port, "GET", "/metrics");
  REQUIRE(res.status == 200);
  auto value = metric_sample(res.body, series);
  INFO("/metrics:\n" << res.body);
  REQUIRE(value.has_value());
  return *value;
}

void check_user_state(const json& s, bool camel) {
  INFO("user state: " << s.dump());
  REQUIRE(s.is_object());
  const auto& emo = s.at(name("emotional_state", camel));
  for (const char* k : {"valence", "arousal", "dominance"}) {
    check_number(emo, k, -1, 1);
  }
  check_number(emo, "activation", 0, 1);
  check_number(s, name("cognitive_load", camel), 0, 1);
  check_number(s, name("cognitive_load_level", camel), 1, 5);
  auto level = s.at(name("cognitive_load_level", camel));
  CHECK(level.is_number_integer());
  // The 1..5 level is the normalised load on the spec's scale, rounded: level ~ 1 + 4 * load.
  CHECK(std::abs(1 + 4 * s.at(name("cognitive_load", camel)).get<double>() - level.get<double>())
        <= 0.5 + 1e-9);
  check_number(s, name("focus_level", camel), 0, 1);
  check_number(s, name("engagement_score", camel), 0, 1);
  check_number(s, name("fatigue_level", camel), 0, 1);

  const auto& ls = s.at(name("learning_style", camel));
  constexpr std::array<std::string_view, 5> styles{"visual", "auditory", "kinesthetic",
                                                   "reading_writing", "multimodal"};
  REQUIRE(ls.at("primary").is_string());
  CHECK(std::find(styles.begin(), styles.end(), ls.at("primary").get<std::string>())
        != styles.end());
  double sum = 0;
  for (auto style : styles) {
    check_number(ls.at("scores"), name(style, camel), 0, 1);
    sum += ls.at("scores").at(name(style, camel)).get<double>();
  }
  CHECK(sum == Approx(1.0).margin(1e-6));
  check_number(ls, "confidence", 0, 1);

  const auto& conf = s.at("confidence");
  for (auto dim : {"emotional_state", "cognitive_load", "focus_level", "engagement_score",
                   "fatigue_level", "learning_style"}) {
    check_number(conf, name(dim, camel), 0, 1);
  }
  REQUIRE(s.at(name("model_version", camel)).is_string());
  CHECK_FALSE(s.at(name("model_version", camel)).get<std::string>().empty());
  check_number(s, name("updated_at", camel), 1e9, 1e10); // seconds, not milliseconds
  CHECK(s.at(name("interaction_count", camel)).is_number_unsigned());
}

void check_recommendation(const json& rec, bool camel) {
  INFO("recommendation: " << rec.dump());
  constexpr std::array<std::string_view, 4> types{"reduce_cognitive_load", "improve_focus",
                                                  "mitigate_fatigue", "boost_engagement"};
  REQUIRE(rec.at("id").is_string());
  REQUIRE(rec.at("type").is_string());
  CHECK(std::find(types.begin(), types.end(), rec.at("type").get<std::string>()) != types.end());
  CHECK(rec.at("reason").is_string());
  check_number(rec, "confidence", 0, 1);
  CHECK(rec.at("parameters").is_object());
  CHECK(rec.at(name("expires_at", camel)).is_number());
}

void check_error_body(const std::string& body, std::string_view code, std::string_view field) {
  INFO("error body: " << body);
  auto j = json::parse(body, nullptr, false);
  REQUIRE(j.is_object());
  REQUIRE(j.contains("error"));
  CHECK(j["error"] == code);
  REQUIRE(j.contains("message"));
  CHECK(j["message"].is_string());
  CHECK_FALSE(j["message"].get<std::string>().empty());
  if (!field.empty()) {
    REQUIRE(j.contains("field"));
    CHECK(j["field"] == field);
  }
}

void check_same_json(const nlohmann::json& a, const nlohmann::json& b, const std::string& path) {
  INFO("at " << path);
  REQUIRE(a.type() == b.type());
  if (a.is_object()) {
    REQUIRE(a.size() == b.size());
    for (const auto& [k, v] : a.items()) {
      REQUIRE(b.contains(k));
      if (k != "updated_at") {
        check_same_json(v, b[k], path + "." + k);
      }
    }
  } else if (a.is_array()) {
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      check_same_json(a[i], b[i], path + "[" + std::to_string(i) + "]");
    }
  } else if (a.is_number()) {
    CHECK(a.get<double>() == Approx(b.get<double>()).margin(1e-9).epsilon(0));
  } else {
    CHECK(a == b);
  }
}

} // namespace aia::test
