// Integration tests of the WebSocket gateway against PROTOCOL.md: a real aia-node, real sockets.
#include "net/gateway.hpp"

#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/wire.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <memory>

using namespace aia::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr auto patience = 10s; // generous: the machine may be loaded

/// The next message of `type` on `ws`, parsed; fails the test if none arrives in time.
json expect(ws_client& ws, std::string_view type, std::chrono::milliseconds wait = patience) {
  auto text = ws.read_type(type, wait);
  INFO("waiting for a '" << type << "' message; socket open: " << ws.is_open() << " "
                         << ws.end_reason());
  REQUIRE(text.has_value());
  auto j = json::parse(*text, nullptr, false);
  REQUIRE(j.is_object());
  return j;
}

/// A socket for `user` that the node has fully registered: a ping was answered on it.
std::unique_ptr<ws_client> open_socket(const node_process& node, std::string_view user) {
  auto ws = std::make_unique<ws_client>(node.port(), ws_path(user));
  REQUIRE(ws->upgraded());
  ws->send_text(R"({"type":"ping"})");
  expect(*ws, "pong");
  return ws;
}

} // namespace

TEST_CASE("the spec's TypeScript batch is acknowledged and pushes the user state") {
  node_process node;
  ws_client ws{node.port(), ws_path("user123")};
  REQUIRE(ws.upgraded());
  ws.send_text(spec_ws_batch("user123").dump());

  auto ack = expect(ws, "ack");
  CHECK(ack.at("accepted") == 1);
  CHECK(ack.at("clientId").is_null());
  CHECK(ack.at("seq").is_number_unsigned());

  auto update = expect(ws, "user_state_update");
  const auto& s = update.at("userState");
  check_user_state(s, true);
  CHECK(s.at("interactionCount") == 1);
  for (const char* key :
       {"focusLevel", "cognitiveLoad", "cognitiveLoadLevel", "engagementScore", "fatigueLevel",
        "emotionalState", "learningStyle", "confidence", "modelVersion", "updatedAt"}) {
    CHECK(s.contains(key));
  }
  CHECK_FALSE(s.contains("focus_level"));

  SECTION("and performance metrics follow within 1.5 s") {
    auto perf = expect(ws, "performance_metrics", 1500ms);
    const auto& m = perf.at("metrics");
    for (const char* key : {"processingTimeMs", "modelLatencyMs", "queueLength"}) {
      INFO(key << " in " << m.dump());
      REQUIRE(m.contains(key));
      CHECK(m.at(key).is_number());
      CHECK(m.at(key).get<double>() >= 0);
    }
  }
  SECTION("and recommendations, if any, have PROTOCOL.md's shape") {
    if (auto text = ws.read_type("recommendations", 500ms)) {
      for (const auto& rec : json::parse(*text).at("recommendations")) {
        check_recommendation(rec, true);
      }
    }
    CHECK(profile_count(node.port(), "user123") == 1);
  }
}

TEST_CASE("a ping is answered with a pong") {
  node_process node;
  ws_client ws{node.port(), ws_path("pinger")};
  REQUIRE(ws.upgraded());
  ws.send_text(R"({"type":"ping"})");
  CHECK(expect(ws, "pong") == json{{"type", "pong"}});
}

TEST_CASE("bad messages get error frames and the socket stays open") {
  node_process node;
  ws_client ws{node.port(), ws_path("alice")};
  REQUIRE(ws.upgraded());
  auto bad_item = ws_batch("alice", 2);
  bad_item["interactions"][1]["timingData"]["responseTime"] = -1;
  auto other_user = ws_batch("alice", 1);
  other_user["interactions"][0]["userId"] = "mallory";
  auto missing_type = ws_batch("alice", 1);
  missing_type["interactions"][0].erase("interactionType");
  struct bad_case {
    const char* what;
    std::string text;
    const char* code;
    const char* field;
  };
  const std::vector<bad_case> cases{
      {"not JSON", "hello?", "invalid_json", ""},
      {"no type", R"({"interactions":[]})", "missing_field", "type"},
      {"unknown type", R"({"type":"subscribe"})", "unknown_message_type", "type"},
      {"batch without interactions", R"({"type":"interaction_batch"})", "missing_field",
       "interactions"},
      {"interactions not an array", R"({"type":"interaction_batch","interactions":5})",
       "invalid_field", "interactions"},
      {"negative responseTime", bad_item.dump(), "invalid_field",
       "interactions[1].timingData.responseTime"},
      {"missing interactionType", missing_type.dump(), "missing_field",
       "interactions[0].interactionType"},
      {"another user's interaction", other_user.dump(), "user_mismatch", "interactions[0].userId"},
      {"empty batch", R"({"type":"interaction_batch","interactions":[]})", "invalid_field",
       "interactions"},
      {"501 interactions", ws_batch("alice", 501).dump(), "invalid_field", "interactions"},
      {"too deep", R"({"type":"ping","x":)" + std::string(40, '[') + std::string(40, ']') + "}",
       "invalid_json", ""},
  };
  for (const auto& bad : cases) {
    INFO("case: " << bad.what << "; message: " << bad.text);
    ws.send_text(bad.text);
    auto err = expect(ws, "error");
    CHECK(err.at("error") == bad.code);
    CHECK(err.at("message").is_string());
    if (*bad.field != '\0') {
      CHECK(err.value("field", "") == bad.field);
    }
    REQUIRE(ws.is_open());
  }
  SECTION("a binary frame is refused too") {
    ws.send_binary(R"({"type":"ping"})");
    CHECK(expect(ws, "error").at("error") == "invalid_json");
  }
  // Still usable, and none of the refused interactions was stored.
  ws.send_text(ws_batch("alice", 1).dump());
  CHECK(expect(ws, "ack").at("accepted") == 1);
  expect(ws, "user_state_update");
  CHECK(profile_count(node.port(), "alice") == 1);
}

TEST_CASE("twenty bad messages in a row close the socket with 1008") {
  node_process node;
  ws_client ws{node.port(), ws_path("noisy")};
  REQUIRE(ws.upgraded());
  SECTION("a good message in between resets the count") {
    for (int i = 0; i < 19; ++i) {
      ws.send_text("not json");
    }
    ws.send_text(R"({"type":"ping"})");
    expect(ws, "pong");
    for (int i = 0; i < 19; ++i) {
      ws.send_text("not json");
    }
    ws.send_text(R"({"type":"ping"})");
    expect(ws, "pong");
    CHECK(ws.is_open());
  }
  SECTION("twenty in a row close it") {
    for (int i = 0; i < 20; ++i) {
      ws.send_text("not json");
    }
    REQUIRE(ws.wait_closed(patience));
    INFO("ended: " << ws.end_reason());
    CHECK(ws.close_code() == 1008);
  }
}

TEST_CASE("a text frame that is not UTF-8 closes the socket with 1007 as RFC 6455 requires") {
  node_process node;
  ws_client ws{node.port(), ws_path("garbler")};
  REQUIRE(ws.upgraded());
  ws.send_text("{\"type\":\"ping\",\"x\":\"\xC3\x28\xFF\"}");
  REQUIRE(ws.wait_closed(patience));
  INFO("ended: " << ws.end_reason());
  CHECK(ws.close_code() == 1007);
}

TEST_CASE("performance metrics are pushed at most once a second") {
  node_process node;
  ws_client ws{node.port(), ws_path("busy")};
  REQUIRE(ws.upgraded());
  auto start = std::chrono::steady_clock::now();
  constexpr int batches = 10;
  for (int i = 0; i < batches; ++i) {
    ws.send_text(ws_batch("busy", 1).dump());
  }
  for (int i = 0; i < batches; ++i) {
    expect(ws, "user_state_update");
  }
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int metrics = 0;
  for (const auto& msg : ws.take_queued()) {
    metrics += json::parse(msg).at("type") == "performance_metrics" ? 1 : 0;
  }
  INFO(batches << " batches in " << elapsed << " s");
  CHECK(metrics >= 1);
  CHECK(metrics <= 1 + static_cast<int>(elapsed));
}

TEST_CASE("every socket of a user receives its updates and other users' sockets do not") {
  node_process node;
  auto a1 = open_socket(node, "alice");
  auto a2 = open_socket(node, "alice");
  auto b = open_socket(node, "bob");

  a1->send_text(ws_batch("alice", 1).dump());
  CHECK(expect(*a1, "ack").at("accepted") == 1);
  auto mine = expect(*a1, "user_state_update");
  auto theirs = expect(*a2, "user_state_update");
  CHECK(theirs.at("userState").at("interactionCount") == 1);
  CHECK(theirs.at("userState") == mine.at("userState"));

  // The ack goes to the sender only; bob hears nothing of alice.
  b->send_text(R"({"type":"ping"})");
  expect(*b, "pong");
  CHECK_FALSE(b->read(300ms).has_value());
  CHECK_FALSE(a2->read_type("ack", 300ms).has_value());

  SECTION("and a batch on the other socket reaches the first") {
    a2->send_text(ws_batch("alice", 2).dump());
    CHECK(expect(*a2, "ack").at("accepted") == 2);
    CHECK(expect(*a1, "user_state_update").at("userState").at("interactionCount") == 3);
  }
}

TEST_CASE("a resent batch with clientId and seq is acknowledged again and counted once") {
  node_process node;
  ws_client ws{node.port(), ws_path("resender")};
  REQUIRE(ws.upgraded());
  auto batch = ws_batch("resender", 2, "tab-1", 1);
  ws.send_text(batch.dump());
  auto first = expect(ws, "ack");
  CHECK(first.at("clientId") == "tab-1");
  CHECK(first.at("seq") == 1);
  CHECK(first.at("accepted") == 2);
  CHECK(first.at("duplicates") == 0);

  ws.send_text(batch.dump());
  auto again = expect(ws, "ack");
  CHECK(again.at("clientId") == "tab-1");
  CHECK(again.at("seq") == 1);
  CHECK(again.at("accepted") == 2);
  CHECK(again.at("duplicates") == 2);
  CHECK(profile_count(node.port(), "resender") == 2);

  ws.send_text(ws_batch("resender", 1, "tab-1", 2).dump());
  CHECK(expect(ws, "ack").at("duplicates") == 0);
  CHECK(profile_count(node.port(), "resender") == 3);

  SECTION("keys on single interactions repeat one by one") {
    auto keyed = [](std::initializer_list<int> seqs) {
      auto b = ws_batch("resender", static_cast<int>(seqs.size()));
      int i = 0;
      for (int seq : seqs) {
        b["interactions"][i]["clientId"] = "tab-2";
        b["interactions"][i++]["seq"] = seq;
      }
      return b.dump();
    };
    ws.send_text(keyed({1, 2}));
    CHECK(expect(ws, "ack").at("duplicates") == 0);
    ws.send_text(keyed({2, 3}));
    auto ack = expect(ws, "ack");
    CHECK(ack.at("accepted") == 2);
    CHECK(ack.at("duplicates") == 1);
    CHECK(profile_count(node.port(), "resender") == 6);
  }
}

TEST_CASE("a message over the size limit closes the socket with 1009") {
  node_process node{node_options::with_args({"--gateway.max_ws_message_bytes=4096"})};
  ws_client ws{node.port(), ws_path("bigmouth")};
  REQUIRE(ws.upgraded());
  auto batch = ws_batch("bigmouth", 1);
  batch["padding"] = std::string(3000, 'p');
  SECTION("a message under the limit is accepted") {
    ws.send_text(batch.dump());
    CHECK(expect(ws, "ack").at("accepted") == 1);
  }
  SECTION("a message over the limit closes the socket") {
    batch["padding"] = std::string(8000, 'p');
    try {
      ws.send_text(batch.dump());
    } catch (const std::runtime_error& e) {
      WARN("the node reset the connection while the message was written: " << e.what());
    }
    REQUIRE(ws.wait_closed(patience));
    INFO("ended: " << ws.end_reason());
    CHECK(ws.close_code() == 1009);
    CHECK(profile_count(node.port(), "bigmouth") == -1);
  }
}

TEST_CASE("the spec's troubleshooting upgrade request: 401 with the reason, 101 with a token") {
  node_process node;
  const std::string request = "GET /api/v1/ml-personalization/ws/test HTTP/1.1\r\n"
                              "Host: localhost:8000\r\n"
                              "User-Agent: curl/7.88.1\r\n"
                              "Accept: */*\r\n"
                              "Connection: Upgrade\r\n"
                              "Upgrade: websocket\r\n"
                              "Sec-WebSocket-Key: test\r\n"
                              "Sec-WebSocket-Version: 13\r\n";
  // As printed (no token): the answer says what is missing.
  auto refused = http_connection{node.port()}.send_raw(request + "\r\n");
  CHECK(refused.status == 401);
  check_error_body(refused.body, "unauthorized");
  CHECK_THAT(refused.body, Catch::Contains("bearer token"));
  // With the header a real client sends.
  http_connection c{node.port()};
  auto res = c.send_raw(request + "Authorization: Bearer " + token_for("test") + "\r\n\r\n");
  CHECK(res.status == 101);
  CHECK(res.header("Upgrade") == "websocket");
  CHECK_FALSE(res.header("Sec-WebSocket-Accept").empty());
}

TEST_CASE("an upgrade to the WebSocket route without a user id is refused with 400") {
  node_process node;
  ws_client ws{node.port(), ws_path("")};
  CHECK_FALSE(ws.upgraded());
  // Not 426 Upgrade Required: the client did ask for the upgrade; the user id is what is wrong.
  CHECK(ws.handshake_status() == 400);
  check_error_body(ws.handshake_body(), "invalid_field", "user_id");
}

TEST_CASE("a bad user id in the WebSocket path is refused with 400") {
  node_process node;
  for (const auto& user : std::vector<std::string>{"bad$id", std::string(129, 'x')}) {
    INFO("user " << user);
    ws_client ws{node.port(), ws_path(user)};
    CHECK_FALSE(ws.upgraded());
    CHECK(ws.handshake_status() == 400);
    check_error_body(ws.handshake_body(), "invalid_field", "user_id");
  }
}
