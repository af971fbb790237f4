// Rendezvous placement: how evenly keys spread, how few move when a node joins or leaves, and
// that every process computes the same owner.
#include "runtime/placement.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>

using namespace aia::runtime;

namespace {

constexpr int users = 100000;

std::string user(int i) {
  return "user-" + std::to_string(i);
}

const placement three{{"10.0.0.1:4242", "10.0.0.2:4242", "10.0.0.3:4242"}};

} // namespace

TEST_CASE("keys spread evenly over the nodes") {
  std::map<std::string, int> share;
  for (int i = 0; i < users; ++i) {
    ++share[three.owner(user(i))];
  }
  REQUIRE(share.size() == 3);
  for (const auto& [node, n] : share) {
    INFO(node << " owns " << n);
    CHECK(n > users / 3 * 0.95);
    CHECK(n < users / 3 * 1.05);
  }
}

TEST_CASE("a fourth node takes about a quarter of the keys, all of them from the others") {
  auto four = three.with("10.0.0.4:4242");
  int moved = 0;
  for (int i = 0; i < users; ++i) {
    const auto& before = three.owner(user(i));
    const auto& after = four.owner(user(i));
    if (before != after) {
      ++moved;
      CHECK(after == "10.0.0.4:4242");  // a key never moves between two old nodes
    }
  }
  double fraction = static_cast<double>(moved) / users;
  INFO("moved " << fraction * 100 << "%");
  CHECK(fraction > 0.22);
  CHECK(fraction < 0.28);
  CHECK(fraction <= 0.35);  // the cluster issue's bound
}

TEST_CASE("a node that leaves gives away only its own keys, spread over the rest") {
  auto two = three.without("10.0.0.2:4242");
  REQUIRE(two.nodes().size() == 2);
  std::map<std::string, int> heirs;
  for (int i = 0; i < users; ++i) {
    const auto& before = three.owner(user(i));
    const auto& after = two.owner(user(i));
    if (before != "10.0.0.2:4242") {
      CHECK(after == before);
    } else {
      ++heirs[after];
    }
  }
  REQUIRE(heirs.size() == 2);
  CHECK(heirs.begin()->second == Approx(std::next(heirs.begin())->second).epsilon(0.08));
}

TEST_CASE("the owner ignores the order and repeats of the membership, and ranks fail over") {
  placement shuffled{{"10.0.0.3:4242", "10.0.0.1:4242", "10.0.0.2:4242", "10.0.0.1:4242"}};
  CHECK(shuffled.nodes() == three.nodes());
  for (int i = 0; i < 1000; ++i) {
    CHECK(shuffled.owner(user(i)) == three.owner(user(i)));
    auto order = three.ranked(user(i));
    REQUIRE(order.size() == 3);
    CHECK(order.front() == three.owner(user(i)));
    // Without the owner, the next in rank takes over.
    CHECK(three.without(order[0]).owner(user(i)) == order[1]);
  }
}

TEST_CASE("owners are the same in every process: the hash is fixed, not std::hash") {
  // Golden values: changing the hash would move every user of a running cluster at the next
  // rolling upgrade, so it must be a deliberate change of these lines.
  // (The values were cross-checked with an independent Python version of the same functions.)
  CHECK(stable_hash("") == 0xf52a15e9a9b5e89bULL);
  CHECK(stable_hash("user123") == 0x740a820d9ee339f6ULL);
  CHECK(three.owner("user123") == "10.0.0.2:4242");
  CHECK(three.owner("alice") == "10.0.0.3:4242");
  CHECK(three.owner("bob") == "10.0.0.2:4242");
  CHECK(three.owner("carol") == "10.0.0.1:4242");
}

TEST_CASE("an empty membership has no owner") {
  placement none;
  CHECK(none.empty());
  CHECK_THROWS_AS(none.owner("user123"), std::logic_error);
  CHECK(none.ranked("user123").empty());
  CHECK(none.with("a:1").owner("user123") == "a:1");
}
