// A cluster of aia-node processes on one redis-server, all on loopback: users are placed over the
// nodes by rendezvous hashing, any node serves any user (the session lives on its owner), a node
// killed with SIGKILL under load loses nothing acknowledged, a joining node takes only its share,
// and a node stopped with SIGTERM hands its users over and exits 0.
#include "runtime/placement.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/wire.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

using namespace aia::test;
using namespace std::chrono_literals;
using json = nlohmann::json;
using clock_type = std::chrono::steady_clock;

namespace {

const std::string interaction_target = std::string{api} + "/interaction";

std::string ws_target(std::string_view user) {
  return std::string{api} + "/ws/" + std::string{user};
}

/// Nodes a, b, c, ... on one Redis; each node's placement name is its letter.
class test_cluster {
public:
  explicit test_cluster(int n, std::vector<std::string> extra = {}) : extra_(std::move(extra)) {
    for (int i = 0; i < n; ++i) {
      add();
    }
    REQUIRE(wait_members(n));
  }

  /// Starts one more node, seeded with the first unless `seeded` is false (then only the Redis
  /// registry tells it of the others); its name is the next letter.
  node_process& add(bool seeded = true) {
    std::string name(1, static_cast<char>('a' + nodes_.size()));
    auto port = free_port();
    node_options opt;
    opt.env = {{"REDIS_URL", redis_.url()}};
    opt.args = {"--cluster.port=" + std::to_string(port), "--cluster.node_name=" + name,
                "--cluster.heartbeat_interval=0.2", "--cluster.heartbeat_timeout=1"};
    if (!nodes_.empty()) {
      if (seeded) {
        opt.args.push_back("--cluster.seeds=127.0.0.1:" + std::to_string(seed_port_));
      }
      opt.args.push_back("--store.keyring_file=" + (nodes_[0]->data_dir() / "keyring").string());
    } else {
      seed_port_ = port;
    }
    opt.args.insert(opt.args.end(), extra_.begin(), extra_.end());
    names_.push_back(name);
    nodes_.push_back(std::make_unique<node_process>(opt));
    return *nodes_.back();
  }

  node_process& operator[](std::size_t i) { return *nodes_[i]; }
  [[nodiscard]] std::size_t size() const { return nodes_.size(); }
  [[nodiscard]] const std::vector<std::string>& names() const { return names_; }
  redis_server& redis() { return redis_; }

  /// Waits until every running node sees `n` members (10 s at most).
  bool wait_members(int n) {
    for (int i = 0; i < 100; ++i) {
      bool all = true;
      for (auto& node : nodes_) {
        if (node->running() && node_metric(node->port(), "cluster_members") != n) {
          all = false;
        }
      }
      if (all) {
        return true;
      }
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  /// Live sessions on node i.
  double sessions(std::size_t i) { return node_metric(nodes_[i]->port(), "sessions_active"); }

private:
  redis_server redis_;  // with AOF, as in deploy/
  std::vector<std::string> extra_;
  std::vector<std::unique_ptr<node_process>> nodes_;
  std::vector<std::string> names_;
  std::uint16_t seed_port_ = 0;
};

int post(std::uint16_t port, std::string_view user) {
  return http_request(port, "POST", interaction_target, rest_interaction(user).dump()).status;
}

/// One client of one user over WebSocket, sending single-interaction batches with clientId and
/// seq one at a time and resending the unacknowledged one (on another node if its node is gone),
/// as PROTOCOL.md asks of clients.
class resending_client {
public:
  resending_client(std::string user, std::vector<std::uint16_t> ports, std::size_t first)
    : user_(std::move(user)), ports_(std::move(ports)), node_(first) {}

  /// Sends the next batch and waits for its ack; false if none came (the batch stays unacked
  /// and is sent again by the next call).
  bool step(std::chrono::milliseconds wait) {
    if (!ws_ || !ws_->is_open()) {
      if (ws_) {
        node_ = (node_ + 1) % ports_.size();  // that node is gone: try the next one
        ++reconnects_;
      }
      try {
        ws_ = std::make_unique<ws_client>(ports_[node_], ws_target(user_), 2000ms);
      } catch (const std::exception&) {
        ws_.reset();
        return false;
      }
      if (!ws_->upgraded()) {
        ws_.reset();
        return false;
      }
    }
    auto seq = acked_ + 1;
    try {
      ws_->send_text(ws_batch(user_, 1, "client-" + user_, seq).dump());
    } catch (const std::exception&) {
      return false;
    }
    auto deadline = clock_type::now() + wait;
    while (clock_type::now() < deadline) {
      auto msg = ws_->read(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - clock_type::now()));
      if (!msg) {
        break;
      }
      auto m = json::parse(*msg);
      if (m["type"] == "error") {
        ++errors_[m.value("error", std::string{})];  // refused: nothing stored, send it again
        return false;
      }
      if (m["type"] == "ack" && m.value("seq", 0ULL) == seq) {
        acked_ = seq;
        return true;
      }
    }
    return false;
  }

  /// Error frames received, by code.
  [[nodiscard]] const std::map<std::string, int>& errors() const { return errors_; }

  [[nodiscard]] std::uint64_t acked() const { return acked_; }
  [[nodiscard]] int reconnects() const { return reconnects_; }
  [[nodiscard]] const std::string& user() const { return user_; }

private:
  std::string user_;
  std::vector<std::uint16_t> ports_;
  std::size_t node_;
  std::unique_ptr<ws_client> ws_;
  std::uint64_t acked_ = 0;
  int reconnects_ = 0;
  std::map<std::string, int> errors_;
};

/// Runs `clients` on a thread each until `stop`, calling `on_ack(client)` after each ack.
class load_threads {
public:
  template <class F>
  load_threads(std::vector<std::unique_ptr<resending_client>>& clients, F on_ack) {
    for (auto& c : clients) {
      threads_.emplace_back([this, cl = c.get(), on_ack] {
        while (!stop_.load()) {
          if (cl->step(1500ms)) {
            on_ack(*cl);
          }
        }
      });
    }
  }
  ~load_threads() { join(); }

  void join() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) {
        t.join();
      }
    }
  }

private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

/// Lets every client finish its unacknowledged batch, then checks that each node's profile of
/// each user counts exactly the acknowledged batches.
void check_exactly_once(test_cluster& c, std::vector<std::unique_ptr<resending_client>>& clients) {
  for (auto& cl : clients) {
    for (int i = 0; i < 10 && !cl->step(2000ms); ++i) {
    }
  }
  for (auto& cl : clients) {
    INFO("user " << cl->user() << ", reconnects " << cl->reconnects());
    CHECK(cl->acked() > 3);
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (c[i].running()) {
        CHECK(profile_count(c[i].port(), cl->user()) == static_cast<std::int64_t>(cl->acked()));
      }
    }
  }
}

} // namespace

TEST_CASE("three nodes spread the users and any node serves any user's socket and profile") {
  test_cluster c{3};
  aia::runtime::placement p{c.names()};
  std::map<std::string, int> owned;
  for (int i = 0; i < 30; ++i) {
    auto user = "spread-" + std::to_string(i);
    REQUIRE(post(c[0].port(), user) == 200);  // every call enters at node a
    ++owned[p.owner(user)];
  }
  // Each session lives on its owner, and only there.
  for (std::size_t i = 0; i < 3; ++i) {
    INFO("node " << c.names()[i]);
    CHECK(owned[c.names()[i]] > 0);
    CHECK(c.sessions(i) == owned[c.names()[i]]);
  }

  // A socket on node a for a user that node b owns: ack, update, and the profile everywhere.
  std::string remote_user;
  for (int i = 0; remote_user.empty(); ++i) {
    auto u = "remote-" + std::to_string(i);
    if (p.owner(u) == "b") {
      remote_user = u;
    }
  }
  ws_client ws{c[0].port(), ws_target(remote_user)};
  REQUIRE(ws.upgraded());
  ws.send_text(ws_batch(remote_user, 3, "remote-client", 1).dump());
  auto ack = ws.read_type("ack", 5000ms);
  REQUIRE(ack);
  CHECK(json::parse(*ack)["accepted"] == 3);
  auto update = ws.read_type("user_state_update", 5000ms);
  REQUIRE(update);
  check_user_state(json::parse(*update)["userState"], true);
  // Another node's socket of the same user gets that user's pushes too.
  ws_client other{c[2].port(), ws_target(remote_user)};
  REQUIRE(other.upgraded());
  std::this_thread::sleep_for(200ms);  // the subscription travels to node b
  ws.send_text(ws_batch(remote_user, 1, "remote-client", 2).dump());
  CHECK(other.read_type("user_state_update", 5000ms));
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(profile_count(c[i].port(), remote_user) == 4);
  }
}

TEST_CASE("a node killed with SIGKILL under load: its users move within 2 s and every acknowledged interaction counts once") {
  test_cluster c{3};
  aia::runtime::placement p{c.names()};
  std::vector<std::uint16_t> ports{c[0].port(), c[1].port(), c[2].port()};
  // 24 users, sockets spread over all three nodes (some on the node about to die).
  std::vector<std::unique_ptr<resending_client>> clients;
  std::set<std::string> on_b;
  for (int i = 0; i < 24; ++i) {
    auto user = "steady-" + std::to_string(i);
    clients.push_back(std::make_unique<resending_client>(user, ports, i % 3));
    if (p.owner(user) == "b") {
      on_b.insert(user);
    }
  }
  REQUIRE(!on_b.empty());
  std::atomic<std::int64_t> killed_at_ns{0};
  std::map<std::string, std::int64_t> first_ack_after_kill_ns;
  std::mutex mtx;
  {
    load_threads load{clients, [&](const resending_client& cl) {
      auto k = killed_at_ns.load();
      auto now = clock_type::now().time_since_epoch().count();
      std::lock_guard<std::mutex> g{mtx};
      if (k != 0 && on_b.count(cl.user()) > 0 && first_ack_after_kill_ns.count(cl.user()) == 0) {
        first_ack_after_kill_ns[cl.user()] = now - k;
      }
    }};
    std::this_thread::sleep_for(1500ms);
    killed_at_ns = clock_type::now().time_since_epoch().count();
    c[1].kill();
    std::this_thread::sleep_for(4000ms);
  }
  REQUIRE(c.wait_members(2));
  check_exactly_once(c, clients);
  // Every user of the dead node was served again within 2 s of the kill.
  CHECK(first_ack_after_kill_ns.size() == on_b.size());
  for (auto& [user, ns] : first_ack_after_kill_ns) {
    INFO("user " << user);
    CHECK(ns < 2'000'000'000);
  }
  // No user has a session on both survivors: one live session per user, on its owner.
  CHECK(c.sessions(0) + c.sessions(2) == 24);
}

TEST_CASE("Redis stopped and restarted under load: writes wait or are refused clearly, and every acknowledged interaction counts once") {
  // A small admission bound: the outage fills it, and what is past it is refused, not dropped.
  test_cluster c{3, {"--real_time.max_queue_size=8"}};
  std::vector<std::uint16_t> ports{c[0].port(), c[1].port(), c[2].port()};
  std::vector<std::unique_ptr<resending_client>> clients;
  for (int i = 0; i < 24; ++i) {
    clients.push_back(std::make_unique<resending_client>("outage-" + std::to_string(i), ports,
                                                         i % 3));
  }
  {
    load_threads load{clients, [](const resending_client&) {}};
    std::this_thread::sleep_for(1000ms);
    c.redis().stop();
    std::this_thread::sleep_for(300ms);
    CHECK(http_request(c[0].port(), "GET", "/readyz").status == 503);
    std::this_thread::sleep_for(1500ms);
    c.redis().restart();  // its AOF brings back everything acknowledged
    std::this_thread::sleep_for(2500ms);
  }
  REQUIRE(c.wait_members(3));  // the registry's outage did not break the membership
  check_exactly_once(c, clients);
  int overloaded = 0;
  for (auto& cl : clients) {
    auto i = cl->errors().find("overloaded");
    overloaded += i == cl->errors().end() ? 0 : i->second;
  }
  CHECK(overloaded > 0);  // past the bound, clients were told
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(http_request(c[i].port(), "GET", "/readyz").status == 200);
  }
}

TEST_CASE("a fourth node, found through the Redis registry alone, takes over only the users it now owns, with their state") {
  test_cluster c{3};
  std::vector<std::string> users;
  for (int i = 0; i < 60; ++i) {
    users.push_back("join-" + std::to_string(i));
    REQUIRE(post(c[i % 3].port(), users.back()) == 200);
    REQUIRE(post(c[i % 3].port(), users.back()) == 200);
  }
  aia::runtime::placement before{c.names()};
  std::map<std::string, json> profiles;
  for (const auto& u : users) {
    auto res = http_request(c[0].port(), "GET", std::string{api} + "/profile/" + u);
    REQUIRE(res.status == 200);
    profiles[u] = json::parse(res.body);
  }
  c.add(false);  // no seeds: the registry in Redis introduces it
  REQUIRE(c.wait_members(4));
  aia::runtime::placement after{c.names()};
  std::size_t moved = 0;
  for (const auto& u : users) {
    if (before.owner(u) != after.owner(u)) {
      CHECK(after.owner(u) == "d");  // a join moves users only to the new node
      ++moved;
    }
  }
  CHECK(moved > 0);
  CHECK(moved <= users.size() * 35 / 100);
  // The state is the one it would have been without the move (rebuilt on its new owner).
  for (const auto& u : users) {
    auto res = http_request(c[1].port(), "GET", std::string{api} + "/profile/" + u);
    REQUIRE(res.status == 200);
    check_same_json(profiles[u], json::parse(res.body), u);
  }
  // Their history follows them: one more interaction each, through any node.
  for (std::size_t i = 0; i < users.size(); ++i) {
    REQUIRE(post(c[i % 4].port(), users[i]) == 200);
    CHECK(profile_count(c[(i + 1) % 4].port(), users[i]) == 3);
  }
  CHECK(c.sessions(3) == static_cast<double>(moved));
  std::this_thread::sleep_for(300ms);  // the old owners' hand-offs finish
  CHECK(c.sessions(0) + c.sessions(1) + c.sessions(2) == static_cast<double>(users.size() - moved));
}

TEST_CASE("a node stopped with SIGTERM under load drains, hands its users over and exits 0, losing nothing acknowledged") {
  test_cluster c{3};
  std::vector<std::uint16_t> ports{c[0].port(), c[1].port(), c[2].port()};
  std::vector<std::unique_ptr<resending_client>> clients;
  for (int i = 0; i < 24; ++i) {
    clients.push_back(std::make_unique<resending_client>("drain-" + std::to_string(i), ports,
                                                         i % 3));
  }
  {
    load_threads load{clients, [](const resending_client&) {}};
    std::this_thread::sleep_for(1500ms);
    CHECK(c[1].terminate() == 0);
    std::this_thread::sleep_for(2000ms);
  }
  REQUIRE(c.wait_members(2));
  check_exactly_once(c, clients);
  CHECK(c.sessions(0) + c.sessions(2) == 24);
  CHECK_THAT(c[1].stderr_text(), Catch::Contains("cluster.left"));
}

TEST_CASE("a consent withdrawal through one node holds on every node at once") {
  test_cluster c{3};
  REQUIRE(post(c[2].port(), "consent-user") == 200);
  auto res = http_request(c[0].port(), "PUT", std::string{api} + "/consent/consent-user",
                          R"({"personalization": false})");
  REQUIRE(res.status == 200);
  for (std::size_t i = 0; i < 3; ++i) {
    INFO("node " << c.names()[i]);
    CHECK(post(c[i].port(), "consent-user") == 403);
  }
  // The owner dies: the next owner reads the withdrawal from the store.
  aia::runtime::placement p{c.names()};
  auto owner = p.owner("consent-user");
  auto dead = static_cast<std::size_t>(owner[0] - 'a');
  c[dead].kill();
  REQUIRE(c.wait_members(2));  // the survivors have seen it go
  auto alive = (dead + 1) % 3;
  CHECK(post(c[alive].port(), "consent-user") == 403);
  CHECK(profile_count(c[alive].port(), "consent-user") == 1);
}

TEST_CASE("an erasure through any node erases the user at its owner, and one global budget serves the cluster") {
  test_cluster c{3, {"--session.idle_timeout=0.3", "--privacy.global_epsilon=0.25"}};
  aia::runtime::placement p{c.names()};
  // Users owned by each node; the erasure is asked of a node that does not own the user.
  std::string victim = "erase-in-cluster-0";
  for (int i = 0; p.owner(victim) == "a"; ++i) {
    victim = "erase-in-cluster-" + std::to_string(i);
  }
  for (int i = 0; i < 3; ++i) {
    REQUIRE(post(c[1].port(), victim) == 200);
  }
  auto res = http_request(c[0].port(), "DELETE", std::string{api} + "/user/" + victim);
  INFO(res.body);
  REQUIRE(res.status == 200);
  auto receipt = nlohmann::json::parse(res.body);
  CHECK(receipt["deleted"]["events"] == 3);
  for (const auto& l : receipt["locations"]) {
    if (l["place"] == "session") {
      CHECK(l["node"] == p.owner(victim));
    }
  }
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(http_request(c[i].port(), "GET", std::string{api} + "/profile/" + victim).status
          == 404);
  }
  // Redis holds no trace of the id: no key names it, and no set, sorted set or hash (the user
  // indexes among them) lists it.
  std::istringstream keys{c.redis().cli({"--scan"})};
  for (std::string key; std::getline(keys, key);) {
    if (key.empty()) {
      continue;
    }
    INFO("key " << key);
    CHECK(key.find(victim) == std::string::npos);
    auto type = c.redis().cli({"TYPE", key});
    std::string members;
    if (type.find("zset") == 0) {
      members = c.redis().cli({"ZRANGE", key, "0", "-1"});
    } else if (type.find("set") == 0) {
      members = c.redis().cli({"SMEMBERS", key});
    } else if (type.find("hash") == 0) {
      members = c.redis().cli({"HKEYS", key});
    }
    CHECK(members.find(victim) == std::string::npos);
  }
  // Aggregates asked of different nodes draw on the one global budget (kept by the owner of
  // "#global"): 0.1 + 0.1 fit in 0.25, the third is refused wherever it is asked.
  auto analyst = header_list{{"Authorization", "Bearer " + token_for("ana", "analyst")}};
  auto agg = [&](std::size_t i) {
    return http_request(c[i].port(), "GET", std::string{api} + "/analytics/aggregate?epsilon=0.1",
                        {}, analyst)
      .status;
  };
  CHECK(agg(0) == 200);
  CHECK(agg(1) == 200);
  CHECK(agg(2) == 429);
  CHECK(agg(0) == 429);
  for (std::size_t i = 0; i < 3; ++i) {
    auto s = nlohmann::json::parse(
      http_request(c[i].port(), "GET", std::string{api} + "/privacy/status").body);
    CHECK(s["global_budget"]["releases"] == 2);
  }
}

TEST_CASE("answers and feedback through any node reach the learner at the owner, across a kill") {
  test_cluster c{3};
  const std::string user = "learner-7";
  aia::runtime::placement p{c.names()};
  auto owner = static_cast<std::size_t>(p.owner(user)[0] - 'a');
  // Answers through every node, none of them necessarily the owner.
  for (int i = 0; i < 6; ++i) {
    json body{{"user_id", user}, {"item_id", "q" + std::to_string(i)}, {"skill", "algebra"},
              {"correct", i != 3}, {"modality", "visual"}};
    auto res = http_request(c[static_cast<std::size_t>(i) % 3].port(), "POST",
                            std::string{api} + "/learning/answer", body.dump());
    REQUIRE(res.status == 200);
  }
  auto feedback = http_request(c[(owner + 1) % 3].port(), "POST", std::string{api} + "/feedback",
                               json{{"user_id", user}, {"dimension", "fatigue_level"},
                                    {"value", 0.9}}.dump());
  REQUIRE(feedback.status == 200);
  CHECK(json::parse(feedback.body)["labels"] == 1);
  json mastery;
  for (std::size_t i = 0; i < 3; ++i) {
    auto res = http_request(c[i].port(), "GET", std::string{api} + "/learning/mastery/" + user);
    REQUIRE(res.status == 200);
    auto m = json::parse(res.body);
    CHECK(m["answers"] == 6);
    CHECK(m["learning_style"]["primary"] == "visual");
    mastery = m;
  }
  // The owner dies: the next owner rebuilds the learner and the feedback from the store.
  c[owner].kill();
  REQUIRE(c.wait_members(2));
  auto alive = (owner + 1) % 3;
  auto res = http_request(c[alive].port(), "GET", std::string{api} + "/learning/mastery/" + user);
  REQUIRE(res.status == 200);
  auto after = json::parse(res.body);
  CHECK(after["answers"] == 6);
  CHECK(after["skills"][0]["p_known"].get<double>()
        == Approx(mastery["skills"][0]["p_known"].get<double>()));
  auto again = http_request(c[alive].port(), "POST", std::string{api} + "/feedback",
                            json{{"user_id", user}, {"dimension", "fatigue_level"},
                                 {"value", 0.9}}.dump());
  REQUIRE(again.status == 200);
  CHECK(json::parse(again.body)["labels"] == 2);
}
