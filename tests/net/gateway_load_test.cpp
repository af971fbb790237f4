// Load tests of the gateway: many concurrent users, and overload refusals that store nothing.
#include "net/gateway.hpp"

#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/wire.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

using namespace aia::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

/// Problems found on worker threads (Catch2's assertions are for the test's own thread).
class problem_log {
public:
  void add(std::string p) {
    std::lock_guard<std::mutex> lock{mutex_};
    problems_.push_back(std::move(p));
  }
  std::vector<std::string> take() {
    std::lock_guard<std::mutex> lock{mutex_};
    return std::move(problems_);
  }

private:
  std::mutex mutex_;
  std::vector<std::string> problems_;
};

/// Sends `total` one-interaction batches with clientId/seq, at most `window` unacknowledged,
/// and returns how many were acknowledged.
int send_acked(ws_client& ws, const std::string& user, int total, int window, problem_log& log) {
  int sent = 0;
  int acked = 0;
  while (acked < total) {
    while (sent < total && sent - acked < window) {
      ++sent;
      ws.send_text(ws_batch(user, 1, user + "-tab", static_cast<std::uint64_t>(sent)).dump());
    }
    auto ack = ws.read_type("ack", 30s);
    if (!ack) {
      auto queued = ws.take_queued();
      log.add(user + ": no ack after " + std::to_string(acked) + " of " + std::to_string(total)
              + (queued.empty() ? std::string{} : "; last message: " + queued.back()));
      return acked;
    }
    auto j = json::parse(*ack);
    if (j.at("accepted") != 1 || j.at("duplicates") != 0) {
      log.add(user + ": unexpected ack " + *ack);
    }
    ++acked;
  }
  return acked;
}

} // namespace

TEST_CASE("fifty concurrent users with forty interactions each are all acknowledged and counted") {
  node_process node;
  constexpr int users = 50;
  constexpr int per_user = 40;
  problem_log log;
  std::atomic<int> total_acked{0};
  std::vector<std::thread> threads;
  for (int u = 0; u < users; ++u) {
    threads.emplace_back([&, u] {
      auto user = "load-" + std::to_string(u);
      try {
        ws_client ws{node.port(), ws_path(user), 30s};
        if (!ws.upgraded()) {
          log.add(user + ": upgrade refused with " + std::to_string(ws.handshake_status()));
          return;
        }
        total_acked += send_acked(ws, user, per_user, 4, log);
        for (auto& msg : ws.take_queued()) {
          if (json::parse(msg).at("type") == "error") {
            log.add(user + ": " + msg);
          }
        }
      } catch (const std::exception& e) {
        log.add(user + ": " + e.what());
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  auto problems = log.take();
  for (const auto& p : problems) {
    UNSCOPED_INFO(p);
  }
  CHECK(problems.empty());
  CHECK(total_acked == users * per_user);
  for (int u = 0; u < users; ++u) {
    auto user = "load-" + std::to_string(u);
    INFO(user);
    CHECK(profile_count(node.port(), user) == per_user);
  }
}

TEST_CASE("under overload refusals are 503 overloaded and only accepted interactions count") {
  node_process node{node_options::with_args({"--real_time.max_queue_size=1", "--store.sync=full"})};
  constexpr int threads_n = 8;
  constexpr int per_round = 15;
  std::map<std::string, int> accepted;
  int refused = 0;
  problem_log log;

  // Rounds of parallel posts until the queue has visibly refused some (almost always round one).
  for (int round = 0; round < 10 && (refused == 0 || accepted.empty()); ++round) {
    std::mutex mutex;
    std::vector<std::thread> threads;
    for (int t = 0; t < threads_n; ++t) {
      threads.emplace_back([&, t] {
        auto user = "crowd-" + std::to_string(t);
        try {
          http_connection c{node.port(), 30s};
          for (int i = 0; i < per_round; ++i) {
            auto res = c.post(std::string{api} + "/interaction", rest_interaction(user).dump());
            std::lock_guard<std::mutex> lock{mutex};
            if (res.status == 200) {
              ++accepted[user];
            } else if (res.status == 503) {
              ++refused;
              auto body = json::parse(res.body, nullptr, false);
              if (body.is_discarded() || body.value("error", "") != "overloaded") {
                log.add("503 without error overloaded: " + res.body);
              }
              if (res.header("Retry-After").empty()) {
                log.add("503 without Retry-After");
              }
            } else {
              log.add("unexpected status " + std::to_string(res.status) + ": " + res.body);
            }
          }
        } catch (const std::exception& e) {
          log.add(user + ": " + e.what());
        }
      });
    }
    for (auto& t : threads) {
      t.join();
    }
  }
  auto problems = log.take();
  for (const auto& p : problems) {
    UNSCOPED_INFO(p);
  }
  CHECK(problems.empty());
  INFO("refused " << refused);
  REQUIRE(refused > 0);
  REQUIRE_FALSE(accepted.empty());
  for (int t = 0; t < threads_n; ++t) {
    auto user = "crowd-" + std::to_string(t);
    INFO(user << " had " << accepted[user] << " posts accepted");
    auto count = profile_count(node.port(), user);
    CHECK(count == (accepted[user] == 0 ? -1 : accepted[user]));
  }

  SECTION("a WebSocket batch larger than the queue is refused with an overloaded error frame") {
    ws_client ws{node.port(), ws_path("crowd-ws")};
    REQUIRE(ws.upgraded());
    ws.send_text(ws_batch("crowd-ws", 2, "t", 1).dump());
    auto err = ws.read_type("error", 10s);
    REQUIRE(err.has_value());
    CHECK(json::parse(*err).at("error") == "overloaded");
    CHECK_FALSE(ws.read_type("ack", 200ms).has_value());
    CHECK(profile_count(node.port(), "crowd-ws") == -1);
  }
}
