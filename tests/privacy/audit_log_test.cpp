// Tests of the audit log: the HMAC chain across reopens, tampering of every kind, torn lines,
// the guard on details, file modes, the lock and concurrent appends.
#include "privacy/audit_log.hpp"

#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using aia::privacy::audit_details;
using aia::privacy::audit_entry;
using aia::privacy::audit_filter;
using aia::privacy::audit_kind;
using aia::privacy::audit_log;
using aia::privacy::audit_problem;
using aia::test::temp_dir;
namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out{p, std::ios::binary | std::ios::trunc};
  out << text;
}

std::vector<std::string> read_lines(const fs::path& p) {
  std::istringstream in{read_text(p)};
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

void write_lines(const fs::path& p, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) {
    text += l + "\n";
  }
  write_text(p, text);
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

/// A log and its key in a fresh directory.
struct fixture {
  temp_dir dir{"aia-audit-test-"};
  fs::path log = dir / "audit.log";
  fs::path key = dir / "audit.key";

  /// Appends `n` entries of assorted kinds: seqs 1..n.
  void fill(int n) {
    auto a = audit_log::open(log, key);
    for (int i = 0; i < n; ++i) {
      a.append(i % 2 == 0 ? audit_kind::consent_changed : audit_kind::erasure, "admin",
               "u_" + std::to_string(i % 3),
               {{"level", std::string{"HIGH"}}, {"events_erased", std::int64_t{i}}});
    }
  }

  [[nodiscard]] aia::privacy::verify_result verify() const {
    return aia::privacy::verify_file(log, key);
  }
};

/// HMAC-SHA256 of `data` under `key`, hex, computed independently of the log's code.
std::string hmac_hex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    static constexpr char hex[] = "0123456789abcdef";
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 0xF];
  }
  return out;
}

} // namespace

TEST_CASE("appended entries survive a reopen and the chain continues from the last one") {
  fixture f;
  audit_entry third;
  {
    auto a = audit_log::open(f.log, f.key);
    CHECK(a.last_seq() == 0);
    a.append(audit_kind::consent_changed, "admin", "u_1", {{"granted", true}});
    a.append(audit_kind::budget_spend, "system", "u_1",
             {{"epsilon", 0.25}, {"query", std::string{"mean"}}});
    third = a.append(audit_kind::export_data, "u_1", "u_1");
    CHECK(third.seq == 3);
    CHECK(a.last_seq() == 3);
  }
  auto a = audit_log::open(f.log, f.key);
  CHECK(a.last_seq() == 3);
  CHECK(a.dropped_tail_bytes() == 0);
  auto fourth
      = a.append(audit_kind::admin_action, "ops", "",
                 {{"action", std::string{"rotate_keys"}}, {"n", std::int64_t{-7}}, {"x", 3.0}});
  CHECK(fourth.seq == 4);
  CHECK(fourth.prev == third.mac);

  auto entries = a.read();
  REQUIRE(entries.size() == 4);
  CHECK(entries[2].mac == third.mac);
  CHECK(entries[1].kind == audit_kind::budget_spend);
  CHECK(std::get<double>(entries[1].details.at("epsilon")) == 0.25);
  CHECK(std::get<std::string>(entries[1].details.at("query")) == "mean");
  CHECK(std::get<bool>(entries[0].details.at("granted")));
  CHECK(std::get<std::int64_t>(entries[3].details.at("n")) == -7);
  CHECK(std::get<double>(entries[3].details.at("x")) == 3.0);  // stays a double: "3.0"
  CHECK(entries[3].time == fourth.time);
  CHECK(entries[0].prev == std::string(64, '0'));

  auto r = a.verify();
  CHECK(r.ok());
  CHECK(r.entries == 4);
  CHECK(r.head_mac == fourth.mac);
  CHECK(r.anchor_seq == 4);
}

TEST_CASE("each mac is HMAC-SHA256 of the entry's canonical bytes under the key file's bytes") {
  fixture f;
  f.fill(3);
  auto key = read_text(f.key);
  REQUIRE(key.size() == 65);  // 64 hex digits and a newline
  key.pop_back();
  auto lines = read_lines(f.log);
  auto entries = aia::privacy::read_file(f.log);
  REQUIRE(lines.size() == 3);
  REQUIRE(entries.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(aia::privacy::to_json(entries[i]) == lines[i]);
    auto canonical = aia::privacy::canonical_bytes(entries[i]);
    CHECK(entries[i].mac == hmac_hex(key, canonical));
    // The canonical bytes are the line without its mac field.
    CHECK(lines[i]
          == canonical.substr(0, canonical.size() - 1) + ",\"mac\":\"" + entries[i].mac + "\"}");
  }
  CHECK(lines[0].starts_with(R"({"seq":1,"time":)"));
  CHECK(
      lines[0].find(
          R"("kind":"consent_changed","actor":"admin","subject":"u_0","details":{"events_erased":0,"level":"HIGH"},"prev":"0000)")
      != std::string::npos);
  auto head = read_text(f.log.string() + ".head");
  CHECK(head
        == R"({"head_seq":3,"mac":")" + entries[2].mac + R"(","anchor":")"
               + hmac_hex(key, R"({"head_seq":3,"mac":")" + entries[2].mac + "\"}") + "\"}\n");
}

TEST_CASE("verification reports the first tampered entry and how it was tampered with") {
  fixture f;
  f.fill(6);
  REQUIRE(f.verify().ok());
  auto lines = read_lines(f.log);

  SECTION("one byte flipped in an entry's details: altered at that seq") {
    auto pos = lines[2].find("\"HIGH\"");
    REQUIRE(pos != std::string::npos);
    lines[2][pos + 1] = 'L';
    write_lines(f.log, lines);
    auto r = f.verify();
    CHECK(r.problem == audit_problem::altered);
    CHECK(r.seq == 3);
    CHECK(r.entries == 2);
  }
  SECTION("a middle entry removed") {
    lines.erase(lines.begin() + 3);
    write_lines(f.log, lines);
    auto r = f.verify();
    CHECK(r.problem == audit_problem::removed_or_reordered);
    CHECK(r.seq == 4);
    CHECK(r.reason.find("holds seq 5") != std::string::npos);
  }
  SECTION("two entries swapped") {
    std::swap(lines[1], lines[2]);
    write_lines(f.log, lines);
    auto r = f.verify();
    CHECK(r.problem == audit_problem::removed_or_reordered);
    CHECK(r.seq == 2);
  }
  SECTION("the last entry removed, its anchor left as it was: truncated") {
    lines.pop_back();
    write_lines(f.log, lines);
    auto r = f.verify();
    CHECK(r.problem == audit_problem::truncated);
    CHECK(r.seq == 6);
    CHECK(r.entries == 5);
    CHECK(r.anchor_seq == 6);
    // A writer refuses to continue such a log.
    CHECK_THROWS_WITH(audit_log::open(f.log, f.key), Catch::Contains("truncated at seq 6"));
  }
  SECTION("the head anchor deleted with the last entries") {
    lines.resize(4);
    write_lines(f.log, lines);
    fs::remove(f.log.string() + ".head");
    auto r = f.verify();
    CHECK(r.problem == audit_problem::bad_anchor);
    CHECK(r.reason.find("missing") != std::string::npos);
    CHECK_THROWS_AS(audit_log::open(f.log, f.key), std::runtime_error);
  }
  SECTION("the head anchor edited to match a truncated log") {
    lines.resize(4);
    write_lines(f.log, lines);
    auto mac = aia::privacy::read_file(f.log).back().mac;
    auto head = read_text(f.log.string() + ".head");
    write_text(f.log.string() + ".head",
               R"({"head_seq":4,"mac":")" + mac + head.substr(head.find("\",\"anchor\"")));
    auto r = f.verify();
    CHECK(r.problem == audit_problem::bad_anchor);
    CHECK(r.reason.find("forged") != std::string::npos);
  }
  SECTION("a line that does not parse") {
    lines[4] = "{\"seq\":5,\"oops\"}";
    write_lines(f.log, lines);
    auto r = f.verify();
    CHECK(r.problem == audit_problem::bad_line);
    CHECK(r.seq == 5);
  }
  SECTION("a line re-spaced: same JSON, not canonical") {
    auto pos = lines[1].find(",\"kind\"");
    lines[1].insert(pos + 1, " ");
    write_lines(f.log, lines);
    auto r = f.verify();
    CHECK(r.problem == audit_problem::bad_line);
    CHECK(r.seq == 2);
  }
}

TEST_CASE("a log checked under another key fails at seq 1") {
  fixture f;
  f.fill(3);
  auto other = f.dir / "other.key";
  write_text(other, std::string(40, 'k'));
  fs::permissions(other, fs::perms::owner_read | fs::perms::owner_write);
  auto r = aia::privacy::verify_file(f.log, other);
  CHECK(r.problem == audit_problem::altered);
  CHECK(r.seq == 1);
  CHECK(r.entries == 0);
  CHECK_THROWS_AS(audit_log::open(f.log, other), std::runtime_error);
}

TEST_CASE("a torn last line is cut away at open and the chain continues") {
  fixture f;
  f.fill(3);
  auto intact = read_text(f.log);
  auto torn = R"({"seq":4,"time":1700000000.000000,"kind":"era)";
  write_text(f.log, intact + torn);

  // Verification ignores it: it was never acknowledged (or is an append in flight).
  auto r = f.verify();
  CHECK(r.ok());
  CHECK(r.entries == 3);
  CHECK(r.torn_tail_bytes == std::string{torn}.size());

  auto a = audit_log::open(f.log, f.key);
  CHECK(a.dropped_tail_bytes() == std::string{torn}.size());
  CHECK(a.last_seq() == 3);
  CHECK(read_text(f.log) == intact);
  auto e = a.append(audit_kind::erasure, "system", "u_9", {{"events_erased", std::int64_t{12}}});
  CHECK(e.seq == 4);
  auto after = a.verify();
  CHECK(after.ok());
  CHECK(after.entries == 4);
  CHECK(after.torn_tail_bytes == 0);
}

TEST_CASE("a failed write stops appends until reopened, and reopening drops its partial line") {
  fixture f;
  f.fill(2);
  auto intact = read_text(f.log);
  // In a child, a file size limit makes the next write stop halfway (then fail with EFBIG).
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int code = 0;
    try {
      auto a = audit_log::open(f.log, f.key);
      std::signal(SIGXFSZ, SIG_IGN);
      rlimit limit{static_cast<rlim_t>(intact.size() + 100), RLIM_INFINITY};
      setrlimit(RLIMIT_FSIZE, &limit);
      try {
        a.append(audit_kind::erasure, "ops", "u_1", {{"note", std::string(200, 'n')}});
        code = 1;
      } catch (const std::runtime_error&) {
      }
      try {
        a.append(audit_kind::erasure, "ops", "u_1");
        code = 2;
      } catch (const std::runtime_error& e) {
        code = std::string{e.what()}.find("reopen") != std::string::npos ? code : 3;
      }
    } catch (...) {
      code = 4;
    }
    _exit(code);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(read_text(f.log).size() == intact.size() + 100);  // half a line
  CHECK(f.verify().ok());
  auto a = audit_log::open(f.log, f.key);
  CHECK(a.dropped_tail_bytes() == 100);
  CHECK(read_text(f.log) == intact);
  CHECK(a.append(audit_kind::erasure, "ops", "u_1").seq == 3);
  CHECK(a.verify().ok());
}

TEST_CASE("an anchor left behind by a crash is brought up to date at open") {
  fixture f;
  f.fill(2);
  auto head = read_text(f.log.string() + ".head");
  f.fill(1);                                   // seq 3
  write_text(f.log.string() + ".head", head);  // as if the crash came before the anchor's update
  auto r = f.verify();
  CHECK(r.ok());
  CHECK(r.anchor_seq == 2);
  auto a = audit_log::open(f.log, f.key);
  CHECK(a.verify().anchor_seq == 3);
}

TEST_CASE("details that could carry raw data are refused and nothing is appended") {
  fixture f;
  auto a = audit_log::open(f.log, f.key);
  a.append(audit_kind::admin_action, "ops", "", {{"action", std::string{"start"}}});
  auto before = read_text(f.log);

  SECTION("a nested object") {
    CHECK_THROWS_AS(a.append_json(audit_kind::export_data, "ops", "u_1", R"({"meta":{"a":1}})"),
                    std::invalid_argument);
  }
  SECTION("an array") {
    CHECK_THROWS_AS(a.append_json(audit_kind::export_data, "ops", "u_1", R"({"ids":[1,2]})"),
                    std::invalid_argument);
  }
  SECTION("null") {
    CHECK_THROWS_AS(a.append_json(audit_kind::export_data, "ops", "u_1", R"({"x":null})"),
                    std::invalid_argument);
  }
  SECTION("a payload key") {
    CHECK_THROWS_AS(
        a.append(audit_kind::export_data, "ops", "u_1", {{"payload", std::string{"..."}}}),
        std::invalid_argument);
    CHECK_THROWS_AS(a.append_json(audit_kind::export_data, "ops", "u_1", R"({"rawPayload":"x"})"),
                    std::invalid_argument);
  }
  SECTION("interactions, raw and body keys") {
    for (const auto* key : {"interactions", "lastInteraction", "raw", "raw_events", "req.body"}) {
      CHECK_THROWS_AS(a.append(audit_kind::erasure, "ops", "u_1", {{key, std::int64_t{1}}}),
                      std::invalid_argument);
    }
  }
  SECTION("oversize, non-UTF-8 or non-finite values, and too many keys") {
    CHECK_THROWS_AS(a.append(audit_kind::erasure, "ops", "u_1", {{"note", std::string(257, 'x')}}),
                    std::invalid_argument);
    CHECK_THROWS_AS(a.append(audit_kind::erasure, "ops", "u_1", {{"note", std::string{"\xff"}}}),
                    std::invalid_argument);
    CHECK_THROWS_AS(a.append(audit_kind::erasure, "ops", "u_1",
                             {{"x", std::numeric_limits<double>::infinity()}}),
                    std::invalid_argument);
    audit_details many;
    for (int i = 0; i < 33; ++i) {
      std::string key = "k";
      key += std::to_string(i);  // not "k" + ...: GCC 12 gives a false -Wrestrict there
      many[key] = std::int64_t{i};
    }
    CHECK_THROWS_AS(a.append(audit_kind::erasure, "ops", "u_1", many), std::invalid_argument);
  }
  SECTION("a malformed key, an empty actor, a long subject") {
    CHECK_THROWS_AS(a.append(audit_kind::erasure, "ops", "u_1", {{"a b", true}}),
                    std::invalid_argument);
    CHECK_THROWS_AS(a.append(audit_kind::erasure, "", "u_1"), std::invalid_argument);
    CHECK_THROWS_AS(a.append(audit_kind::erasure, "ops", std::string(300, 'u')),
                    std::invalid_argument);
  }
  CHECK(a.last_seq() == 1);
  CHECK(read_text(f.log) == before);
  // Flat metadata passes, strings with quotes and newlines included.
  auto e = a.append_json(audit_kind::erasure, "ops", "u_1",
                         R"( {"events_erased": 12, "reason": "user \"asked\"\n", "full": true} )");
  CHECK(e.seq == 2);
  CHECK(std::get<std::string>(e.details.at("reason")) == "user \"asked\"\n");
  CHECK(a.verify().ok());
}

TEST_CASE("the key and the log's files are private, and a loose or short key is refused") {
  fixture f;
  f.fill(1);
  CHECK(mode_of(f.key) == 0600);
  CHECK(mode_of(f.log) == 0600);
  CHECK(mode_of(f.log.string() + ".head") == 0600);
  CHECK(mode_of(f.log.string() + ".lock") == 0600);

  SECTION("group-readable key") {
    REQUIRE(chmod(f.key.c_str(), 0640) == 0);
    CHECK_THROWS_WITH(audit_log::open(f.log, f.key), Catch::Contains("chmod 600"));
    CHECK_THROWS_WITH(aia::privacy::verify_file(f.log, f.key), Catch::Contains("chmod 600"));
  }
  SECTION("a key under 32 bytes, and its bytes never in the message") {
    write_text(f.key, "short-secret-xyz\n");
    REQUIRE(chmod(f.key.c_str(), 0600) == 0);
    try {
      (void)aia::privacy::verify_file(f.log, f.key);
      FAIL("a short key was accepted");
    } catch (const std::runtime_error& e) {
      CHECK(std::string{e.what()}.find("at least 32") != std::string::npos);
      CHECK(std::string{e.what()}.find("short-secret") == std::string::npos);
    }
  }
  SECTION("a missing key beside an existing log is not replaced by a new one") {
    fs::remove(f.key);
    CHECK_THROWS_AS(audit_log::open(f.log, f.key), std::runtime_error);
    CHECK_FALSE(fs::exists(f.key));
  }
}

TEST_CASE("a second writer is refused while a log is open, in this process or another") {
  fixture f;
  auto a = audit_log::open(f.log, f.key);
  CHECK_THROWS_WITH(audit_log::open(f.log, f.key), Catch::Contains("in use"));

  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int code = 3;
    try {
      (void)audit_log::open(f.log, f.key);
      code = 1;
    } catch (const std::runtime_error& e) {
      code = std::string{e.what()}.find("in use") != std::string::npos ? 0 : 2;
    } catch (...) {
    }
    _exit(code);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // Readers need no lock.
  CHECK(a.verify().ok());
  CHECK(aia::privacy::verify_file(f.log, f.key).ok());
}

TEST_CASE("concurrent appends from 8 threads form one contiguous valid chain") {
  fixture f;
  auto a = audit_log::open(f.log, f.key);
  constexpr int threads = 8;
  constexpr int per_thread = 200;
  std::vector<std::vector<std::uint64_t>> seqs(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&a, &seqs, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto e = a.append(audit_kind::budget_spend, "system", "u_" + std::to_string(t),
                          {{"epsilon", 0.01}, {"i", std::int64_t{i}}});
        seqs[t].push_back(e.seq);
      }
    });
  }
  for (auto& th : pool) {
    th.join();
  }
  std::set<std::uint64_t> all;
  for (const auto& s : seqs) {
    CHECK(std::is_sorted(s.begin(), s.end()));  // one thread's appends stay in its order
    all.insert(s.begin(), s.end());
  }
  CHECK(all.size() == threads * per_thread);
  CHECK(*all.begin() == 1);
  CHECK(*all.rbegin() == threads * per_thread);
  auto r = a.verify();
  CHECK(r.ok());
  CHECK(r.entries == threads * per_thread);
  CHECK(r.anchor_seq == threads * per_thread);
  CHECK(a.read(audit_filter{"u_3", std::nullopt, 0}).size() == per_thread);
}

TEST_CASE("verifying while another thread appends never reports a false problem") {
  fixture f;
  auto a = audit_log::open(f.log, f.key);
  std::atomic<bool> stop{false};
  std::thread writer{[&a, &stop] {
    for (int i = 0; i < 400 && !stop; ++i) {
      a.append(audit_kind::budget_spend, "system", "u_1", {{"i", std::int64_t{i}}});
    }
  }};
  std::uint64_t seen = 0;
  for (int i = 0; i < 40; ++i) {
    auto r = aia::privacy::verify_file(f.log, f.key);
    INFO(r.reason);
    CHECK(r.ok());
    CHECK(r.entries >= seen);  // the anchor is read first, so it is never ahead of the lines read
    seen = r.entries;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  writer.join();
  CHECK(a.verify().ok());
}

TEST_CASE("read filters by subject, kind and first seq") {
  fixture f;
  f.fill(9);  // kinds alternate consent_changed, erasure; subjects u_0, u_1, u_2
  auto a = audit_log::open(f.log, f.key);
  CHECK(a.read().size() == 9);
  CHECK(a.read({"u_1", std::nullopt, 0}).size() == 3);
  CHECK(a.read({std::nullopt, audit_kind::erasure, 0}).size() == 4);
  auto both = a.read({"u_0", audit_kind::consent_changed, 0});  // seqs 1, 7 (i = 0, 6)
  REQUIRE(both.size() == 2);
  CHECK(both[1].seq == 7);
  CHECK(a.read({std::nullopt, std::nullopt, 8}).size() == 2);
  CHECK(aia::privacy::read_file(f.log, {"u_2", std::nullopt, 0}).size() == 3);
}
