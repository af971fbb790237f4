// Integration tests of the operational endpoints: /healthz, /readyz and Prometheus /metrics.
#include "net/gateway.hpp"

#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/wire.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

using namespace aia::test;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

double sample(const std::string& text, std::string_view series) {
  auto value = metric_sample(text, series);
  INFO("series " << series);
  REQUIRE(value.has_value());
  return *value;
}

/// Every way the text breaks the Prometheus text format 0.0.4 that we can see without promtool.
std::vector<std::string> format_problems(const std::string& text) {
  std::vector<std::string> problems;
  std::set<std::string> helped;
  std::map<std::string, std::string> types;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);) {
    std::istringstream words{line};
    std::string hash, keyword, name;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      words >> hash >> keyword >> name;
      if (keyword == "HELP") {
        helped.insert(name);
        continue;
      }
      std::string type;
      words >> type;
      if (!helped.count(name)) {
        problems.push_back("TYPE before HELP: " + line);
      }
      if (!types.emplace(name, type).second) {
        problems.push_back("second TYPE: " + line);
      }
      if (type != "counter" && type != "gauge" && type != "histogram") {
        problems.push_back("unexpected type: " + line);
      }
      continue;
    }
    if (line.empty() || line[0] == '#') {
      continue;
    }
    name = line.substr(0, line.find_first_of("{ "));
    auto family = name;
    for (std::string suffix : {"_bucket", "_sum", "_count"}) {
      auto base = name.substr(0, name.size() - std::min(name.size(), suffix.size()));
      if (!types.count(name) && name.ends_with(suffix) && types.count(base)
          && types[base] == "histogram") {
        family = base;
      }
    }
    if (!types.count(family) || !helped.count(family)) {
      problems.push_back("sample without HELP and TYPE before it: " + line);
    }
    auto value = line.substr(line.rfind(' ') + 1);
    char* end = nullptr;
    std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0') {
      problems.push_back("bad value: " + line);
    }
  }
  return problems;
}

} // namespace

TEST_CASE("health and readiness answer 200") {
  node_process node;
  auto health = http_request(node.port(), "GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(json::parse(health.body) == json{{"status", "ok"}});
  auto ready = http_request(node.port(), "GET", "/readyz");
  CHECK(ready.status == 200);
  CHECK(json::parse(ready.body).at("status").is_string());
}

TEST_CASE("metrics are Prometheus text with the node's series") {
  node_process node;
  REQUIRE(http_request(node.port(), "POST", std::string{api} + "/interaction",
                       rest_interaction("m").dump())
              .status
          == 200);
  REQUIRE(http_request(node.port(), "GET", std::string{api} + "/profile/none").status == 404);
  auto res = http_request(node.port(), "GET", "/metrics");
  REQUIRE(res.status == 200);
  CHECK(res.header("Content-Type").rfind("text/plain; version=0.0.4", 0) == 0);
  const auto& text = res.body;
  INFO(text);
  for (const char* family : {"http_requests_total", "errors_total", "websocket_connections_active",
                             "sessions_active", "processing_queue_length",
                             "memory_per_active_user_bytes", "interaction_processing_seconds"}) {
    CHECK(text.find(std::string{"# TYPE "} + family + " ") != std::string::npos);
  }
  CHECK(text.find("# TYPE interaction_processing_seconds histogram") != std::string::npos);
  CHECK(sample(text, R"(http_requests_total{route="/interaction",status="200"})") == 1);
  CHECK(sample(text, R"(errors_total{reason="not_found"})") == 1);
  CHECK(sample(text, "websocket_connections_active") == 0);
  CHECK(sample(text, "processing_queue_length") == 0);
  CHECK(sample(text, "memory_per_active_user_bytes") > 0);
  CHECK(sample(text, R"(interaction_processing_seconds_bucket{le="+Inf"})") == 1);
  CHECK(sample(text, "interaction_processing_seconds_count") == 1);
  CHECK(sample(text, "interaction_processing_seconds_sum") >= 0);
  CHECK(format_problems(text).empty());
  for (const auto& p : format_problems(text)) {
    WARN(p);
  }

  if (std::system("command -v promtool >/dev/null 2>&1") == 0) {
    auto base
        = std::filesystem::temp_directory_path() / ("aia-metrics-test-" + std::to_string(getpid()));
    auto input = base.string() + ".prom";
    auto output = base.string() + ".out";
    std::ofstream{input} << text;
    auto rc = std::system(("promtool check metrics < " + input + " > " + output + " 2>&1").c_str());
    std::ostringstream said;
    said << std::ifstream{output}.rdbuf();
    std::filesystem::remove(input);
    std::filesystem::remove(output);
    INFO("promtool check metrics: " << said.str());
    CHECK(rc == 0);
  } else {
    WARN("promtool is not installed: checked the format lines only");
  }
}

TEST_CASE("websocket_connections_active counts the open sockets") {
  node_process node;
  auto gauge = [&] { return node_metric(node.port(), "websocket_connections_active"); };
  CHECK(gauge() == 0);
  auto a = std::make_unique<ws_client>(node.port(), ws_path("counted"));
  auto b = std::make_unique<ws_client>(node.port(), ws_path("counted"));
  // The gauge counts once the node has taken the socket over: a pong proves it.
  for (auto* ws : {a.get(), b.get()}) {
    REQUIRE(ws->upgraded());
    ws->send_text(R"({"type":"ping"})");
    REQUIRE(ws->read_type("pong", 10s).has_value());
  }
  CHECK(gauge() == 2);
  SECTION("a refused upgrade is not counted") {
    ws_client refused{node.port(), ws_path("bad$user")};
    CHECK_FALSE(refused.upgraded());
    CHECK(gauge() == 2);
  }
  a->close();
  b.reset(); // dropped without a close frame
  // The node notices the ends asynchronously: poll with a deadline.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (gauge() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  CHECK(gauge() == 0);
}
