// A privacy budget: spends fit the limit under the tightest composition, never past it; windows
// reset; the stored form round-trips.
#include "privacy/budget.hpp"

#include <catch2/catch.hpp>

using namespace aia::privacy;

namespace {

ledger_entry laplace(double epsilon, double at = 100) {
  return ledger_entry{"analytics.aggregate", "analytics",
                      dp_release{mechanism_kind::laplace, epsilon, 0, 0, 0}, at};
}

} // namespace

TEST_CASE("spends are charged until the limit and refused past it") {
  // δ = 0: pure ε-DP, where the plain sum is the tight bound.
  privacy_budget b{{1.0, 0, 0}};
  for (int i = 0; i < 10; ++i) {
    INFO("spend " << i);
    REQUIRE(std::holds_alternative<ledger_bound>(b.try_spend(laplace(0.1), 100)));
  }
  CHECK(b.spent().epsilon == Approx(1.0));
  CHECK(b.utilisation() == Approx(1.0));
  auto refused = b.try_spend(laplace(0.01), 100);
  REQUIRE(std::holds_alternative<budget_exhausted>(refused));
  CHECK(std::get<budget_exhausted>(refused).resets_at == 0);  // never resets
  CHECK(b.ledger().size() == 10);  // the refused one is not in the ledger
}

TEST_CASE("with a delta to spend, pure releases compose tighter than their sum") {
  privacy_budget b{{1.0, 1e-5, 0}};
  int fitted = 0;
  while (std::holds_alternative<ledger_bound>(b.try_spend(laplace(0.1), 100))) {
    ++fitted;
    REQUIRE(fitted < 10000);
  }
  CHECK(fitted >= 10);
  CHECK(b.spent().epsilon <= 1.0);
  CHECK(b.spent().delta <= 1e-5);
}

TEST_CASE("many Gaussian releases fit more under RDP than their plain sum") {
  privacy_budget b{{1.0, 1e-5, 0}};
  int fitted = 0;
  // Each alone is (0.1, 1e-7); basic composition would stop at 10.
  while (std::holds_alternative<ledger_bound>(b.try_spend(
    ledger_entry{"q", "analytics", dp_release{mechanism_kind::gaussian, 0.1, 1e-7, 48.0, 1.0}, 1},
    1))) {
    ++fitted;
    REQUIRE(fitted < 100000);
  }
  CHECK(fitted > 10);
  CHECK(b.spent().method != composition_method::basic);
  CHECK(b.spent().epsilon <= 1.0);
}

TEST_CASE("a fixed window resets the ledger when it ends") {
  privacy_budget b{{0.5, 1e-5, 86400}};
  REQUIRE(std::holds_alternative<ledger_bound>(b.try_spend(laplace(0.5, 1000), 1000)));
  auto refused = b.try_spend(laplace(0.1, 2000), 2000);
  REQUIRE(std::holds_alternative<budget_exhausted>(refused));
  CHECK(std::get<budget_exhausted>(refused).resets_at == 1000 + 86400);
  CHECK(std::holds_alternative<ledger_bound>(b.try_spend(laplace(0.1), 1000 + 86400)));
  CHECK(b.ledger().size() == 1);
}

TEST_CASE("a zero, negative or infinite epsilon is never charged") {
  privacy_budget b;
  CHECK(std::holds_alternative<budget_exhausted>(b.try_spend(laplace(0), 1)));
  CHECK(std::holds_alternative<budget_exhausted>(b.try_spend(laplace(-1), 1)));
  CHECK(std::holds_alternative<budget_exhausted>(b.try_spend(laplace(1.0 / 0.0), 1)));
  CHECK(b.ledger().empty());
}

TEST_CASE("the stored form round-trips and garbage is refused") {
  privacy_budget b{{1.0, 1e-5, 3600}};
  REQUIRE(std::holds_alternative<ledger_bound>(b.try_spend(laplace(0.25, 50), 50)));
  auto bytes = b.encode();
  auto back = privacy_budget::decode(bytes.data(), bytes.size(), b.limits());
  REQUIRE(back);
  CHECK(back->ledger().size() == 1);
  CHECK(back->ledger()[0].operation == "analytics.aggregate");
  CHECK(back->spent().epsilon == Approx(0.25));
  CHECK(back->resets_at() == 50 + 3600);
  const std::uint8_t junk[] = {0x01};
  CHECK_FALSE(privacy_budget::decode(junk, 1, {}));
}
