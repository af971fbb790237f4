// deploy/: the Prometheus config and alert rules pass promtool and name only metrics a real node
// serves; the Kubernetes manifests hold the fields the deployment needs (the cluster's too); the
// Dockerfile's runtime image installs every shared library the binaries link and exposes the
// cluster port; deploy/local-cluster.sh starts a real cluster on loopback and stops it clean.
#include "tests/support/command.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/temp_dir.hpp"

#include "net/auth/jwt.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace aia::test;
using aia::test::quoted;  // not std::quoted, which argument lookup would find for a std::string
namespace fs = std::filesystem;

namespace {

const fs::path root{AIA_SOURCE_DIR};

std::string read_text(const fs::path& p) {
  std::ostringstream s;
  s << std::ifstream{p}.rdbuf();
  return s.str();
}

/// The metric families a live node serves (names of its # TYPE lines): a cluster member on
/// Redis, which serves every family (redis_connection_status, cluster_members, ...).
std::set<std::string> served_metrics() {
  aia::test::redis_server redis;
  aia::test::node_options opt;
  opt.env = {{"REDIS_URL", redis.url()}};
  opt.args = {"--cluster.port=" + std::to_string(aia::test::free_port())};
  node_process node{opt};
  auto text = http_request(node.port(), "GET", "/metrics").body;
  std::set<std::string> names;
  std::regex type_line{R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) )"};
  for (std::sregex_iterator it{text.begin(), text.end(), type_line}, end; it != end; ++it) {
    names.insert((*it)[1]);
  }
  return names;
}

/// The series names used in the `expr:` lines of a rules file (not functions, keywords or
/// label names).
std::set<std::string> expression_metrics(const std::string& rules) {
  static const std::set<std::string> not_metrics{
    "sum", "by", "without", "on", "rate", "increase", "histogram_quantile", "le", "instance",
    "job", "reason", "and", "or", "unless", "max", "min", "avg", "count", "max_over_time"};
  std::set<std::string> names;
  std::regex expr_line{R"(expr:\s*(.*))"};
  std::regex word{R"([a-zA-Z_][a-zA-Z0-9_]*)"};
  for (std::sregex_iterator it{rules.begin(), rules.end(), expr_line}, end; it != end; ++it) {
    std::string expr = (*it)[1];
    // Label matchers, strings, ranges and numbers (200e6) are not metric names.
    expr = std::regex_replace(expr, std::regex{R"(\{[^}]*\}|"[^"]*"|\[[^\]]*\]|\b[0-9][0-9.eE]*)"},
                              " ");
    for (std::sregex_iterator w{expr.begin(), expr.end(), word}; w != end; ++w) {
      if (!not_metrics.contains(w->str())) {
        names.insert(w->str());
      }
    }
  }
  return names;
}

/// A histogram's series carry suffixes; the family is what /metrics declares.
std::string family_of(const std::string& series) {
  for (std::string_view suffix : {"_bucket", "_count", "_sum"}) {
    if (series.ends_with(suffix)) {
      return series.substr(0, series.size() - suffix.size());
    }
  }
  return series;
}

} // namespace

TEST_CASE("the Prometheus config and rules pass promtool") {
  auto dir = (root / "deploy" / "prometheus").string();
  auto config = run_command("cd " + aia::test::quoted(dir) + " && promtool check config prometheus.yml");
  INFO(config.output);
  CHECK(config.status == 0);
  auto rules = run_command("cd " + aia::test::quoted(dir) + " && promtool check rules alerts.yml");
  INFO(rules.output);
  CHECK(rules.status == 0);
}

TEST_CASE("every metric the alert rules use is served by a real node") {
  auto used = expression_metrics(read_text(root / "deploy" / "prometheus" / "alerts.yml"));
  REQUIRE(used.size() >= 5);
  auto served = served_metrics();
  for (const auto& m : used) {
    if (m == "up") {
      continue;  // made by Prometheus itself
    }
    INFO(m);
    CHECK(served.contains(family_of(m)));
  }
}

TEST_CASE("the Kubernetes manifests hold what the deployment needs") {
  auto r = run_command("python3 " + aia::test::quoted((root / "tests" / "deploy" / "check_manifests.py")
                                             .string())
                       + " " + aia::test::quoted(root.string()));
  INFO(r.output);
  CHECK(r.status == 0);
}

TEST_CASE("the Dockerfile's runtime image installs every library the binaries link") {
  auto dockerfile = read_text(root / "deploy" / "Dockerfile");
  std::smatch m;
  REQUIRE(std::regex_search(dockerfile, m, std::regex{R"re(ARG RUNTIME_PACKAGES="([^"]*)")re"}));
  std::set<std::string> packages;
  std::string list = std::regex_replace(m[1].str(), std::regex{R"(\\\n)"}, " ");
  std::istringstream words{list};
  for (std::string w; words >> w;) {
    packages.insert(w);
  }
  // In every Debian 12 image already.
  packages.insert({"libc6", "libgcc-s1", "libstdc++6"});
  auto bin = fs::path{AIA_NODE_BIN}.parent_path();
  for (const char* binary : {"aia-node", "aia-keys"}) {
    // The Debian package of each shared library, by its /usr path (merged /usr) or as listed.
    auto r = run_command("ldd " + aia::test::quoted((bin / binary).string())
                         + " | awk '{print $3}' | grep / | while read l; do dpkg -S \"/usr$l\" "
                           "2>/dev/null || dpkg -S \"$l\"; done | cut -d: -f1 | sort -u");
    REQUIRE(r.status == 0);
    std::istringstream needed{r.output};
    for (std::string p; needed >> p;) {
      if (p.starts_with("libasan") || p.starts_with("libubsan")) {
        continue;  // a sanitizer build (make test-asan); the image is built without them
      }
      INFO(binary << " needs " << p);
      CHECK(packages.contains(p));
    }
  }
  CHECK_THAT(dockerfile, Catch::Contains("USER aia") && Catch::Contains("EXPOSE 8000")
                           && Catch::Contains("HEALTHCHECK"));
  // The cluster port of deploy/kubernetes/aia-node.yaml (check_manifests.py matches the two).
  CHECK(std::regex_search(dockerfile, std::regex{R"(\nEXPOSE [0-9 ]*\b4370\b)"}));
  // Each runtime package exists in Debian 12.
  std::string names;
  for (const auto& p : packages) {
    names += " " + p;
  }
  auto known = run_command("apt-cache show" + names + " | grep -c '^Package:'");
  INFO(known.output);
  CHECK(std::stoul(known.output) >= packages.size());
}

TEST_CASE("deploy/local-cluster.sh is valid bash, executable, and documents its settings") {
  auto script = root / "deploy" / "local-cluster.sh";
  REQUIRE(fs::exists(script));
  CHECK((fs::status(script).permissions() & fs::perms::owner_exec) != fs::perms::none);
  auto syntax = run_command("bash -n " + aia::test::quoted(script.string()));
  INFO(syntax.output);
  CHECK(syntax.status == 0);
  auto help = run_command(aia::test::quoted(script.string()) + " --help");
  CHECK(help.status == 0);
  for (const char* word : {"start", "stop", "status", "NODES", "BASE_PORT", "CLUSTER_BASE",
                           "REDIS_PORT", "STATE_DIR", "AIA_NODE"}) {
    CHECK_THAT(help.output, Catch::Contains(word));
  }
  auto bad = run_command(aia::test::quoted(script.string()) + " no-such-command");
  CHECK(bad.status == 2);
}

namespace {

/// True if process `pid` runs (a zombie does not).
bool process_runs(const std::string& pid) {
  auto r = run_command("ps -o stat= -p " + pid);
  auto stat = std::regex_replace(r.output, std::regex{R"(\s+)"}, "");
  return r.status == 0 && !stat.empty() && stat[0] != 'Z';
}

/// Runs `cmd` when it goes away, whatever the test did: the cluster never outlives the test.
struct run_at_exit {
  std::string cmd;
  ~run_at_exit() { [[maybe_unused]] int ignored = std::system((cmd + " >/dev/null 2>&1").c_str()); }
};

} // namespace

// About 2 s: two nodes and Redis start in about 1 s and drain in under 1 s.
TEST_CASE("deploy/local-cluster.sh starts a cluster sharing tokens and data, and stops it clean") {
  temp_dir state{"aia-local-cluster-"};
  auto script = aia::test::quoted((root / "deploy" / "local-cluster.sh").string());
  auto state_env = "STATE_DIR=" + aia::test::quoted(state.path().string()) + " ";
  run_at_exit stop_anyway{state_env + script + " stop"};

  // Ports below the ephemeral range, where free_port() and client sockets are; the script
  // refuses busy ports before starting anything, so another draw is then safe.
  std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> draw{20000, 29990};
  int base = 0;
  std::string env;
  command_result started;
  for (int attempt = 0; attempt < 5; ++attempt) {
    base = draw(rng);
    env = state_env + "NODES=2 BASE_PORT=" + std::to_string(base)
          + " CLUSTER_BASE=" + std::to_string(base + 2) + " REDIS_PORT=" + std::to_string(base + 4)
          + " AIA_NODE=" + aia::test::quoted(AIA_NODE_BIN)
          + " REDIS_SERVER=/usr/bin/redis-server START_TIMEOUT=30 STOP_TIMEOUT=20 ";
    started = run_command(env + script + " start");
    if (started.output.find("port in use") == std::string::npos) {
      break;
    }
  }
  INFO(started.output);
  REQUIRE(started.status == 0);
  auto node1 = static_cast<std::uint16_t>(base);
  auto node2 = static_cast<std::uint16_t>(base + 1);
  for (auto port : {node1, node2}) {
    INFO("node on port " << port);
    CHECK(http_request(port, "GET", "/readyz").status == 200);
    CHECK_THAT(http_request(port, "GET", "/metrics").body,
               Catch::Contains("\ncluster_members 2\n"));
  }

  // One HS256 secret for all nodes: a token signed with it is good on each of them.
  auto secret = std::regex_replace(read_text(state / "hs256-secret"), std::regex{R"(\s+$)"}, "");
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  auto token = aia::net::auth::sign_jwt(
    R"({"sub":"deploy-test","role":"admin","iss":"aia-node","aud":"aia-personalization","iat":)"
      + std::to_string(now) + R"(,"exp":)" + std::to_string(now + 600) + "}",
    aia::net::auth::jwt_key::hs256("default", secret));
  header_list auth{{"Authorization", "Bearer " + token}};
  auto posted = http_request(
    node2, "POST", std::string{api} + "/interaction",
    R"({"user_id":"u1","interaction_type":"click","timestamp":1732700000,"response_time":1.2})",
    auth);
  INFO(posted.body);
  CHECK(posted.status == 200);
  auto profile = http_request(node1, "GET", std::string{api} + "/profile/u1", {}, auth);
  INFO(profile.body);
  CHECK(profile.status == 200);
  CHECK_THAT(profile.body, Catch::Contains(R"("interaction_count":1)"));

  auto again = run_command(env + script + " start");
  CHECK(again.status == 0);
  CHECK_THAT(again.output, Catch::Contains("already running"));

  std::vector<std::string> pids;
  for (const char* name : {"node1.pid", "node2.pid", "redis.pid"}) {
    pids.push_back(std::regex_replace(read_text(state / name), std::regex{R"(\s+)"}, ""));
  }
  auto stopped = run_command(env + script + " stop");
  INFO(stopped.output);
  CHECK(stopped.status == 0);
  for (const auto& pid : pids) {
    INFO("pid " << pid);
    CHECK_FALSE(process_runs(pid));
  }
  CHECK(run_command(env + script + " status").status == 3);  // nothing running
}
