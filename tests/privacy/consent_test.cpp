// Consent per purpose: defaults by mode, versioned changes that leave unnamed purposes alone,
// and the stored form.
#include "privacy/consent.hpp"

#include <catch2/catch.hpp>

using namespace aia::privacy;

TEST_CASE("without a recorded choice, implied mode grants personalization only and explicit mode nothing") {
  consent_state st;
  CHECK(st.version() == 0);
  CHECK(st.granted(purpose::personalization, consent_mode::implied));
  for (auto p : all_purposes) {
    CHECK_FALSE(st.granted(p, consent_mode::explicit_grant));
    if (p != purpose::personalization) {
      CHECK_FALSE(st.granted(p, consent_mode::implied));
    }
  }
}

TEST_CASE("a change sets the purposes it names, keeps the others, and is versioned") {
  consent_state st;
  st.apply({{purpose::analytics, true}, {purpose::personalization, true}}, 100, "api");
  CHECK(st.version() == 1);
  CHECK(st.granted(purpose::analytics, consent_mode::explicit_grant));
  CHECK(st.granted(purpose::personalization, consent_mode::explicit_grant));
  st.apply({{purpose::personalization, false}}, 200, "admin:ops");
  CHECK(st.version() == 2);
  // A withdrawal beats the implied default, and the untouched purpose stays granted.
  CHECK_FALSE(st.granted(purpose::personalization, consent_mode::implied));
  CHECK(st.granted(purpose::analytics, consent_mode::implied));
  REQUIRE(st.history().size() == 2);
  CHECK(st.history()[1].source == "admin:ops");
  CHECK(st.history()[1].at == 200);
  CHECK(st.choice(purpose::marketing) == std::nullopt);
}

TEST_CASE("an empty change or a purpose named twice is refused and changes nothing") {
  consent_state st;
  CHECK_THROWS_AS(st.apply({}, 1, "api"), std::invalid_argument);
  CHECK_THROWS_AS(st.apply({{purpose::analytics, true}, {purpose::analytics, false}}, 1, "api"),
                  std::invalid_argument);
  CHECK(st.version() == 0);
  CHECK_FALSE(st.choice(purpose::analytics));
}

TEST_CASE("the stored form round-trips, and garbage is not a consent state") {
  consent_state st;
  st.apply({{purpose::marketing, false}}, 10, "api");
  st.apply({{purpose::experimentation, true}, {purpose::federated_learning, true}}, 20, "api");
  auto bytes = st.encode();
  auto back = consent_state::decode(bytes.data(), bytes.size());
  REQUIRE(back);
  CHECK(back->version() == 2);
  CHECK(back->choice(purpose::marketing) == false);
  CHECK(back->choice(purpose::federated_learning) == true);
  CHECK(back->history()[0].at == 10);
  const std::uint8_t junk[] = {0x93, 0x01, 0x02};
  CHECK_FALSE(consent_state::decode(junk, sizeof junk));
  CHECK(parse_purpose("marketing") == purpose::marketing);
  CHECK_FALSE(parse_purpose("sale"));
}
