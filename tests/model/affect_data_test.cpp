// Tests of the affect CSV reader (model/state/affect_data.hpp): the real file's counts, parsing,
// errors naming file and line, and folds grouped by user.
#include "model/state/affect_data.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <set>
#include <sstream>

using namespace aia::model::state;

namespace {

/// The shared data file: $AIA_SHARED_DATA, else next to the source tree, else /work/shared/data.
std::string real_file() {
  std::string rel = "/affect/banholzer2021_mouse_stress.csv";
  if (const char* d = std::getenv("AIA_SHARED_DATA")) {
    return d + rel;
  }
  if (const char* s = std::getenv("AIA_SOURCE_DIR")) {
    auto p = std::string{s} + "/../shared/data" + rel;
    if (std::filesystem::exists(p)) {
      return p;
    }
  }
  return "/work/shared/data" + rel;
}

constexpr const char* header
    = "\"user\",\"weekday\",\"daytime\",\"stress\",\"valence\",\"arousal\","
      "\"n_traj\",\"speed\",\"accuracy\",\"clicks\",\"wheels\"\n";

std::variant<affect_dataset, data_error> parse(const std::string& text, affect_filter f = {}) {
  std::istringstream in(text);
  return parse_affect_csv(in, "mem.csv", f);
}

std::string error_of(const std::string& text) {
  auto r = parse(text);
  REQUIRE(std::holds_alternative<data_error>(r));
  return std::get<data_error>(r).message();
}

} // namespace

TEST_CASE("the paper's filter keeps 1829 recordings of 70 people with a stress rate of 0.101") {
  auto path = real_file();
  if (!std::filesystem::exists(path)) {
    WARN("no shared data at " << path << ", skipped");
    return;
  }
  auto r = read_affect_csv(path);
  REQUIRE(std::holds_alternative<affect_dataset>(r));
  const auto& d = std::get<affect_dataset>(r);
  CHECK(d.rows.size() == 1829);
  CHECK(d.users.size() == 70);
  double stressed = 0;
  for (const auto& row : d.rows) {
    stressed += row.stress ? 1 : 0;
    CHECK(row.trajectories >= 10);
    CHECK_FALSE(std::isnan(row.speed));
  }
  CHECK(stressed / static_cast<double>(d.rows.size()) == Approx(0.101).margin(0.0005));
  SECTION("without the filter every one of the 2029 rows and 71 people is kept") {
    auto all = read_affect_csv(path, {0, false});
    REQUIRE(std::holds_alternative<affect_dataset>(all));
    CHECK(std::get<affect_dataset>(all).rows.size() == 2029);
    CHECK(std::get<affect_dataset>(all).users.size() == 71);
  }
}

TEST_CASE("rows are parsed by column name, with NA as missing and the filter applied") {
  // columns reordered, one extra column, CRLF line ends
  std::string text
      = "\"speed\",\"user\",\"weekday\",\"daytime\",\"stress\",\"valence\",\"arousal\","
        "\"n_traj\",\"extra\",\"accuracy\",\"clicks\",\"wheels\"\r\n"
        "0.3,\"a\",\"Tuesday\",\"afternoon\",1,3,5,12,x,0.6,0.01,0\r\n"
        "NA,\"b\",\"Monday\",\"morning\",0,4,4,50,x,NA,0,0\r\n"
        "0.2,\"b\",\"Weekend\",\"morning\",0,6,2,9,x,0.5,0,0\r\n"
        "0.25,\"c\",\"Friday\",\"morning\",0,6,2,10,x,0.5,,0\r\n";
  auto r = parse(text);
  REQUIRE(std::holds_alternative<affect_dataset>(r));
  const auto& d = std::get<affect_dataset>(r);
  REQUIRE(d.rows.size() == 2); // b's rows: no speed, then 9 trajectories
  REQUIRE(d.users == std::vector<std::string>{"a", "c"});
  CHECK(d.rows[0].line == 2);
  CHECK(d.rows[0].day == weekday::tuesday);
  CHECK(d.rows[0].afternoon);
  CHECK(d.rows[0].stress);
  CHECK(d.rows[0].valence == 3);
  CHECK(d.rows[0].speed == 0.3);
  CHECK(d.rows[1].user == 1);
  CHECK(d.rows[1].line == 5);
  CHECK(std::isnan(d.rows[1].clicks));
  SECTION("a looser filter keeps them") {
    auto loose = parse(text, {0, false});
    REQUIRE(std::holds_alternative<affect_dataset>(loose));
    CHECK(std::get<affect_dataset>(loose).rows.size() == 4);
    CHECK(std::isnan(std::get<affect_dataset>(loose).rows[1].accuracy));
  }
}

TEST_CASE("a bad file is an error naming the file and the line") {
  SECTION("missing column") {
    CHECK(error_of("\"user\",\"weekday\"\n\"a\",\"Monday\"\n")
          == "mem.csv:1: missing column 'daytime'");
  }
  SECTION("malformed number") {
    auto e = error_of(std::string{header} + "\"a\",\"Monday\",\"morning\",0,4,4,12,0.3,0.5,0,0\n"
                      + "\"a\",\"Monday\",\"morning\",0,4,4,12,fast,0.5,0,0\n");
    CHECK(e.rfind("mem.csv:3: column 'speed'", 0) == 0);
  }
  SECTION("rating out of range") {
    auto e = error_of(std::string{header} + "\"a\",\"Monday\",\"morning\",0,9,4,12,0.3,0.5,0,0\n");
    CHECK(e == "mem.csv:2: column 'valence': expected 1..7");
  }
  SECTION("wrong number of fields") {
    auto e = error_of(std::string{header} + "\"a\",\"Monday\"\n");
    CHECK(e == "mem.csv:2: expected 11 fields, found 2");
  }
  SECTION("unknown weekday") {
    auto e = error_of(std::string{header} + "\"a\",\"Someday\",\"morning\",0,4,4,12,0.3,0.5,0,0\n");
    CHECK(e.rfind("mem.csv:2: column 'weekday'", 0) == 0);
  }
  SECTION("a file that cannot be opened") {
    auto r = read_affect_csv("/nonexistent/affect.csv");
    REQUIRE(std::holds_alternative<data_error>(r));
    CHECK(std::get<data_error>(r).message() == "/nonexistent/affect.csv: cannot open the file");
  }
}

TEST_CASE("group_folds puts each user's rows in exactly one fold") {
  affect_dataset d;
  for (int u = 0; u < 13; ++u) {
    d.users.push_back(std::to_string(u));
  }
  for (int i = 0; i < 200; ++i) {
    affect_record r;
    r.user = static_cast<std::uint32_t>((i * 7) % 13);
    d.rows.push_back(r);
  }
  std::vector<std::size_t> all(d.rows.size());
  std::iota(all.begin(), all.end(), 0);
  for (unsigned k : {2u, 5u, 10u, 0u, 50u}) {
    auto folds = group_folds(d, all, k, 42);
    CHECK(folds.size() == (k == 0 || k > 13 ? 13 : k));
    std::vector<int> fold_of_user(13, -1);
    std::size_t rows = 0;
    for (std::size_t f = 0; f < folds.size(); ++f) {
      CHECK_FALSE(folds[f].empty());
      for (auto i : folds[f]) {
        auto u = d.rows[i].user;
        CHECK((fold_of_user[u] == -1 || fold_of_user[u] == static_cast<int>(f)));
        fold_of_user[u] = static_cast<int>(f);
        ++rows;
      }
    }
    CHECK(rows == d.rows.size());
  }
  SECTION("the same seed gives the same folds") {
    CHECK(group_folds(d, all, 5, 7) == group_folds(d, all, 5, 7));
  }
}
