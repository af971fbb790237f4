// Encryption at rest through a real aia-node: no plaintext in its data directory, restarts after
// aia-keys rotate and reencrypt lose nothing, bad key rings stop it, secrets never in its output.
#include "runtime/node.hpp"

#include "privacy/sealing.hpp"
#include "tests/support/command.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/tokens.hpp"
#include "tests/support/wire.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/stat.h>
#include <sys/wait.h>

using namespace aia::test;
namespace fs = std::filesystem;

namespace {

const std::string marker = "PLAINTEXT-MARKER-elem-7f3a";
const std::string interaction_target = std::string{api} + "/interaction";

std::string read_file(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// Every file under `dir` in one string.
std::string all_bytes(const fs::path& dir) {
  std::string out;
  for (const auto& entry : fs::recursive_directory_iterator{dir}) {
    if (entry.is_regular_file()) {
      out += read_file(entry.path());
    }
  }
  return out;
}

/// The base64 key texts of a key ring file: what must never appear in any output.
std::vector<std::string> key_texts(const fs::path& keyring) {
  std::istringstream in{read_file(keyring)};
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') {
      out.push_back(line.substr(line.rfind(' ') + 1));
    }
  }
  return out;
}

void check_no_secret(const std::string& text, const fs::path& keyring, const std::string& what) {
  INFO(what);
  CHECK(text.find(marker) == std::string::npos);
  for (const auto& k : key_texts(keyring)) {
    CHECK(text.find(k.substr(0, 16)) == std::string::npos);
  }
}

void post_marked(const node_process& node, const std::string& user, int n) {
  for (int i = 0; i < n; ++i) {
    auto body = rest_interaction(user, i % 2 == 0 ? "click" : "hover");
    body["element_id"] = marker;
    auto res = http_request(node.port(), "POST", interaction_target, body.dump());
    INFO(res.body);
    REQUIRE(res.status == 200);
  }
}

command_result aia_keys(const std::string& args) {
  auto bin = fs::path{AIA_NODE_BIN}.parent_path() / "aia-keys";
  REQUIRE(fs::exists(bin));
  return run_command(quoted(bin.string()) + " " + args);
}


/// Flips one bit in the middle of the sealed snapshot of `user`, straight in the file.
void flip_snapshot_byte(const fs::path& db_file, const std::string& user) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_file.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* read = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT data FROM snapshots WHERE user_id = ?1", -1, &read,
                             nullptr)
          == SQLITE_OK);
  sqlite3_bind_text(read, 1, user.c_str(), -1, SQLITE_TRANSIENT);
  REQUIRE(sqlite3_step(read) == SQLITE_ROW);
  auto p = static_cast<const char*>(sqlite3_column_blob(read, 0));
  std::string data(p, static_cast<std::size_t>(sqlite3_column_bytes(read, 0)));
  sqlite3_finalize(read);
  data[data.size() / 2] ^= 0x01;
  sqlite3_stmt* write = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "UPDATE snapshots SET data = ?2 WHERE user_id = ?1", -1, &write,
                             nullptr)
          == SQLITE_OK);
  sqlite3_bind_text(write, 1, user.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_blob(write, 2, data.data(), static_cast<int>(data.size()), SQLITE_TRANSIENT);
  CHECK(sqlite3_step(write) == SQLITE_DONE);
  CHECK(sqlite3_changes(db) == 1);
  sqlite3_finalize(write);
  sqlite3_close(db);
}

/// The key version of every sealed value in the store file.
std::vector<std::uint32_t> stored_key_versions(const fs::path& db_file) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_file.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* read = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT payload FROM events UNION ALL SELECT data FROM snapshots",
                             -1, &read, nullptr)
          == SQLITE_OK);
  std::vector<std::uint32_t> out;
  while (sqlite3_step(read) == SQLITE_ROW) {
    auto p = static_cast<const std::uint8_t*>(sqlite3_column_blob(read, 0));
    auto v = aia::privacy::sealer::key_version(
      std::span{p, static_cast<std::size_t>(sqlite3_column_bytes(read, 0))});
    out.push_back(v.value_or(0));
  }
  sqlite3_finalize(read);
  sqlite3_close(db);
  return out;
}

} // namespace

TEST_CASE("a node keeps user data sealed on disk through restarts, rotation and reencryption") {
  node_process node;
  const std::string user = "sealed-user";
  auto dir = node.data_dir();
  auto keyring = dir / "keyring";
  post_marked(node, user, 6);
  REQUIRE(profile_count(node.port(), user) == 6);

  auto busy = aia_keys("reencrypt --data-dir " + quoted(dir.string()));
  CHECK(busy.status == 1);
  CHECK_THAT(busy.output, Catch::Contains("in use"));

  // A graceful stop snapshots the session; a kill after more posts leaves events after it.
  REQUIRE(node.terminate() == 0);
  struct stat st {};
  REQUIRE(stat(keyring.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(all_bytes(dir).find(marker) == std::string::npos);
  node.restart();
  CHECK(profile_count(node.port(), user) == 6);
  post_marked(node, user, 3);
  node.kill();
  CHECK(all_bytes(dir).find(marker) == std::string::npos);

  auto rotated = aia_keys("rotate --keyring " + quoted(keyring.string()));
  CHECK(rotated.status == 0);
  CHECK_THAT(rotated.output, Catch::Contains("added key v2"));
  auto resealed = aia_keys("reencrypt --data-dir " + quoted(dir.string()));
  INFO(resealed.output);
  CHECK(resealed.status == 0);
  CHECK_THAT(resealed.output, Catch::Contains("under key v2") && Catch::Contains("0 do not open"));
  auto status = aia_keys("status --keyring " + quoted(keyring.string()));
  CHECK(status.status == 0);
  CHECK_THAT(status.output, Catch::Contains("v1") && Catch::Contains("v2  created"));

  node.restart();
  CHECK(profile_count(node.port(), user) == 9);
  post_marked(node, user, 1);
  CHECK(profile_count(node.port(), user) == 10);
  REQUIRE(node.terminate() == 0);
  CHECK(all_bytes(dir).find(marker) == std::string::npos);
  CHECK(key_texts(keyring).size() == 2);
  for (const auto& r : {busy, rotated, resealed, status}) {
    check_no_secret(r.output, keyring, "aia-keys output: " + r.output);
  }
  check_no_secret(node.stdout_text() + node.stderr_text(), keyring, "the node's output");
}

TEST_CASE("a node reports a tampered snapshot instead of using it") {
  node_process node;
  post_marked(node, "tampered-user", 4);
  post_marked(node, "intact-user", 2);
  REQUIRE(node.terminate() == 0);  // both sessions snapshot

  flip_snapshot_byte(node.data_dir() / "aia.db", "tampered-user");
  node.restart();
  auto res = http_request(node.port(), "GET", std::string{api} + "/profile/tampered-user");
  INFO(res.body);
  CHECK(res.status == 500);  // definite: a retry cannot help
  check_error_body(res.body, "internal_error");
  CHECK_THAT(res.body, Catch::Contains("integrity"));
  auto post = http_request(node.port(), "POST", std::string{api} + "/interaction",
                           rest_interaction("tampered-user").dump());
  CHECK(post.status == 500);  // nothing is applied on top of a history that cannot be read
  CHECK(res.body.find("\"interaction_count\"") == std::string::npos);
  CHECK(profile_count(node.port(), "intact-user") == 2);
  auto log = node.stderr_text();
  CHECK_THAT(log, Catch::Contains("store.value_unreadable") && Catch::Contains("tampered"));
  CHECK(log.find("tampered-user") == std::string::npos);  // nor any raw user id
  REQUIRE(node.terminate() == 0);
  check_no_secret(node.stdout_text() + node.stderr_text(), node.data_dir() / "keyring",
                  "the node's output");
}

TEST_CASE("a node refuses to start on a missing, loose or malformed key ring, quoting no key") {
  node_process node;
  post_marked(node, "ring-user", 1);
  REQUIRE(node.terminate() == 0);
  auto dir = node.data_dir();
  auto keyring = dir / "keyring";
  auto saved = read_file(keyring);

  SECTION("missing while the store exists") {
    fs::rename(keyring, dir / "keyring.bak");
    auto r = run_node_expecting_exit("", true, dir);
    CHECK(r.status == 1);
    CHECK_THAT(r.output, Catch::Contains("key ring") && Catch::Contains("is missing"));
    CHECK_FALSE(fs::exists(keyring));  // no fresh ring in its place
    fs::rename(dir / "keyring.bak", keyring);
  }
  SECTION("readable by others") {
    REQUIRE(chmod(keyring.c_str(), 0644) == 0);
    auto r = run_node_expecting_exit("", true, dir);
    CHECK(r.status == 1);
    CHECK_THAT(r.output, Catch::Contains("chmod 600"));
    REQUIRE(chmod(keyring.c_str(), 0600) == 0);
  }
  SECTION("malformed") {
    auto key = key_texts(keyring).at(0);
    { std::ofstream{keyring, std::ios::app} << "v2 not-a-time " << key << "\n"; }
    auto r = run_node_expecting_exit("", true, dir);
    CHECK(r.status == 1);
    CHECK_THAT(r.output, Catch::Contains("line 4"));
    check_no_secret(r.output, keyring, "start error: " + r.output);
    { std::ofstream{keyring, std::ios::trunc} << saved; }
  }
  node.restart();
  CHECK(profile_count(node.port(), "ring-user") == 1);
}

TEST_CASE("a node whose newest key is past the rotation period seals with a new key") {
  std::string pattern = (fs::temp_directory_path() / "aia-ring-XXXXXX").string();
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  fs::path ring_dir{pattern};
  auto file = ring_dir / "ring";
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  (void) aia::privacy::key_ring::open_or_create(file, 90, now - 91 * 86400);
  {
    node_process node{node_options::with_args({"--store.keyring_file=" + file.string()})};
    post_marked(node, "rotated-user", 3);
    REQUIRE(node.terminate() == 0);
    CHECK_THAT(node.stderr_text(), Catch::Contains(R"("change":"rotated")"));
    auto ring = aia::privacy::key_ring::load(file);
    CHECK(ring.newest().version == 2);
    CHECK(ring.newest().created >= now);
    auto versions = stored_key_versions(node.data_dir() / "aia.db");
    CHECK(versions.size() == 4);  // three events and the snapshot of the stop
    for (auto v : versions) {
      CHECK(v == 2u);
    }
    CHECK_FALSE(fs::exists(node.data_dir() / "keyring"));  // the configured ring, not a default
  }
  fs::remove_all(ring_dir);
}
