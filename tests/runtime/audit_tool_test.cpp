// Tests of the aia-audit binary, run as a process: verify on intact and tampered logs, show with
// filters, usage errors, and that the key never reaches its output.
#include "privacy/audit_log.hpp"

#include "tests/support/command.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using aia::privacy::audit_kind;
using aia::privacy::audit_log;
using aia::test::command_result;
using aia::test::quoted;
using aia::test::run_command;
using aia::test::temp_dir;
namespace fs = std::filesystem;

namespace {

command_result aia_audit(const std::string& args) {
  auto bin = fs::path{AIA_NODE_BIN}.parent_path() / "aia-audit";
  REQUIRE(fs::exists(bin));
  return run_command(quoted(bin.string()) + " " + args);
}

std::string read_text(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// A log of five entries about u_1 and u_2, with its key, in a fresh directory.
struct audit_files {
  temp_dir dir{"aia-audit-tool-"};
  fs::path log = dir / "audit.log";
  fs::path key = dir / "audit.key";

  audit_files() {
    auto a = audit_log::open(log, key);
    a.append(audit_kind::consent_changed, "u_1", "u_1", {{"analytics", true}});
    a.append(audit_kind::budget_spend, "system", "u_1", {{"epsilon", 0.5}});
    a.append(audit_kind::export_data, "admin", "u_2", {{"format", std::string{"json"}}});
    a.append(audit_kind::erasure, "admin", "u_2", {{"events_erased", std::int64_t{40}}});
    a.append(audit_kind::admin_action, "admin", "", {{"action", std::string{"rotate_keys"}}});
  }

  [[nodiscard]] std::string args() const {
    return "--log " + quoted(log.string()) + " --key " + quoted(key.string());
  }
};

} // namespace

TEST_CASE("aia-audit verify accepts an intact log and prints its head") {
  audit_files f;
  auto r = aia_audit("verify " + f.args());
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output.find("ok: 5 entries, head ") != std::string::npos);
  auto key = read_text(f.key);
  CHECK(r.output.find(key.substr(0, 16)) == std::string::npos);
}

TEST_CASE("aia-audit verify fails naming the first tampered seq") {
  audit_files f;
  auto text = read_text(f.log);

  SECTION("an altered entry") {
    auto pos = text.find("\"events_erased\":40");
    REQUIRE(pos != std::string::npos);
    text.replace(pos, 18, "\"events_erased\":41");
    std::ofstream{f.log, std::ios::binary | std::ios::trunc} << text;
    auto r = aia_audit("verify " + f.args());
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("altered at seq 4") != std::string::npos);
  }
  SECTION("a removed entry") {
    auto second = text.find('\n') + 1;
    auto third = text.find('\n', second) + 1;
    text.erase(second, third - second);
    std::ofstream{f.log, std::ios::binary | std::ios::trunc} << text;
    auto r = aia_audit("verify " + f.args());
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("removed or reordered at seq 2") != std::string::npos);
  }
  SECTION("the last entry cut off") {
    text.erase(text.rfind('\n', text.size() - 2) + 1);
    std::ofstream{f.log, std::ios::binary | std::ios::trunc} << text;
    auto r = aia_audit("verify " + f.args());
    INFO(r.output);
    CHECK(r.status == 1);
    CHECK(r.output.find("truncated at seq 5") != std::string::npos);
  }
}

TEST_CASE("aia-audit show lists entries, filtered by subject and kind") {
  audit_files f;
  auto all = aia_audit("show --log " + quoted(f.log.string()));
  INFO(all.output);
  CHECK(all.status == 0);
  CHECK(all.output.find("5 entries") != std::string::npos);
  auto u2 = aia_audit("show --log " + quoted(f.log.string()) + " --subject u_2");
  CHECK(u2.status == 0);
  CHECK(u2.output.find("seq 3 ") != std::string::npos);
  CHECK(u2.output.find("events_erased=40") != std::string::npos);
  CHECK(u2.output.find("seq 1 ") == std::string::npos);
  auto erasures = aia_audit("show --log " + quoted(f.log.string()) + " --kind erasure --json");
  CHECK(erasures.status == 0);
  CHECK(erasures.output.starts_with(R"({"seq":4,)"));
  CHECK(erasures.output.find("\n{") == std::string::npos);  // one line
}

TEST_CASE("aia-audit reports bad usage with exit status 2") {
  audit_files f;
  for (const auto& args : std::vector<std::string>{
           "", "frobnicate", "verify --log " + quoted(f.log.string()),
           "verify " + f.args() + " --x 1", "show",
           "show --log " + quoted(f.log.string()) + " --kind nonsense",
           "show --log " + quoted(f.log.string()) + " --from-seq x", "verify --key"}) {
    auto r = aia_audit(args);
    INFO(args << "\n" << r.output);
    CHECK(r.status == 2);
    CHECK(r.output.find("see aia-audit --help") != std::string::npos);
  }
  auto help = aia_audit("--help");
  CHECK(help.status == 0);
  CHECK(help.output.find("usage: aia-audit") != std::string::npos);
}

TEST_CASE("aia-audit fails with status 1 on a missing log or a loose key") {
  audit_files f;
  auto missing = aia_audit("verify --log " + quoted((f.dir / "nope.log").string()) + " --key "
                           + quoted(f.key.string()));
  CHECK(missing.status == 1);
  fs::permissions(f.key, fs::perms::group_read, fs::perm_options::add);
  auto loose = aia_audit("verify " + f.args());
  INFO(loose.output);
  CHECK(loose.status == 1);
  CHECK(loose.output.find("chmod 600") != std::string::npos);
}
