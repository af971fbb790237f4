// Tests of the JSON line logger: one valid object per line on stderr, escaping, levels.
#include "runtime/log.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <regex>
#include <string>
#include <unistd.h>
#include <vector>

namespace lg = aia::log;
using nlohmann::json;

namespace {

/// Runs `fn` with fd 2 redirected to a temp file and returns what it wrote, line by line.
std::vector<std::string> capture_stderr(const std::function<void()>& fn) {
  std::FILE* tmp = std::tmpfile();
  REQUIRE(tmp != nullptr);
  std::fflush(stderr);
  int saved = ::dup(2);
  ::dup2(::fileno(tmp), 2);
  fn();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  std::rewind(tmp);
  std::vector<std::string> lines;
  std::string line;
  for (int c; (c = std::fgetc(tmp)) != EOF;) {
    if (c == '\n') {
      lines.push_back(std::move(line));
      line.clear();
    } else {
      line += static_cast<char>(c);
    }
  }
  std::fclose(tmp);
  CHECK(line.empty()); // every line ends with a newline
  return lines;
}

/// The one line `fn` writes, parsed.
json capture_one(const std::function<void()>& fn) {
  auto lines = capture_stderr(fn);
  REQUIRE(lines.size() == 1);
  CAPTURE(lines[0]);
  return json::parse(lines[0]);
}

} // namespace

TEST_CASE("a line is written without init, at the default level") {
  auto line = capture_one([] { lg::info("node.start"); });
  CHECK(line["level"] == "info");
  CHECK(line["event"] == "node.start");
  CHECK(line.contains("node"));
}

TEST_CASE("each line is a JSON object with ts, level, node, event and the fields") {
  REQUIRE(lg::init("info", "node-1"));
  auto line = capture_one([] {
    lg::info("session.ack", {{"user", "u_3f2a"},
                             {"seq", std::uint64_t{7}},
                             {"delta", std::int64_t{-3}},
                             {"ms", 1.5},
                             {"ok", true}});
  });
  CHECK(line["level"] == "info");
  CHECK(line["node"] == "node-1");
  CHECK(line["event"] == "session.ack");
  CHECK(line["user"] == "u_3f2a");
  CHECK(line["seq"] == 7);
  CHECK(line["delta"] == -3);
  CHECK(line["ms"] == 1.5);
  CHECK(line["ok"] == true);
  auto ts = line["ts"].get<std::string>();
  CHECK(std::regex_match(ts, std::regex{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"}));
}

TEST_CASE("the first keys are ts, level, node and event, in that order") {
  REQUIRE(lg::init("info", "n"));
  auto lines = capture_stderr([] { lg::warn("x.y", {{"a", std::int64_t{1}}}); });
  REQUIRE(lines.size() == 1);
  auto order = nlohmann::ordered_json::parse(lines[0]);
  std::vector<std::string> keys;
  for (const auto& item : order.items()) {
    keys.push_back(item.key());
  }
  CHECK(keys == std::vector<std::string>{"ts", "level", "node", "event", "a"});
}

TEST_CASE("quotes, backslashes, newlines, control characters and bad UTF-8 are escaped") {
  REQUIRE(lg::init("info", "no\"de"));
  std::string nasty = "a\"b\\c\nd\re\tf";
  nasty += '\x01';
  nasty += '\x1f';
  nasty += "\xc3\xa9"; // é, valid UTF-8, kept
  nasty += "\xff\xc3"; // invalid bytes
  auto lines = capture_stderr([&] { lg::error("bad\nevent", {{"k\"ey", nasty}}); });
  REQUIRE(lines.size() == 1);
  CAPTURE(lines[0]);
  auto line = json::parse(lines[0]);
  CHECK(line["node"] == "no\"de");
  CHECK(line["event"] == "bad\nevent");
  CHECK(line["level"] == "error");
  CHECK(line["k\"ey"] == "a\"b\\c\nd\re\tf\x01\x1f\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd");
}

TEST_CASE("non-finite doubles are written as null") {
  REQUIRE(lg::init("info", "n"));
  auto line = capture_one([] {
    lg::info("x", {{"nan", std::numeric_limits<double>::quiet_NaN()},
                   {"inf", std::numeric_limits<double>::infinity()}});
  });
  CHECK(line["nan"].is_null());
  CHECK(line["inf"].is_null());
}

TEST_CASE("lines below the level are suppressed") {
  REQUIRE(lg::init("info", "n"));
  CHECK_FALSE(lg::debug_enabled());
  auto lines = capture_stderr([] {
    lg::debug("hidden");
    lg::info("shown");
  });
  REQUIRE(lines.size() == 1);
  CHECK(json::parse(lines[0])["event"] == "shown");
  SECTION("debug writes debug lines") {
    REQUIRE(lg::init("debug", "n"));
    CHECK(lg::debug_enabled());
    CHECK(capture_one([] { lg::debug("per.message"); })["level"] == "debug");
  }
  SECTION("off writes nothing") {
    REQUIRE(lg::init("off", "n"));
    CHECK(capture_stderr([] { lg::error("nothing"); }).empty());
  }
}

TEST_CASE("init refuses an unknown level and keeps the previous settings") {
  REQUIRE(lg::init("warn", "keep"));
  CHECK_FALSE(lg::init("bogus", "other"));
  CHECK_FALSE(lg::init("warning", "other"));
  auto lines = capture_stderr([] {
    lg::info("hidden");
    lg::warn("shown");
  });
  REQUIRE(lines.size() == 1);
  CHECK(json::parse(lines[0])["node"] == "keep");
}
