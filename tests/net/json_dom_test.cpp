// Tests of the inbound JSON parser (net/detail/json_dom): values, refusals, nesting, and the same
// accept / reject decisions and values as nlohmann::json on mutated wire messages.
#include "net/detail/json_dom.hpp"

#include "tests/support/json_dom_nlohmann.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <variant>
#include <vector>

using aia::net::detail::json_document;
using aia::net::detail::json_failure;
using aia::net::detail::json_value;
using aia::net::detail::parse_json;

namespace {

constexpr int deep = 1 << 20;

const json_document& accepted(const std::variant<json_document, json_failure>& r,
                              const std::string& text) {
  INFO("text: " << text);
  REQUIRE(std::holds_alternative<json_document>(r));
  return std::get<json_document>(r);
}

json_failure refused(const std::string& text, int max_depth = deep) {
  INFO("text: " << text);
  auto r = parse_json(text, max_depth);
  REQUIRE(std::holds_alternative<json_failure>(r));
  return std::get<json_failure>(r);
}

/// Both parsers agree on `text`: both refuse it, or both accept it with equal values.
void same_as_nlohmann(const std::string& text) {
  INFO("text: " << nlohmann::json(text).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
  auto mine = parse_json(text, deep);
  nlohmann::json theirs;
  bool they_accept = true;
  try {
    theirs = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    they_accept = false;
  }
  REQUIRE(std::holds_alternative<json_document>(mine) == they_accept);
  if (they_accept) {
    CHECK(aia::test::to_nlohmann(std::get<json_document>(mine).root()) == theirs);
  }
}

} // namespace

TEST_CASE("json_dom reads every kind of value with its key") {
  const std::string text
      = R"( {"a": 1, "b": -2.5e1, "c": "x\"y\\u00e9\u00e9\ud83d\ude00", "d": [true, false, null, []],)"
        R"( "e": {"f": {}}, "g": "plain"} )";
  auto r = parse_json(text, deep);
  const auto& root = accepted(r, text).root();
  REQUIRE(root.is_object());
  CHECK(root.size() == 6);
  const auto* a = root.find("a");
  REQUIRE(a != nullptr);
  CHECK(a->key() == "a");
  CHECK(a->is_unsigned());
  CHECK(a->uint64() == 1);
  CHECK(root.find("b")->number() == -25.0);
  CHECK_FALSE(root.find("b")->is_integer());
  CHECK(root.find("c")->string() == "x\"y\\u00e9\xC3\xA9\xF0\x9F\x98\x80");
  const auto* d = root.find("d");
  REQUIRE(d->is_array());
  CHECK(d->size() == 4);
  std::vector<json_value::kind> kinds;
  for (const auto& e : d->children()) {
    kinds.push_back(e.type());
  }
  CHECK(kinds == std::vector<json_value::kind>{json_value::kind::boolean, json_value::kind::boolean,
                                               json_value::kind::null, json_value::kind::array});
  CHECK(root.find("e")->find("f")->is_object());
  CHECK(root.find("e")->find("f")->empty());
  // Without escapes a string is a view of the parsed text itself.
  const auto plain = root.find("g")->string();
  CHECK(plain == "plain");
  CHECK(plain.data() >= text.data());
  CHECK(plain.data() < text.data() + text.size());
  CHECK(root.find("missing") == nullptr);
  CHECK(d->find("a") == nullptr);  // not an object
}

TEST_CASE("json_dom reads numbers as nlohmann does") {
  auto number = [](const std::string& text) {
    auto r = parse_json(text, deep);
    return std::get<json_document>(r).root();  // copies the node: scalars only
  };
  CHECK(number("0").is_unsigned());
  CHECK(number("-7").is_integer());
  CHECK_FALSE(number("-7").is_unsigned());
  CHECK(number("-7").int64() == -7);
  CHECK(number("18446744073709551615").uint64() == std::numeric_limits<std::uint64_t>::max());
  CHECK(number("-9223372036854775808").int64() == std::numeric_limits<std::int64_t>::min());
  // Past 64 bits: a double.
  CHECK_FALSE(number("18446744073709551616").is_integer());
  CHECK(number("18446744073709551616").number() == 18446744073709551616.0);
  CHECK_FALSE(number("-9223372036854775809").is_integer());
  CHECK(number("1E2").number() == 100.0);
  CHECK(number("1e-400").number() == 0.0);  // underflow reads as zero
  CHECK(refused("1e400").why == json_failure::reason::out_of_range);
  CHECK(refused("[1, -1.7e309]").why == json_failure::reason::out_of_range);
}

TEST_CASE("json_dom keeps the last of a member given twice, skips a BOM, compares deeply") {
  const std::string text = R"({"k": 1, "k": 2, "o": {"x": [1, 2.0], "y": "z"}})";
  auto r = parse_json(text, deep);
  const auto& root = accepted(r, text).root();
  CHECK(root.find("k")->uint64() == 2);
  const std::string same = R"({"y": "z", "x": [1.0, 2]})";
  auto s = parse_json(same, deep);
  CHECK(*root.find("o") == accepted(s, same).root());
  const std::string other = R"({"y": "z", "x": [1, 3]})";
  auto o = parse_json(other, deep);
  CHECK_FALSE(*root.find("o") == accepted(o, other).root());
  const std::string fewer = R"({"y": "z"})";
  auto f = parse_json(fewer, deep);
  CHECK_FALSE(*root.find("o") == accepted(f, fewer).root());
  CHECK_FALSE(accepted(f, fewer).root() == *root.find("o"));
  const std::string bom = "\xEF\xBB\xBF[1]";
  auto b = parse_json(bom, deep);
  CHECK(accepted(b, bom).root().size() == 1);
}

TEST_CASE("json_dom refuses malformed JSON and UTF-8 with the byte that is wrong") {
  for (const std::string& bad : std::vector<std::string>{"", " ", "{", "}", "[1,]", "[,1]", R"({"a"})", R"({"a":1,})", R"({a:1})",
                          "01", "1.", ".5", "+1", "-", "1e", "1e+", "tru", "nul", "falsey",
                          "[1 2]", "1 2", R"("\x")", R"("\u12")", R"("\u12G4")",
                          R"("\ud800")", R"("\udc00")", R"("\ud800\u0041")", "\"a", "[\"a\"",
                          "'a'", "[1]x", "NaN", "Infinity", "[-]", "\"\x01\"", "\"\t\"",
                          "\"\xC0\x80\"", "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"",
                          "\"\xE2\x82\"", "\"\x80\"", "\"\xFF\"", "\xEF\xBB", std::string("[1]\0", 4)}) {
    auto f = refused(bad);
    CHECK(f.why == json_failure::reason::syntax);
    CHECK(f.byte >= 1);
    CHECK(f.byte <= bad.size() + 1);
  }
  CHECK(refused("[1, x]").byte == 5);
  CHECK(refused(R"({"a": tru})").byte == 7);
}

TEST_CASE("json_dom bounds nesting without recursion") {
  auto nest = [](int n) { return std::string(n, '[') + std::string(n, ']'); };
  CHECK(std::holds_alternative<json_document>(parse_json(nest(32), 32)));
  CHECK(refused(nest(33), 32).why == json_failure::reason::too_deep);
  CHECK(refused(R"({"a": {"b": {"c": 1}}})", 2).why == json_failure::reason::too_deep);
  // A million open brackets: refused at the limit, and no deeper.
  CHECK(refused(std::string(1000000, '['), 64).byte == 65);
  // Deep but allowed: no stack is used per level.
  CHECK(std::holds_alternative<json_document>(parse_json(nest(100000), deep)));
}

TEST_CASE("json_dom accepts and reads exactly what nlohmann does, on mutated messages") {
  const std::vector<std::string> seeds = {
      R"({"type":"interaction_batch","clientId":"c1","seq":7,"interactions":[{"timestamp":1700000000123,)"
      R"("userId":"user123","interactionType":"click","elementId":"submit-button","timingData":)"
      R"({"responseTime":1.2,"dwellTime":3.5},"viewportData":{"scrollDistance":100,"deviceType":)"
      R"("desktop"},"contextData":{"tabActive":true,"sessionDuration":300000}}]})",
      R"({"user_id":"u-\u00e9\ud83d\ude00","timestamp":-0.5e-3,"x":[null,true,false,{},[]],)"
      R"("big":123456789012345678901234567890,"neg":-9223372036854775808,"esc":"\"\\\/\b\f\n\r\t"})",
      "[\"caf\xC3\xA9\", \"\xE2\x82\xAC\", \"\xF0\x9F\x98\x80\", 0, -0, 1E+2, 2e-2]",
      R"({"k":1,"k":{"a":2,"a":[3]},"k":[4,{"b":null,"b":true}]})",
  };
  const std::string alphabet = "{}[]:,\"\\-+.0123456789eEtrufalsn \t\nu\xC3\xA9\xED\xA0\x80\xFF";
  std::mt19937 rng{20261128};
  for (const auto& seed : seeds) {
    same_as_nlohmann(seed);
    for (int round = 0; round < 4000; ++round) {
      std::string text = seed;
      int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits && !text.empty(); ++e) {
        std::size_t at = rng() % text.size();
        char c = alphabet[rng() % alphabet.size()];
        switch (rng() % 4) {
        case 0: text[at] = c; break;
        case 1: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        case 2: text.erase(at, 1); break;
        default: text.resize(at); break;
        }
      }
      same_as_nlohmann(text);
    }
  }
}
