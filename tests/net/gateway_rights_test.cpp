// The users' rights through the gateway of a real node: GDPR Art. 17 erasure with a receipt
// (verified by scanning the stopped node's files for the user id), Art. 15/20 export, the CCPA
// opt-out, who may do what, the compliance report, and the audit log they leave behind.
#include "tests/support/command.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/wire.hpp"
#include "tests/support/ws_client.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace aia::test;
using namespace std::chrono_literals;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string user_path(std::string_view user, std::string_view action = {}) {
  return std::string{api} + "/user/" + std::string{user} + std::string{action};
}

header_list bearer(std::string_view subject, std::string_view role) {
  return {{"Authorization", "Bearer " + token_for(subject, role)}};
}

void post_n(const node_process& node, std::string_view user, int n) {
  for (int i = 0; i < n; ++i) {
    auto body = rest_interaction(user);
    body["element_id"] = "lesson-" + std::to_string(i);
    body["client_id"] = "c1";
    body["seq"] = i + 1;
    REQUIRE(http_request(node.port(), "POST", std::string{api} + "/interaction", body.dump())
              .status
            == 200);
  }
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// Every file under `dir` whose bytes contain `needle`.
std::vector<std::string> files_containing(const fs::path& dir, std::string_view needle) {
  std::vector<std::string> hits;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && read_bytes(e.path()).find(needle) != std::string::npos) {
      hits.push_back(e.path().filename().string());
    }
  }
  return hits;
}

} // namespace

TEST_CASE("DELETE /user/{id} erases the user everywhere and returns a receipt") {
  node_process node;
  const std::string gone = "erase-me.7f3a91";
  post_n(node, gone, 3);
  post_n(node, "keep-me", 2);
  REQUIRE(http_request(node.port(), "PUT", std::string{api} + "/consent/" + gone,
                       R"({"analytics": true})")
            .status
          == 200);
  ws_client ws{node.port(), std::string{api} + "/ws/" + gone};
  REQUIRE(ws.upgraded());  // a live socket keeps the session in memory

  auto res = http_request(node.port(), "DELETE", user_path(gone));
  REQUIRE(res.status == 200);
  auto r = json::parse(res.body);
  CHECK(r["user_id"] == gone);
  CHECK(r["erased"] == true);
  CHECK(r["receipt_id"].get<std::string>().size() == 32);
  CHECK(r["deleted"]["events"] == 3);
  CHECK(r["deleted"]["records"] == 1);  // the consent history
  CHECK(r["completed_at"].get<double>() >= r["requested_at"].get<double>());
  bool session_listed = false;
  for (const auto& l : r["locations"]) {
    session_listed = session_listed || l["place"] == "session";
  }
  CHECK(session_listed);

  // Nothing is left to read, and the other user is untouched.
  CHECK(http_request(node.port(), "GET", std::string{api} + "/profile/" + gone).status == 404);
  CHECK(profile_count(node.port(), "keep-me") == 2);
  auto c = json::parse(
    http_request(node.port(), "GET", std::string{api} + "/consent/" + gone).body);
  CHECK(c["version"] == 0);
  CHECK(node_metric(node.port(), "gdpr_erasures_total") == 1);
  // Erasing again finds nothing and says so.
  auto again = json::parse(http_request(node.port(), "DELETE", user_path(gone)).body);
  CHECK(again["deleted"]["events"] == 0);

  // The stopped node's files (store, WAL, audit log, key ring) hold no trace of the id.
  REQUIRE(node.terminate() == 0);
  CHECK(files_containing(node.data_dir(), gone).empty());
  CHECK_FALSE(files_containing(node.data_dir(), "keep-me").empty());
  CHECK(node.stderr_text().find(gone) == std::string::npos);
}

TEST_CASE("GET /user/{id}/export returns everything held about the user") {
  node_process node;
  post_n(node, "exporter", 3);
  REQUIRE(http_request(node.port(), "PUT", std::string{api} + "/consent/exporter",
                       R"({"analytics": true})")
            .status
          == 200);
  auto res = http_request(node.port(), "GET", user_path("exporter", "/export"));
  REQUIRE(res.status == 200);
  auto x = json::parse(res.body);
  CHECK(x["user_id"] == "exporter");
  CHECK(x["format"] == "aia-user-export/1");
  CHECK(x["profile"]["interaction_count"] == 3);
  REQUIRE(x["events"].size() == 3);
  CHECK(x["events"][0]["seq"] == 1);
  CHECK(x["events"][2]["element_id"] == "lesson-2");
  CHECK(x["events"][0]["interaction_type"].is_string());
  CHECK(x["events"][0]["client_id"] == "c1");
  bool consent_found = false;
  for (const auto& rec : x["records"]) {
    if (rec["kind"] == "consent") {
      consent_found = true;
      CHECK(rec["content"]["consent"]["analytics"] == true);
    }
  }
  CHECK(consent_found);
  CHECK(node_metric(node.port(), "gdpr_exports_total") == 1);

  // A user never seen has nothing: an empty export, not an error.
  auto none = json::parse(http_request(node.port(), "GET", user_path("nobody", "/export")).body);
  CHECK(none["profile"].is_null());
  CHECK(none["events"].empty());
}

TEST_CASE("rights are the user's own, or an admin's, and bad requests change nothing") {
  node_process node;
  post_n(node, "alice", 1);
  auto bob = bearer("bob", "user");
  auto analyst = bearer("ana", "analyst");
  CHECK(http_request(node.port(), "DELETE", user_path("alice"), {}, bob).status == 403);
  CHECK(http_request(node.port(), "GET", user_path("alice", "/export"), {}, bob).status == 403);
  CHECK(http_request(node.port(), "DELETE", user_path("alice"), {}, analyst).status == 403);
  CHECK(http_request(node.port(), "POST", user_path("alice", "/opt-out"), {}, bob).status == 403);
  CHECK(http_request(node.port(), "GET", user_path("alice"), {}, bearer("alice", "user")).status
        == 405);
  CHECK(http_request(node.port(), "DELETE", user_path("bad%20id")).status == 400);
  CHECK(http_request(node.port(), "GET", user_path("alice", "/other")).status == 404);
  CHECK(profile_count(node.port(), "alice") == 1);  // none of the refusals erased anything
  auto own = http_request(node.port(), "GET", user_path("alice", "/export"), {},
                          bearer("alice", "user"));
  CHECK(own.status == 200);
}

TEST_CASE("POST /user/{id}/opt-out records the CCPA opt-out of sale as the marketing purpose") {
  node_process node;
  REQUIRE(http_request(node.port(), "PUT", std::string{api} + "/consent/carol",
                       R"({"marketing": true})")
            .status
          == 200);
  auto res = http_request(node.port(), "POST", user_path("carol", "/opt-out"), {},
                          bearer("carol", "user"));
  REQUIRE(res.status == 200);
  auto c = json::parse(res.body);
  CHECK(c["consent"]["marketing"] == false);
  CHECK(c["recorded"]["marketing"] == false);
  CHECK(c["version"] == 2);
  CHECK(c["history"].back()["source"] == "user");
}

TEST_CASE("GET /privacy/compliance judges each duty from live state") {
  node_process node;
  post_n(node, "dana", 2);
  REQUIRE(http_request(node.port(), "DELETE", user_path("dana")).status == 200);
  post_n(node, "eve", 1);
  REQUIRE(http_request(node.port(), "GET", user_path("eve", "/export")).status == 200);
  CHECK(http_request(node.port(), "GET", std::string{api} + "/privacy/compliance", {},
                     bearer("eve", "user"))
          .status
        == 403);
  auto res = http_request(node.port(), "GET", std::string{api} + "/privacy/compliance", {},
                          bearer("ana", "analyst"));
  REQUIRE(res.status == 200);
  auto r = json::parse(res.body);
  CHECK(r["privacy_level"] == "STANDARD");
  CHECK(r["scores"]["GDPR"] == 1.0);
  CHECK(r["scores"]["CCPA"] == 1.0);
  std::map<std::string, json> duties;
  for (const auto& d : r["duties"]) {
    duties[d["duty"].get<std::string>()] = d;
  }
  REQUIRE(duties.count("art17_erasure") == 1);
  CHECK(duties["art17_erasure"]["figures"]["completed"] == 1);
  CHECK(duties["art15_20_access_portability"]["figures"]["served"] == 1);
  CHECK(duties["art5_1e_storage_limitation"]["holds"] == true);
  CHECK(duties["art5_1e_storage_limitation"]["figures"]["retention_days"] == 90);
  CHECK(duties["art6_7_consent"]["figures"]["processed_users"] >= 1);
  CHECK(duties["global_budget"]["holds"] == true);
}

TEST_CASE("consent changes, erasures and exports land in a verifiable audit log without user ids") {
  node_process node;
  const std::string who = "audited-user-41";
  post_n(node, who, 1);
  REQUIRE(http_request(node.port(), "PUT", std::string{api} + "/consent/" + who,
                       R"({"analytics": true})")
            .status
          == 200);
  REQUIRE(http_request(node.port(), "GET", user_path(who, "/export")).status == 200);
  REQUIRE(http_request(node.port(), "DELETE", user_path(who)).status == 200);
  REQUIRE(node.terminate() == 0);
  auto log = node.data_dir() / "audit.log";
  auto text = read_bytes(log);
  CHECK(text.find(who) == std::string::npos);
  CHECK(text.find("\"consent_changed\"") != std::string::npos);
  CHECK(text.find("\"export\"") != std::string::npos);
  CHECK(text.find("\"erasure\"") != std::string::npos);
  auto bin = fs::path{AIA_NODE_BIN}.parent_path() / "aia-audit";
  auto r = run_command(quoted(bin.string()) + " verify --log " + quoted(log.string()) + " --key "
                       + quoted((node.data_dir() / "audit.key").string()));
  INFO(r.output);
  CHECK(r.status == 0);
}

TEST_CASE("at MAXIMUM the store holds no user id, and the user's rights still work") {
  node_options o;
  o.env = {{"PRIVACY_LEVEL", "MAXIMUM"}};
  node_process node{o};
  const std::string who = "max-user-5c2e";
  REQUIRE(http_request(node.port(), "PUT", std::string{api} + "/consent/" + who,
                       R"({"personalization": true, "analytics": true})")
            .status
          == 200);
  post_n(node, who, 2);
  CHECK(profile_count(node.port(), who) == 2);
  auto x = json::parse(http_request(node.port(), "GET", user_path(who, "/export")).body);
  CHECK(x["events"].empty());  // Maximum keeps no raw events
  CHECK(x["records"].size() == 1);
  REQUIRE(node.terminate() == 0);
  CHECK(files_containing(node.data_dir(), who).empty());
  node.restart();
  // The consent is found again under the pseudonym, and erased under it.
  auto c = json::parse(
    http_request(node.port(), "GET", std::string{api} + "/consent/" + who).body);
  CHECK(c["consent"]["analytics"] == true);
  auto r = json::parse(http_request(node.port(), "DELETE", user_path(who)).body);
  CHECK(r["deleted"]["records"] == 1);
  auto after = json::parse(
    http_request(node.port(), "GET", std::string{api} + "/consent/" + who).body);
  CHECK(after["version"] == 0);
}
