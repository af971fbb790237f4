// The pseudonymous store of Maximum privacy over a real SQLite store: calls about a user answer
// with its id, the file holds only pseudonyms, system ids pass, and a key file is made and kept.
#include "runtime/pseudonymous_store.hpp"

#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

using namespace aia;
using aia::test::temp_dir;
namespace fs = std::filesystem;

namespace {

std::string file_bytes(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

runtime::stored_event event(const std::string& user, std::uint64_t seq) {
  return runtime::stored_event{user, seq, "c", seq, 1.0 * seq, 2.0 * seq, {1, 2, 3}};
}

} // namespace

TEST_CASE("the pseudonymous store answers with the ids asked and stores only pseudonyms") {
  temp_dir dir{"aia-pseudo-"};
  auto key = dir / "keyring.pseudonym";
  auto db = dir / "aia.db";
  {
    auto st = runtime::make_pseudonymous_store(
      runtime::open_sqlite_store(db.string(), runtime::sqlite_sync::normal),
      privacy::pseudonymizer::from_key_file(key));
    REQUIRE_FALSE(st->write({event("alice.secret", 1), event("alice.secret", 2)},
                            {runtime::snapshot_record{"alice.secret", 1, {9}, 3.0}}));
    REQUIRE_FALSE(st->put_record({"alice.secret", "consent", 1, {7}, 4.0}));
    REQUIRE_FALSE(st->put_record({"#global", "budget", 1, {5}, 4.0}));
    auto h = st->load("alice.secret");
    REQUIRE(h.snapshot);
    CHECK(h.snapshot->user_id == "alice.secret");
    REQUIRE(h.events.size() == 1);
    CHECK(h.events[0].user_id == "alice.secret");
    CHECK(h.records.at(0).user_id == "alice.secret");
    auto all = std::get<std::vector<runtime::stored_event>>(st->read_events("alice.secret", 0, 10));
    CHECK(all.size() == 2);
    auto page = std::get<runtime::user_page>(st->scan_users("", 10));
    REQUIRE(page.users.size() == 2);
    CHECK(page.users[0].user_id == "#global");
    CHECK(page.users[1].user_id.rfind("p_", 0) == 0);
    CHECK(page.users[1].user_id.size() == 34);
    CHECK(st->load("#global").records.size() == 1);
  }
  CHECK(file_bytes(db).find("alice.secret") == std::string::npos);
  struct stat sb{};
  REQUIRE(::stat(key.c_str(), &sb) == 0);
  CHECK((sb.st_mode & 0777) == 0600);

  // Reopened with the same key file: the same pseudonyms, so the same data; erasure works.
  auto st = runtime::make_pseudonymous_store(
    runtime::open_sqlite_store(db.string(), runtime::sqlite_sync::normal),
    privacy::pseudonymizer::from_key_file(key));
  auto n = std::get<runtime::erase_counts>(st->erase_user("alice.secret"));
  CHECK(n.events == 2);
  CHECK(n.records == 1);
}

TEST_CASE("a pseudonym key file that others may read is refused") {
  temp_dir dir{"aia-pseudo-"};
  auto key = dir / "loose.pseudonym";
  (void)privacy::pseudonymizer::from_key_file(key);
  fs::permissions(key, fs::perms::group_read, fs::perm_options::add);
  CHECK_THROWS_WITH(privacy::pseudonymizer::from_key_file(key),
                    Catch::Contains("pseudonym key"));
}
