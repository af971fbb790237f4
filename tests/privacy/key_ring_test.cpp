// Tests of the key ring file: creation, mode 0600, rotation by age, malformed and loose files.
#include "privacy/key_ring.hpp"

#include "privacy/sealing.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

using aia::privacy::key_ring;
using aia::privacy::sealer;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t day = 86400;
constexpr std::int64_t t0 = 1700000000;

/// A fresh directory, removed with its contents at the end of the test.
struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "aia-keyring-test-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_text(const fs::path& p) {
  std::ifstream in{p};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_text(const fs::path& p, const std::string& text, mode_t mode = 0600) {
  {
    std::ofstream out{p, std::ios::trunc};
    out << text;
  }
  REQUIRE(chmod(p.c_str(), mode) == 0);
}

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

/// The key lines of a ring file (no comments).
std::vector<std::string> key_lines(const fs::path& p) {
  std::istringstream in{read_text(p)};
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') {
      out.push_back(line);
    }
  }
  return out;
}

/// The error message of loading `file`, or "" if it loads.
std::string load_error(const fs::path& file) {
  try {
    (void) key_ring::load(file);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

} // namespace

TEST_CASE("a missing ring is created with one key, mode 0600, and read back the same") {
  temp_dir tmp;
  auto file = tmp.path / "keyring";
  auto first = key_ring::open_or_create(file, 90, t0);
  CHECK(first.what == key_ring::change::created);
  CHECK(mode_of(file) == 0600);
  REQUIRE(first.ring.describe().size() == 1);
  CHECK(first.ring.newest().version == 1);
  CHECK(first.ring.newest().created == t0);

  auto again = key_ring::open_or_create(file, 90, t0 + day);
  CHECK(again.what == key_ring::change::none);
  CHECK(again.ring.newest().bytes == first.ring.newest().bytes);
  // Written atomically: no temporary file is left beside it (only the lock file).
  for (const auto& entry : fs::directory_iterator{tmp.path}) {
    auto name = entry.path().filename().string();
    CHECK((name == "keyring" || name == "keyring.lock"));
  }
}

TEST_CASE("a ring whose newest key reached the rotation period gets a new key for new writes") {
  temp_dir tmp;
  auto file = tmp.path / "keyring";
  auto old_sealer = sealer{key_ring::open_or_create(file, 90, t0).ring};
  auto old_blob = old_sealer.seal("events.payload", "u1", std::vector<std::uint8_t>{1, 2, 3});

  SECTION("not before the period") {
    auto r = key_ring::open_or_create(file, 90, t0 + 90 * day - 1);
    CHECK(r.what == key_ring::change::none);
    CHECK(r.ring.newest().version == 1);
  }
  SECTION("at the period: a new key seals, the old one still opens") {
    auto r = key_ring::open_or_create(file, 90, t0 + 90 * day);
    CHECK(r.what == key_ring::change::rotated);
    CHECK(r.ring.newest().version == 2);
    CHECK(r.ring.newest().created == t0 + 90 * day);
    CHECK(key_ring::load(file).describe().size() == 2);  // persisted
    CHECK(mode_of(file) == 0600);

    sealer s{std::move(r.ring)};
    auto blob = s.seal("events.payload", "u1", std::vector<std::uint8_t>{4});
    CHECK(sealer::key_version(blob) == 2u);
    auto opened = s.open("events.payload", "u1", old_blob);
    REQUIRE(std::holds_alternative<std::vector<std::uint8_t>>(opened));
    CHECK(std::get<0>(opened) == std::vector<std::uint8_t>{1, 2, 3});
  }
  SECTION("a shorter period rotates sooner") {
    CHECK(key_ring::open_or_create(file, 1, t0 + day).what == key_ring::change::rotated);
  }
}

TEST_CASE("rotating a ring file adds one key and keeps the others") {
  temp_dir tmp;
  auto file = tmp.path / "keyring";
  auto created = key_ring::open_or_create(file, 90, t0).ring;
  auto rotated = key_ring::rotate_file(file, t0 + 5);
  REQUIRE(rotated.describe().size() == 2);
  CHECK(rotated.newest().version == 2);
  REQUIRE(rotated.find(1) != nullptr);
  CHECK(rotated.find(1)->bytes == created.newest().bytes);
  CHECK(rotated.newest().bytes != created.newest().bytes);
  CHECK(key_ring::load(file).newest().version == 2);
  CHECK_THROWS_WITH(key_ring::rotate_file(tmp.path / "none", t0), Catch::Contains("cannot open"));
}

TEST_CASE("a ring file that group or others may read is refused") {
  temp_dir tmp;
  auto file = tmp.path / "keyring";
  (void) key_ring::open_or_create(file, 90, t0);
  for (mode_t loose : {0640, 0604, 0620, 0660}) {
    INFO("mode " << std::oct << loose);
    REQUIRE(chmod(file.c_str(), loose) == 0);
    auto err = load_error(file);
    CHECK_THAT(err, Catch::Contains(file.string()) && Catch::Contains("chmod 600"));
    CHECK_THROWS(key_ring::open_or_create(file, 90, t0));
  }
  REQUIRE(chmod(file.c_str(), 0400) == 0);
  CHECK(load_error(file).empty());
}

TEST_CASE("a malformed ring file is refused naming the line, never quoting a key") {
  temp_dir tmp;
  auto good = tmp.path / "good";
  (void) key_ring::open_or_create(good, 90, t0);
  auto line = key_lines(good).at(0);
  auto key_text = line.substr(line.rfind(' ') + 1);
  REQUIRE(key_text.size() == 44);
  auto file = tmp.path / "keyring";

  auto check_refused = [&](const std::string& text, int line_no) {
    write_text(file, text);
    auto err = load_error(file);
    INFO("error: " << err);
    CHECK_THAT(err, Catch::Contains(file.string())
                      && Catch::Contains("line " + std::to_string(line_no)));
    CHECK_THAT(err, !Catch::Contains(key_text.substr(0, 12)));
  };
  SECTION("a missing field") { check_refused("# ring\nv1 " + key_text + "\n", 2); }
  SECTION("a surplus field") { check_refused(line + " " + key_text + "\n", 1); }
  SECTION("a bad version") { check_refused("x1 1700000000 " + key_text + "\n", 1); }
  SECTION("version zero") { check_refused("v0 1700000000 " + key_text + "\n", 1); }
  SECTION("a bad time") { check_refused("v1 soon " + key_text + "\n", 1); }
  SECTION("a short key") { check_refused("v1 1700000000 " + key_text.substr(4) + "\n", 1); }
  SECTION("a key that is not base64") {
    check_refused("v1 1700000000 " + key_text.substr(0, 40) + "!!!=" + "\n", 1);
  }
  SECTION("a repeated version") {
    check_refused(line + "\n\n" + line + "\n", 3);
  }
  SECTION("no key at all") {
    write_text(file, "# nothing here\n");
    CHECK_THAT(load_error(file), Catch::Contains("holds no key"));
  }
}

TEST_CASE("a ring loads keys in any order and seals with the highest version") {
  temp_dir tmp;
  auto file = tmp.path / "keyring";
  (void) key_ring::open_or_create(file, 90, t0);
  (void) key_ring::rotate_file(file, t0 + 1);
  (void) key_ring::rotate_file(file, t0 + 2);
  auto lines = key_lines(file);
  REQUIRE(lines.size() == 3);
  write_text(file, lines[2] + "\n" + lines[0] + "\n" + lines[1] + "\n");
  auto ring = key_ring::load(file);
  CHECK(ring.newest().version == 3);
  auto info = ring.describe();
  REQUIRE(info.size() == 3);
  CHECK(info[0].version == 1);
  CHECK(info[0].created == t0);
}

TEST_CASE("ephemeral rings hold fresh random keys") {
  auto a = key_ring::ephemeral(t0);
  auto b = key_ring::ephemeral(t0);
  CHECK(a.newest().version == 1);
  CHECK(a.newest().bytes != b.newest().bytes);
}
