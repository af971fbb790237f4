// Tests of keyed pseudonyms.
#include "privacy/pseudonym.hpp"

#include <catch2/catch.hpp>

using aia::privacy::pseudonymizer;

TEST_CASE("a pseudonym is stable under one key and hides the id") {
  pseudonymizer p{"secret"};
  auto a = p("user123");
  CHECK(a == p("user123"));
  CHECK(a.size() == 18);
  CHECK(a.find("user123") == std::string::npos);
  CHECK(a != p("user124"));
}

TEST_CASE("different keys give different pseudonyms") {
  CHECK(pseudonymizer{"k1"}("user123") != pseudonymizer{"k2"}("user123"));
  CHECK(pseudonymizer{}("user123") != pseudonymizer{}("user123"));
}
