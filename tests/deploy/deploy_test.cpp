// deploy/: the Prometheus config and alert rules pass promtool and name only metrics a real node
// serves; the Kubernetes manifests hold the fields the deployment needs; the Dockerfile's runtime
// image installs every shared library the binaries link.
#include "tests/support/command.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

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

/// The metric families a live node serves (names of its # TYPE lines).
std::set<std::string> served_metrics() {
  node_process node;
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
    "job", "reason", "and", "or", "unless", "max", "min", "avg", "count"};
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
  // Each runtime package exists in Debian 12.
  std::string names;
  for (const auto& p : packages) {
    names += " " + p;
  }
  auto known = run_command("apt-cache show" + names + " | grep -c '^Package:'");
  INFO(known.output);
  CHECK(std::stoul(known.output) >= packages.size());
}
