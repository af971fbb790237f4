// IP policy: allow/deny ranges of both families, IPv4-mapped addresses, bad configs, and country
// rules against a .mmdb written by the test harness.
#include "net/auth/ip_policy.hpp"

#include "tests/support/mmdb_writer.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace aia::net::auth;
namespace fs = std::filesystem;

namespace {

bool allowed(const ip_policy& p, std::string_view address) {
  return p.check(address).allowed;
}

ip_policy with_allow(std::string allow) {
  return ip_policy{ip_policy_options{.allow = std::move(allow)}};
}

ip_policy with_deny(std::string deny) {
  return ip_policy{ip_policy_options{.deny = std::move(deny)}};
}

/// A fresh directory holding a country database, removed at the end of the test.
struct country_db_fixture {
  aia::test::temp_dir dir{"aia-ip-policy-"};
  fs::path db = dir / "country.mmdb";

  country_db_fixture() {
    aia::test::mmdb_writer w;
    w.add("81.2.69.0/24", "GB");
    w.add("81.2.69.128/25", "gb"); // a more specific network, lower case in the data
    w.add("2001:db8::/32", "FR");
    w.add("2001:db8:1::/48", "", "DE"); // only the registered country is known
    w.add("5.6.7.8", "DE");             // a bare address is one host
    w.add("9.9.9.0/24", "");            // a record without any country
    w.write(db);
  }

  ip_policy policy(std::string allow_countries, std::string deny_countries) const {
    return ip_policy{ip_policy_options{.country_db = db.string(),
                                       .allow_countries = std::move(allow_countries),
                                       .deny_countries = std::move(deny_countries)}};
  }
};

} // namespace

// -- address ranges -----------------------------------------------------------

TEST_CASE("a policy without rules allows every address and is inactive") {
  ip_policy none;
  CHECK_FALSE(none.active());
  CHECK(allowed(none, "203.0.113.9"));
  CHECK(allowed(none, "2001:db8::1"));
  ip_policy blank{ip_policy_options{.allow = " ", .deny = "", .country_db = ""}};
  CHECK_FALSE(blank.active());
  CHECK(allowed(blank, "10.0.0.1"));
}

TEST_CASE("an allow list lets in only its ranges, and bare addresses are single hosts") {
  auto p = with_allow("10.0.0.0/8, 192.168.1.7,::1");
  CHECK(p.active());
  CHECK(allowed(p, "10.0.0.0"));
  CHECK(allowed(p, "10.255.255.255"));
  CHECK(allowed(p, "192.168.1.7"));
  CHECK(allowed(p, "::1"));
  CHECK_FALSE(allowed(p, "11.0.0.0"));
  CHECK_FALSE(allowed(p, "192.168.1.8"));
  CHECK_FALSE(allowed(p, "::2"));
  auto v = p.check("9.255.255.255");
  CHECK_FALSE(v.allowed);
  CHECK(v.reason == "address 9.255.255.255 is not in the allow list");
}

TEST_CASE("a deny list refuses its ranges and lets the rest in") {
  auto p = with_deny("10.0.0.0/8,172.16.0.0/12");
  CHECK(allowed(p, "192.168.0.1"));
  CHECK(allowed(p, "172.32.0.0"));
  CHECK_FALSE(allowed(p, "172.31.255.255"));
  auto v = p.check("10.1.2.3");
  CHECK_FALSE(v.allowed);
  CHECK(v.reason == "address 10.1.2.3 is in the deny list");
  CHECK(p.check("192.168.0.1").reason.empty());
}

TEST_CASE("deny wins over allow") {
  ip_policy p{ip_policy_options{.allow = "10.0.0.0/8", .deny = "10.1.0.0/16, 10.2.3.4"}};
  CHECK(allowed(p, "10.0.0.1"));
  CHECK(allowed(p, "10.2.3.5"));
  CHECK(p.check("10.1.200.1").reason == "address 10.1.200.1 is in the deny list");
  CHECK_FALSE(allowed(p, "10.2.3.4"));
  CHECK_FALSE(allowed(p, "11.0.0.1"));
}

TEST_CASE("IPv6 ranges match IPv6 addresses in any notation") {
  auto p = with_allow("2001:db8::/32, fe80::/10, 2001:db8:ffff:ffff:ffff:ffff:ffff:fff0/124");
  CHECK(allowed(p, "2001:db8::1"));
  CHECK(allowed(p, "2001:DB8:FFFF::1"));
  CHECK(allowed(p, "2001:0db8:0000:0000:0000:0000:0000:0001"));
  CHECK(allowed(p, "fe80::1%eth0")); // Asio prints link-local addresses with their zone
  CHECK_FALSE(allowed(p, "2001:db9::"));
  CHECK_FALSE(allowed(p, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"));
  CHECK_FALSE(allowed(p, "::1"));
  CHECK_FALSE(allowed(p, "10.0.0.1"));
  SECTION("prefixes beyond 64 bits compare the low half") {
    auto q = with_deny("2001:db8::ff00/120");
    CHECK_FALSE(allowed(q, "2001:db8::ffab"));
    CHECK(allowed(q, "2001:db8::1:ff00"));
    CHECK(allowed(q, "2001:db8::feff"));
  }
}

TEST_CASE("IPv4-mapped IPv6 addresses match IPv4 ranges") {
  auto p = with_deny("10.0.0.0/8");
  CHECK_FALSE(allowed(p, "::ffff:10.1.2.3"));
  CHECK_FALSE(allowed(p, "::FFFF:a01:203")); // the same address in hex
  CHECK(allowed(p, "::ffff:11.1.2.3"));
  CHECK(allowed(p, "::10.1.2.3")); // IPv4-compatible is not IPv4-mapped
  CHECK(p.check("::ffff:10.1.2.3").reason == "address ::ffff:10.1.2.3 is in the deny list");
  SECTION("a range written IPv4-mapped is an IPv4 range") {
    auto q = with_allow("::ffff:192.168.0.0/112");
    CHECK(allowed(q, "192.168.44.1"));
    CHECK(allowed(q, "::ffff:192.168.44.1"));
    CHECK_FALSE(allowed(q, "192.169.0.1"));
  }
}

TEST_CASE("a /0 covers one whole address family") {
  auto v4 = with_deny("0.0.0.0/0");
  CHECK_FALSE(allowed(v4, "0.0.0.0"));
  CHECK_FALSE(allowed(v4, "255.255.255.255"));
  CHECK_FALSE(allowed(v4, "::ffff:8.8.8.8"));
  CHECK(allowed(v4, "::1"));
  CHECK(allowed(v4, "2001:db8::1"));
  auto v6 = with_deny("::/0");
  CHECK_FALSE(allowed(v6, "::"));
  CHECK_FALSE(allowed(v6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  CHECK(allowed(v6, "8.8.8.8"));
  CHECK(allowed(v6, "::ffff:8.8.8.8"));
  auto both = with_allow("0.0.0.0/0, ::/0");
  CHECK(allowed(both, "8.8.8.8"));
  CHECK(allowed(both, "2001:db8::1"));
}

TEST_CASE("bad ranges are refused with a message naming the key and the entry") {
  auto deny_error = [](std::string deny) {
    try {
      with_deny(std::move(deny));
    } catch (const std::invalid_argument& e) {
      return std::string{e.what()};
    }
    return std::string{"no error"};
  };
  CHECK(deny_error("10.0.0.0/33") == R"(deny: "10.0.0.0/33" is not an IP range)");
  CHECK(deny_error("1.2.3.4, ::1/129") == R"(deny: "::1/129" is not an IP range)");
  CHECK(deny_error("10.0.0.1/8")
        == R"(deny: "10.0.0.1/8" has host bits set (the network is 10.0.0.0/8))");
  CHECK(deny_error("2001:db8::1/32")
        == R"(deny: "2001:db8::1/32" has host bits set (the network is 2001:db8::/32))");
  for (auto bad : {"300.0.0.1", "10.0.0", "010.0.0.1", "10.0.0.0/", "/8", "10.0.0.0/-1",
                   "10.0.0.0/+8", "10.0.0.0/8/8", "10.0.0.0 /8", "example.com", "fe80::1%eth0",
                   "[::1]", "1:2:3:4:5:6:7:8:9", "0.0.0.0/0008"}) {
    INFO(bad);
    CHECK(deny_error(bad) == std::string{"deny: \""} + bad + "\" is not an IP range");
  }
  CHECK(deny_error("10.0.0.0/8,,1.2.3.4") == R"(deny: empty entry in "10.0.0.0/8,,1.2.3.4")");
  CHECK(deny_error("10.0.0.0/8,") == R"(deny: empty entry in "10.0.0.0/8,")");
  CHECK_THROWS_WITH(with_allow("10.0.0.0/8, nonsense"), R"(allow: "nonsense" is not an IP range)");
}

TEST_CASE("addresses that do not parse are refused with a reason") {
  ip_policy none;
  for (auto bad : {"", "1.2.3", "1.2.3.4/32", "1.2.3.4 ", "hello", "[::1]", "::ffff:1.2.3.4.5",
                   "1.2.3.256", "::g", "1.2.3.4%eth0"}) {
    INFO(bad);
    auto v = none.check(bad);
    CHECK_FALSE(v.allowed);
    CHECK(v.reason == std::string{"\""} + bad + "\" is not an IP address");
  }
  auto v = none.check(std::string(1000, '1'));
  CHECK_FALSE(v.allowed);
  CHECK(v.reason.size() < 100); // the input is cut in the reason
}

// -- country rules ------------------------------------------------------------

TEST_CASE("country rules need a database that opens") {
  using Catch::Matchers::Contains;
  using Catch::Matchers::StartsWith;
  CHECK_THROWS_WITH(ip_policy{ip_policy_options{.allow_countries = "DE"}},
                    "allow_countries: country rules need a country_db");
  CHECK_THROWS_WITH(ip_policy{ip_policy_options{.deny_countries = "DE"}},
                    "deny_countries: country rules need a country_db");
  CHECK_THROWS_WITH(
    ip_policy(ip_policy_options{.country_db = "/nonexistent/x.mmdb", .deny_countries = "DE"}),
    StartsWith("country_db: cannot open /nonexistent/x.mmdb: ")
      && Contains("No such file or directory"));
  country_db_fixture f;
  auto not_mmdb = f.dir / "not.mmdb";
  std::ofstream{not_mmdb} << "not a MaxMind database\n";
  CHECK_THROWS_WITH(
    ip_policy(ip_policy_options{.country_db = not_mmdb.string(), .deny_countries = "DE"}),
    StartsWith("country_db: cannot open " + not_mmdb.string() + ": "));
  // A database alone is opened (so a bad path shows at once) but adds no rule.
  CHECK_THROWS_AS(ip_policy(ip_policy_options{.country_db = not_mmdb.string()}),
                  std::invalid_argument);
  CHECK_FALSE(ip_policy(ip_policy_options{.country_db = f.db.string()}).active());
  CHECK_THROWS_WITH(f.policy("GB, GBR", ""),
                    R"(allow_countries: "GBR" is not a two-letter country code)");
  CHECK_THROWS_WITH(f.policy("", "D1"), R"(deny_countries: "D1" is not a two-letter country code)");
  CHECK_THROWS_WITH(f.policy("GB,", ""), R"(allow_countries: empty entry in "GB,")");
}

TEST_CASE("an allow_countries list lets in only its countries, and unknown ones are refused") {
  country_db_fixture f;
  auto p = f.policy("gb, Fr", "");
  CHECK(p.active());
  CHECK(allowed(p, "81.2.69.1"));
  CHECK(allowed(p, "81.2.69.200"));      // the lower-case "gb" record
  CHECK(allowed(p, "::ffff:81.2.69.1")); // IPv4-mapped: looked up as IPv4
  CHECK(allowed(p, "2001:db8::1"));
  CHECK(p.check("5.6.7.8").reason == "country DE is not allowed");
  CHECK(p.check("2001:db8:1::5").reason == "country DE is not allowed"); // registered_country
  CHECK_FALSE(allowed(p, "5.6.7.9"));
  CHECK(p.check("9.9.9.9").reason == "the country of address 9.9.9.9 is unknown");
  CHECK(p.check("1.1.1.1").reason == "the country of address 1.1.1.1 is unknown");
  CHECK_FALSE(allowed(p, "2001:db9::1"));
  CHECK_FALSE(allowed(p, "127.0.0.1")); // loopback has no country either
}

TEST_CASE("a deny_countries list refuses its countries, and unknown ones pass") {
  country_db_fixture f;
  auto p = f.policy("", "fr,DE");
  CHECK(p.check("2001:db8::1").reason == "country FR is in the deny list");
  CHECK_FALSE(allowed(p, "5.6.7.8"));
  CHECK_FALSE(allowed(p, "2001:db8:1::1"));
  CHECK(allowed(p, "81.2.69.1"));
  CHECK(allowed(p, "9.9.9.9"));
  CHECK(allowed(p, "1.1.1.1"));
  CHECK(allowed(p, "2001:db9::1"));
}

TEST_CASE("country and address rules all apply, deny first") {
  country_db_fixture f;
  SECTION("a denied country wins over an allowed one") {
    auto p = f.policy("GB,FR", "FR");
    CHECK(allowed(p, "81.2.69.1"));
    CHECK(p.check("2001:db8::1").reason == "country FR is in the deny list");
  }
  SECTION("an address must pass both the ranges and the countries") {
    ip_policy p{ip_policy_options{.allow = "81.2.69.0/25, 2001:db8::/32",
                                  .deny = "2001:db8::dead",
                                  .country_db = f.db.string(),
                                  .deny_countries = "FR"}};
    CHECK(allowed(p, "81.2.69.1"));
    CHECK(p.check("81.2.69.200").reason == "address 81.2.69.200 is not in the allow list");
    CHECK(p.check("2001:db8::dead").reason == "address 2001:db8::dead is in the deny list");
    CHECK(p.check("2001:db8::1").reason == "country FR is in the deny list");
  }
}

TEST_CASE("copies share the database and check from many threads at once") {
  country_db_fixture f;
  auto original = std::make_unique<ip_policy>(f.policy("GB", ""));
  ip_policy copy = *original;
  original.reset(); // the database stays open for the copy
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&copy, &wrong] {
      for (int i = 0; i < 2000; ++i) {
        if (!allowed(copy, "81.2.69." + std::to_string(i % 256))
            || allowed(copy, "2001:db8::" + std::to_string(i % 100))) {
          ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(wrong == 0);
  ip_policy moved = std::move(copy);
  CHECK(allowed(moved, "81.2.69.7"));
}
