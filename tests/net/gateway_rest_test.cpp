// Integration tests of the REST gateway against PROTOCOL.md: a real aia-node, real sockets.
#include "net/gateway.hpp"

#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/wire.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace aia::test;
using json = nlohmann::json;

namespace {

const std::string interaction_target = std::string{api} + "/interaction";

std::string profile_target(std::string_view user) {
  return std::string{api} + "/profile/" + std::string{user};
}

json parse(const http_response& r) {
  INFO("body: " << r.body);
  auto j = json::parse(r.body, nullptr, false);
  REQUIRE_FALSE(j.is_discarded());
  return j;
}

double interactions_total(std::uint16_t port) {
  return node_metric(port, "interactions_total");
}

} // namespace

TEST_CASE("the spec's curl interaction is accepted with the whole user state") {
  node_process node;
  // YOUR_JWT_TOKEN of the spec: a token of the demo user, as the development mode prints.
  auto res
      = http_request(node.port(), "POST", interaction_target, std::string{spec_rest_interaction},
                     {{"Authorization", "Bearer " + token_for("user123")}});
  REQUIRE(res.status == 200);
  CHECK(res.header("Content-Type").rfind("application/json", 0) == 0);
  auto j = parse(res);
  CHECK(j.at("accepted") == true);
  CHECK(j.at("user_id") == "user123");
  CHECK(j.at("seq").is_number_unsigned());
  CHECK(j.at("duplicate") == false);
  check_user_state(j.at("user_state"), false);
  CHECK(j.at("user_state").at("interaction_count") == 1);
  REQUIRE(j.at("recommendations").is_array());
  for (const auto& rec : j.at("recommendations")) {
    check_recommendation(rec, false);
  }
  REQUIRE(j.at("processing_time_ms").is_number());
  CHECK(j.at("processing_time_ms").get<double>() >= 0);

  SECTION("and the profile shows it") {
    auto p = http_request(node.port(), "GET", profile_target("user123"));
    REQUIRE(p.status == 200);
    auto prof = parse(p);
    CHECK(prof.at("user_id") == "user123");
    CHECK(prof.at("interaction_count") == 1);
    CHECK(prof.at("interaction_counts").at("click") == 1);
    CHECK(prof.at("interaction_counts").at("scroll") == 0);
    CHECK(prof.at("first_seen").get<double>() == Approx(1634567890.123).margin(1e-3));
    CHECK(prof.at("last_seen").get<double>() == Approx(1634567890.123).margin(1e-3));
    CHECK(prof.at("model_version") == j.at("user_state").at("model_version"));
    check_user_state(prof.at("user_state"), false);
  }
}

TEST_CASE("a camelCase body and a millisecond timestamp are accepted on REST") {
  node_process node;
  auto ms = now_ms() - 1000;
  auto body = json{{"timestamp", ms},
                   {"userId", "camel"},
                   {"interactionType", "scroll"},
                   {"timingData", {{"responseTime", 0.5}}},
                   {"viewportData", {{"scrollDistance", -120}, {"deviceType", "tablet"}}},
                   {"contextData", {{"tabActive", false}, {"sessionDuration", 1000}}}};
  auto res = http_request(node.port(), "POST", interaction_target, body.dump());
  REQUIRE(res.status == 200);
  CHECK(parse(res).at("user_id") == "camel");
  auto prof = parse(http_request(node.port(), "GET", profile_target("camel")));
  CHECK(prof.at("interaction_counts").at("scroll") == 1);
  // Output timestamps are seconds since the epoch.
  CHECK(prof.at("first_seen").get<double>() == Approx(static_cast<double>(ms) / 1000).margin(1e-3));
}

TEST_CASE("the profile of a user never seen is 404 not_found") {
  node_process node;
  auto res = http_request(node.port(), "GET", profile_target("nobody-here"));
  CHECK(res.status == 404);
  check_error_body(res.body, "not_found");
}

TEST_CASE("one keep-alive connection carries many requests") {
  node_process node;
  http_connection c{node.port()};
  auto first_port = c.local_port();
  for (int i = 1; i <= 5; ++i) {
    auto post = c.post(interaction_target, rest_interaction("keeper").dump());
    REQUIRE(post.status == 200);
    CHECK(post.keep_alive);
    auto get = c.get(profile_target("keeper"));
    REQUIRE(get.status == 200);
    CHECK(parse(get).at("interaction_count") == i);
    CHECK(c.get("/healthz").status == 200);
  }
  CHECK(c.local_port() == first_port);
}

TEST_CASE("every bad input is refused with its code and nothing is stored") {
  node_process node;
  const std::string user = "bad-input";
  REQUIRE(
      http_request(node.port(), "POST", interaction_target, rest_interaction(user).dump()).status
      == 200);
  auto stored_before = interactions_total(node.port());

  auto with = [&](const std::string& path, json value) {
    auto body = rest_interaction(user);
    body[json::json_pointer{path}] = std::move(value);
    return body.dump();
  };
  auto without = [&](const std::string& key) {
    auto body = rest_interaction(user);
    body.erase(key);
    return body.dump();
  };
  auto future_s = static_cast<double>(now_ms()) / 1000 + 3600;
  std::string deep = R"({"timestamp":1634567890.123,"user_id":"bad-input",)"
                     R"("interaction_type":"click","extra":)"
                     + std::string(40, '[') + std::string(40, ']') + "}";
  std::string not_utf8 = R"({"timestamp":1634567890.123,"user_id":"bad-input",)"
                         R"("interaction_type":"click","element_id":"caf\xC3\x28\xFF"})";
  struct bad_case {
    const char* what;
    std::string body;
    const char* code;
    const char* field;
  };
  const std::vector<bad_case> cases{
      {"malformed JSON", R"({"timestamp": 1634567890.123, "user_id": "bad-input")", "invalid_json",
       ""},
      {"not UTF-8", not_utf8, "invalid_json", ""},
      {"too deep", deep, "invalid_json", ""},
      {"timestamp is a string", with("/timestamp", "yesterday"), "invalid_field", "timestamp"},
      {"user_id is a number", with("/user_id", 42), "invalid_field", "user_id"},
      {"tab_active is a string", with("/context_data/tab_active", "yes"), "invalid_field",
       "context_data.tab_active"},
      {"response_time is a string", with("/timing_data/response_time", "0.8"), "invalid_field",
       "timing_data.response_time"},
      {"timing_data is a number", with("/timing_data", 5), "invalid_field", "timing_data"},
      {"timestamp missing", without("timestamp"), "missing_field", "timestamp"},
      {"user_id missing", without("user_id"), "missing_field", "user_id"},
      {"interaction_type missing", without("interaction_type"), "missing_field",
       "interaction_type"},
      {"negative response_time", with("/timing_data/response_time", -0.5), "invalid_field",
       "timing_data.response_time"},
      {"negative dwell_time", with("/timing_data/dwell_time", -1), "invalid_field",
       "timing_data.dwell_time"},
      {"negative session_duration", with("/context_data/session_duration", -1), "invalid_field",
       "context_data.session_duration"},
      {"unknown interaction_type", with("/interaction_type", "teleport"), "invalid_field",
       "interaction_type"},
      {"unknown device_type", with("/viewport_data/device_type", "fridge"), "invalid_field",
       "viewport_data.device_type"},
      {"timestamp an hour ahead (s)", with("/timestamp", future_s), "invalid_field", "timestamp"},
      {"timestamp an hour ahead (ms)", with("/timestamp", now_ms() + 3600000), "invalid_field",
       "timestamp"},
      {"negative timestamp", with("/timestamp", -5), "invalid_field", "timestamp"},
      {"bad user_id characters", with("/user_id", "bad input!"), "invalid_field", "user_id"},
      {"user_id too long", with("/user_id", std::string(129, 'u')), "invalid_field", "user_id"},
      {"element_id too long", with("/element_id", std::string(257, 'e')), "invalid_field",
       "element_id"},
      {"client_id too long", with("/client_id", std::string(65, 'c')), "invalid_field",
       "client_id"},
      {"seq zero", with("/seq", 0), "invalid_field", "seq"},
      {"seq fractional", with("/seq", 1.5), "invalid_field", "seq"},
  };
  for (const auto& bad : cases) {
    INFO("case: " << bad.what << "; body: " << bad.body);
    // A refusal may close the connection; the next case then gets a fresh one.
    auto res = http_request(node.port(), "POST", interaction_target, bad.body);
    CHECK(res.status == 400);
    check_error_body(res.body, bad.code, bad.field);
    CHECK(profile_count(node.port(), user) == 1);
  }
  CHECK(interactions_total(node.port()) == stored_before);
}

TEST_CASE("a malformed HTTP request is refused with 400 and the connection closes") {
  node_process node;
  http_connection c{node.port()};
  auto res = c.send_raw("GARBAGE\r\n\r\n");
  CHECK(res.status == 400);
  check_error_body(res.body, "invalid_request");
  CHECK(c.closed_by_server());
}

TEST_CASE("pipelined requests are answered in order") {
  node_process node;
  http_connection c{node.port()};
  auto first = c.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                          "GET /api/v1/ml-personalization/profile/ghost HTTP/1.1\r\nHost: x\r\n"
                          "Authorization: Bearer " + admin_token() + "\r\n\r\n");
  CHECK(first.status == 200);
  CHECK(first.body == R"({"status":"ok"})");
  auto second = c.read_response();
  CHECK(second.status == 404);
  check_error_body(second.body, "not_found");
}

TEST_CASE("request headers over the limit are refused with 431") {
  node_process node;
  auto res
      = http_request(node.port(), "GET", "/healthz", "", {{"X-Padding", std::string(20000, 'h')}});
  CHECK(res.status == 431);
  check_error_body(res.body, "invalid_request");
}

TEST_CASE("a body over the configured limit is refused with 413 and not stored") {
  node_process node{node_options::with_args({"--gateway.max_body_bytes=2048"})};
  auto body = rest_interaction("big-body");
  body["padding"] = std::string(1500, 'p');
  SECTION("a body under the limit is accepted") {
    REQUIRE(body.dump().size() < 2048);
    CHECK(http_request(node.port(), "POST", interaction_target, body.dump()).status == 200);
    CHECK(profile_count(node.port(), "big-body") == 1);
  }
  SECTION("a body over the limit is refused") {
    body["padding"] = std::string(4000, 'p');
    auto res = http_request(node.port(), "POST", interaction_target, body.dump());
    CHECK(res.status == 413);
    check_error_body(res.body, "payload_too_large");
    CHECK(profile_count(node.port(), "big-body") == -1);
  }
}

TEST_CASE("a bad user id in the profile path is refused with 400") {
  node_process node;
  for (const auto& user : std::vector<std::string>{"bad$id", "bad%20id", std::string(129, 'x')}) {
    INFO("user " << user);
    auto res = http_request(node.port(), "GET", profile_target(user));
    CHECK(res.status == 400);
    check_error_body(res.body, "invalid_field", "user_id");
  }
}

TEST_CASE("an unknown route is 404 not_found") {
  node_process node;
  for (std::string target : {std::string{api} + "/nope", std::string{"/nope"},
                             std::string{"/api/v1/other/interaction"}, std::string{api}}) {
    INFO("target " << target);
    auto res = http_request(node.port(), "GET", target);
    CHECK(res.status == 404);
    check_error_body(res.body, "not_found");
  }
}

TEST_CASE("a wrong method is 405 with an Allow header") {
  node_process node;
  struct wrong {
    const char* method;
    std::string target;
    const char* allow;
  };
  for (const auto& w :
       {wrong{"GET", interaction_target, "POST"}, wrong{"PUT", interaction_target, "POST"},
        wrong{"POST", profile_target("x"), "GET"}, wrong{"DELETE", profile_target("x"), "GET"},
        wrong{"POST", "/healthz", "GET"}}) {
    INFO(w.method << " " << w.target);
    auto res = http_request(node.port(), w.method, w.target,
                            std::string{w.method} == "POST" ? "{}" : "");
    CHECK(res.status == 405);
    CHECK(res.header("Allow").find(w.allow) != std::string::npos);
    check_error_body(res.body, "method_not_allowed");
  }
}

TEST_CASE("the WebSocket route without an upgrade is 426") {
  node_process node;
  auto res = http_request(node.port(), "GET", std::string{api} + "/ws/someone");
  CHECK(res.status == 426);
  CHECK(res.header("Upgrade") == "websocket");
  check_error_body(res.body, "upgrade_required");
}

TEST_CASE("a repeated client_id and seq is acknowledged as a duplicate and counted once") {
  node_process node;
  auto body = rest_interaction("idem");
  body["client_id"] = "web-1";
  body["seq"] = 7;
  auto first = parse(http_request(node.port(), "POST", interaction_target, body.dump()));
  CHECK(first.at("duplicate") == false);
  CHECK(first.at("seq") == 7);
  auto second_res = http_request(node.port(), "POST", interaction_target, body.dump());
  REQUIRE(second_res.status == 200);
  auto second = parse(second_res);
  CHECK(second.at("accepted") == true);
  CHECK(second.at("duplicate") == true);
  CHECK(second.at("seq") == 7);
  CHECK(second.at("user_state").at("interaction_count") == 1);
  CHECK(profile_count(node.port(), "idem") == 1);

  body["seq"] = 8;
  CHECK(parse(http_request(node.port(), "POST", interaction_target, body.dump())).at("duplicate")
        == false);
  CHECK(profile_count(node.port(), "idem") == 2);
}
