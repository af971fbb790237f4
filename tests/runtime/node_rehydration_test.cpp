// Rehydration of user sessions in a real aia-node: after passivation and from snapshot + events.
#include "runtime/node.hpp"

#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/wire.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <thread>

using namespace aia::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

json get_profile(const node_process& node, std::string_view user) {
  auto res = http_request(node.port(), "GET", std::string{api} + "/profile/" + std::string{user});
  INFO("profile of " << user << ": " << res.body);
  REQUIRE(res.status == 200);
  return json::parse(res.body);
}

/// The user state without its timestamp, for comparing restored state with live state.
json comparable(json profile) {
  auto s = profile.at("user_state");
  s.erase("updated_at");
  return s;
}

/// A varied camelCase interaction, so that the state depends on the whole history.
json varied(std::string_view user, int i) {
  static constexpr const char* types[] = {"click", "scroll", "keypress", "hover", "answer", "idle"};
  auto x = ws_interaction(user, types[i % 6]);
  x["timingData"]["responseTime"] = 0.2 + 0.05 * (i % 11);
  x["timingData"]["dwellTime"] = 1.0 + 0.3 * (i % 5);
  x["viewportData"]["scrollDistance"] = 25 * (i % 9) - 100;
  return x;
}

/// Sends `batches` batches of `size` varied interactions with clientId/seq and waits for acks.
void send_batches(ws_client& ws, std::string_view user, int batches, int size) {
  for (int b = 1; b <= batches; ++b) {
    json batch{{"type", "interaction_batch"},
               {"clientId", "tab"},
               {"seq", b},
               {"interactions", json::array()}};
    for (int i = 0; i < size; ++i) {
      batch["interactions"].push_back(varied(user, b * size + i));
    }
    ws.send_text(batch.dump());
    auto ack = ws.read_type("ack", 20s);
    REQUIRE(ack.has_value());
    REQUIRE(json::parse(*ack).at("accepted") == size);
  }
}

} // namespace

TEST_CASE("a passivated session comes back with its count, state and idempotency") {
  node_process node{node_options::with_args({"--session.idle_timeout=0.3"})};
  {
    ws_client ws{node.port(), ws_path("sleeper")};
    REQUIRE(ws.upgraded());
    send_batches(ws, "sleeper", 4, 3);
  }
  auto before = get_profile(node, "sleeper");
  REQUIRE(before.at("interaction_count") == 12);

  // Wait for the idle session to be passivated (polling /metrics does not wake it).
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (node_metric(node.port(), "sessions_active") > 0
         && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(node_metric(node.port(), "sessions_active") == 0);

  auto after = get_profile(node, "sleeper");
  CHECK(after.at("interaction_count") == 12);
  CHECK(after.at("interaction_counts") == before.at("interaction_counts"));
  check_same_json(comparable(before), comparable(after), "state");

  ws_client ws{node.port(), ws_path("sleeper")};
  REQUIRE(ws.upgraded());
  ws.send_text(json{{"type", "interaction_batch"},
                    {"clientId", "tab"},
                    {"seq", 2},
                    {"interactions", json::array({varied("sleeper", 6)})}}
                   .dump());
  auto ack = ws.read_type("ack", 20s);
  REQUIRE(ack.has_value());
  CHECK(json::parse(*ack).at("duplicates") == 1);
  CHECK(profile_count(node.port(), "sleeper") == 12);
}

TEST_CASE("a kill after a snapshot restores snapshot plus later events exactly") {
  node_process node;
  constexpr int batches = 30;
  constexpr int size = 10; // 300 events: past the session's snapshot interval of 256
  {
    ws_client ws{node.port(), ws_path("long-runner")};
    REQUIRE(ws.upgraded());
    send_batches(ws, "long-runner", batches, size);
  }
  auto before = get_profile(node, "long-runner");
  REQUIRE(before.at("interaction_count") == batches * size);
  node.kill();
  node.restart();

  auto after = get_profile(node, "long-runner");
  CHECK(after.at("interaction_count") == batches * size);
  CHECK(after.at("interaction_counts") == before.at("interaction_counts"));
  CHECK(after.at("first_seen") == before.at("first_seen"));
  CHECK(after.at("last_seen") == before.at("last_seen"));
  check_same_json(comparable(before), comparable(after), "state");

  SECTION("and every batch before and after the snapshot is still a duplicate") {
    ws_client ws{node.port(), ws_path("long-runner")};
    REQUIRE(ws.upgraded());
    for (int seq : {1, 20, batches}) {
      INFO("seq " << seq);
      json batch{{"type", "interaction_batch"},
                 {"clientId", "tab"},
                 {"seq", seq},
                 {"interactions", json::array({varied("long-runner", 0)})}};
      ws.send_text(batch.dump());
      auto ack = ws.read_type("ack", 20s);
      REQUIRE(ack.has_value());
      CHECK(json::parse(*ack).at("duplicates") == 1);
    }
    CHECK(profile_count(node.port(), "long-runner") == batches * size);
  }
}
