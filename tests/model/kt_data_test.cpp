// Tests of the AKT-format reader and of grouping rows into attempts.
#include "model/learning/kt_data.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

using namespace aia::model::learning;

namespace {

kt_read_result parse(const std::string& text, akt_format f = akt_format::detect) {
  std::istringstream in(text);
  return parse_akt(in, "f.csv", f);
}

/// The shared data directory beside the repository, or empty if it is not there.
std::string data_dir() {
  const char* src = std::getenv("AIA_SOURCE_DIR");
  const std::string dir = std::string(src != nullptr ? src : "/work/main") + "/../shared/data/kt";
  return std::filesystem::exists(dir) ? dir : std::string{};
}

} // namespace

TEST_CASE("the four-line layout reads problems, skills and answers") {
  const auto r = parse("3,777\n10,10,11\n1,2,1\n0,0,1\n5,888\n12\n3\n1\n");
  REQUIRE(r.ok());
  REQUIRE(r.data.sequences.size() == 2);
  const auto& s = r.data.sequences[0];
  CHECK(s.user == 3);
  CHECK(s.problem == std::vector<std::uint32_t>{10, 10, 11});
  CHECK(s.skill == std::vector<std::uint32_t>{1, 2, 1});
  CHECK(s.correct == std::vector<std::uint8_t>{0, 0, 1});
  CHECK(r.data.problem_count == 13);
  CHECK(r.data.skill_count == 4);
  CHECK(r.data.responses() == 4);
}

TEST_CASE("the three-line layout makes each question its own skill") {
  const auto r = parse("3\n4,5,4\n1,0,1\n");
  REQUIRE(r.ok());
  REQUIRE(r.data.sequences.size() == 1);
  CHECK(r.data.sequences[0].skill == r.data.sequences[0].problem);
  CHECK(r.data.skill_count == 6);
}

TEST_CASE("blank lines, CRLF and a trailing comma are tolerated") {
  const auto r = parse("\n2\r\n4,5,\r\n1,0,\r\n\n\n2\n6,7\n0,0\n\n");
  REQUIRE(r.ok());
  CHECK(r.data.sequences.size() == 2);
  CHECK(r.data.responses() == 4);
}

TEST_CASE("malformed input is reported with the file and line") {
  SECTION("a non-integer field") {
    const auto r = parse("2\n4,x\n1,0\n");
    CHECK(r.error == "f.csv:2: expected comma-separated integers (question)");
  }
  SECTION("a header with the wrong number of fields for the layout") {
    const auto r = parse("3,777\n10\n1\n0\n", akt_format::q);
    CHECK(r.error == "f.csv:1: expected 1 comma-separated integers (length)");
  }
  SECTION("lines of different lengths") {
    const auto r = parse("3,777\n10,11\n1,2\n0\n");
    CHECK(r.error == "f.csv:4: expected 2 comma-separated integers (as many as line 2), got 1");
  }
  SECTION("an answer that is not 0 or 1") {
    const auto r = parse("2\n4,5\n1,2\n");
    CHECK(r.error == "f.csv:3: correct must be 0 or 1, got 2 at position 2");
  }
  SECTION("a missing line at the end") {
    const auto r = parse("3,777\n10,11\n1,2\n");
    CHECK(r.error
          == "f.csv: the block starting at line 1 has no correct line (unexpected end of file)");
  }
  SECTION("a length that does not match the questions") {
    const auto r = parse("3\n4,5\n1,0\n");
    CHECK(r.error == "f.csv:1: sequence length 3 but line 2 has 2 questions");
  }
  SECTION("an empty file") {
    CHECK(parse("").error == "f.csv: no sequences");
  }
  SECTION("a missing file") {
    CHECK(read_akt("/nonexistent/x.csv").error == "/nonexistent/x.csv: cannot open");
  }
}

TEST_CASE("a multi-skill answer stored as consecutive rows becomes one attempt") {
  kt_sequence s;
  s.problem = {7, 7, 8, 8, 9, 9};
  s.skill = {1, 2, 3, 3, 4, 5};
  s.correct = {1, 1, 0, 1, 0, 1};
  const auto a = group_attempts(s);
  // 7: skills 1 and 2, one answer. 8: same skill twice = two answers. 9: answers differ.
  REQUIRE(a.size() == 5);
  CHECK(a[0].problem == 7);
  CHECK(a[0].row_count == 2);
  CHECK(a[0].correct);
  CHECK(item_of(s, a[0]).skills.size() == 2);
  CHECK(a[1].row_count == 1);
  CHECK(a[2].row_count == 1);
  CHECK(a[3].first_row == 4);
  CHECK(row_attempts(s).size() == 6);
}

TEST_CASE("the real AKT files parse in both layouts") {
  const auto dir = data_dir();
  if (dir.empty()) {
    WARN("shared data not found, skipped");
    return;
  }
  const auto pid = read_akt(dir + "/assist2009_pid/assist2009_pid_trainonly.csv");
  REQUIRE(pid.ok());
  CHECK(pid.data.sequences.size() == 1);
  CHECK(pid.data.responses() == 48);
  const auto q = read_akt(dir + "/statics/statics_trainonly.csv");
  REQUIRE(q.ok());
  CHECK(q.data.sequences.size() == 3);
  CHECK(q.data.responses() == 2655);
  // Forcing the wrong layout is an error, not a silent misread.
  CHECK_FALSE(read_akt(dir + "/statics/statics_trainonly.csv", akt_format::pid).ok());
}
