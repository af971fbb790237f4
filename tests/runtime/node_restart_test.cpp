// Durability of a real aia-node across restarts: SIGTERM drains, SIGKILL loses nothing acked.
#include "runtime/node.hpp"

#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/wire.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>

using namespace aia::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const std::string interaction_target = std::string{api} + "/interaction";

json get_profile(const node_process& node, std::string_view user) {
  auto res = http_request(node.port(), "GET", std::string{api} + "/profile/" + std::string{user});
  INFO("profile of " << user << ": " << res.body);
  REQUIRE(res.status == 200);
  return json::parse(res.body);
}

/// Posts interaction `i` of a varied stream (types and timings change) and requires a 200.
json post_acked(const node_process& node, std::string_view user, int i,
                std::string_view client_id = {}) {
  static constexpr const char* types[] = {"click", "scroll", "keypress", "hover", "answer"};
  auto body = rest_interaction(user, types[i % 5]);
  body["timing_data"]["response_time"] = 0.3 + 0.1 * (i % 7);
  body["viewport_data"]["scroll_distance"] = 40 * (i % 4) - 60;
  if (!client_id.empty()) {
    body["client_id"] = client_id;
    body["seq"] = i;
  }
  auto res = http_request(node.port(), "POST", interaction_target, body.dump());
  INFO("post " << i << ": " << res.body);
  REQUIRE(res.status == 200);
  return json::parse(res.body);
}

} // namespace

TEST_CASE("a graceful restart keeps every acknowledged interaction and the same state") {
  node_process node;
  constexpr int n = 12;
  for (int i = 1; i <= n; ++i) {
    post_acked(node, "steady", i);
  }
  auto before = get_profile(node, "steady");
  REQUIRE(before.at("interaction_count") == n);

  CHECK(node.terminate() == 0);
  node.restart();
  auto after = get_profile(node, "steady");
  CHECK(after.at("interaction_count") == n);
  CHECK(after.at("interaction_counts") == before.at("interaction_counts"));
  CHECK(after.at("first_seen") == before.at("first_seen"));
  CHECK(after.at("last_seen") == before.at("last_seen"));
  check_same_json(before.at("user_state"), after.at("user_state"), "user_state");
  check_same_json(before.at("learning_style"), after.at("learning_style"), "learning_style");

  SECTION("and the next interaction continues from there") {
    auto next = post_acked(node, "steady", n + 1);
    CHECK(next.at("user_state").at("interaction_count") == n + 1);
  }
}

TEST_CASE("a kill right after the acks loses no acknowledged interaction") {
  node_process node;
  constexpr int first = 8;
  constexpr int more = 15;
  for (int i = 1; i <= first; ++i) {
    post_acked(node, "crashy", i, "web-1");
  }
  CHECK(node.terminate() == 0);
  node.restart();
  REQUIRE(profile_count(node.port(), "crashy") == first);

  // More after the restart, then SIGKILL the moment the last 200 is in.
  for (int i = first + 1; i <= first + more; ++i) {
    post_acked(node, "crashy", i, "web-1");
  }
  node.kill();
  node.restart();
  CHECK(profile_count(node.port(), "crashy") == first + more);

  SECTION("and a pre-kill client_id and seq resent afterwards is a duplicate") {
    for (int i : {first + more, first + 1, 1}) {
      INFO("resending seq " << i);
      auto again = post_acked(node, "crashy", i, "web-1");
      CHECK(again.at("duplicate") == true);
    }
    CHECK(profile_count(node.port(), "crashy") == first + more);
  }
}

TEST_CASE("a WebSocket batch acknowledged before a kill is counted after the restart") {
  node_process node;
  {
    ws_client ws{node.port(), ws_path("socketeer")};
    REQUIRE(ws.upgraded());
    ws.send_text(ws_batch("socketeer", 3, "tab-9", 1).dump());
    auto ack = ws.read_type("ack", 10s);
    REQUIRE(ack.has_value());
    REQUIRE(json::parse(*ack).at("accepted") == 3);
    node.kill(); // the ack is in: the node dies before anything else
  }
  node.restart();
  CHECK(profile_count(node.port(), "socketeer") == 3);

  SECTION("and resending that batch is acknowledged as duplicates") {
    ws_client ws{node.port(), ws_path("socketeer")};
    REQUIRE(ws.upgraded());
    ws.send_text(ws_batch("socketeer", 3, "tab-9", 1).dump());
    auto ack = ws.read_type("ack", 10s);
    REQUIRE(ack.has_value());
    auto j = json::parse(*ack);
    CHECK(j.at("accepted") == 3);
    CHECK(j.at("duplicates") == 3);
    CHECK(profile_count(node.port(), "socketeer") == 3);
  }
}

TEST_CASE("a SIGTERM with open connections drains and exits 0 promptly") {
  node_process node;
  ws_client ws{node.port(), ws_path("lingerer")};
  REQUIRE(ws.upgraded());
  ws.send_text(ws_batch("lingerer", 2).dump());
  REQUIRE(ws.read_type("ack", 10s).has_value());
  http_connection idle{node.port()};
  REQUIRE(idle.get("/healthz").status == 200); // a keep-alive connection left open

  auto start = std::chrono::steady_clock::now();
  CHECK(node.terminate(20s) == 0);
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  CHECK(ws.wait_closed(5s));
  CHECK(idle.closed_by_server(5s));
  node.restart();
  CHECK(profile_count(node.port(), "lingerer") == 2);
}

TEST_CASE("a restart keeps the state's updated_at") {
  node_process node;
  // The spec's example interaction is stamped 2021: its timestamp is not when the state changed.
  auto res
      = http_request(node.port(), "POST", interaction_target, std::string{spec_rest_interaction});
  REQUIRE(res.status == 200);
  auto before = get_profile(node, "user123");
  CHECK(node.terminate() == 0);
  node.restart();
  auto after = get_profile(node, "user123");
  INFO("updated_at before the restart " << before.at("user_state").at("updated_at") << ", after "
                                        << after.at("user_state").at("updated_at"));
  CHECK(after.at("user_state").at("updated_at").get<double>()
        == Approx(before.at("user_state").at("updated_at").get<double>()).margin(1e-3));
}

TEST_CASE("a stop under load keeps every acknowledged interaction and SIGTERM answers the rest") {
  node_process node;
  constexpr int writers = 10;
  std::atomic<bool> stop{false};
  std::atomic<int> total_acked{0};
  std::vector<int> acked(writers, 0);
  std::vector<int> attempted(writers, 0);
  std::vector<std::string> ended(writers, "still running");
  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      auto user = "loaded-" + std::to_string(t);
      try {
        http_connection c{node.port(), 20s};
        while (!stop) {
          ++attempted[t];
          auto res = c.post(interaction_target, rest_interaction(user).dump());
          if (res.status == 200) {
            ++acked[t];
            ++total_acked;
          }
        }
        ended[t] = "stopped by the test";
      } catch (const std::exception& e) {
        // The node went away mid-request: that interaction is in doubt, not acknowledged.
        ended[t] = e.what();
      }
    });
  }
  // Let the writers get going, then stop the node under their feet.
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (total_acked < 150 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  bool graceful = false;
  SECTION("with SIGTERM") {
    graceful = true;
    CHECK(node.terminate() == 0);
  }
  SECTION("with SIGKILL") {
    node.kill();
  }
  stop = true;
  for (auto& t : threads) {
    t.join();
  }
  REQUIRE(total_acked >= 150);
  node.restart();
  for (int t = 0; t < writers; ++t) {
    auto user = "loaded-" + std::to_string(t);
    INFO(user << ": " << acked[t] << " acknowledged of " << attempted[t]
              << " attempted; the last one ended with: " << ended[t]);
    auto count = profile_count(node.port(), user);
    CHECK(count >= acked[t]);
    CHECK(count <= attempted[t]);
    if (graceful) {
      // A graceful stop answers what it stored: no interaction is kept without its 200.
      CHECK(count == acked[t]);
    }
  }
}
