// Tests of AES-256-GCM sealing: round trips, fresh nonces, and every kind of tampering refused.
#include "privacy/sealing.hpp"

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <thread>
#include <vector>

using aia::privacy::key_ring;
using aia::privacy::open_result;
using aia::privacy::sealer;
using aia::privacy::sealing_errc;

namespace {

constexpr std::int64_t t0 = 1700000000;
constexpr const char* purpose = "events.payload";

std::vector<std::uint8_t> bytes_of(const std::string& s) {
  return {s.begin(), s.end()};
}

bool opened(const open_result& r) {
  return std::holds_alternative<std::vector<std::uint8_t>>(r);
}

sealing_errc code_of(const open_result& r) {
  REQUIRE_FALSE(opened(r));
  return std::get<sealing_errc>(r);
}

} // namespace

TEST_CASE("a sealed value opens to the same bytes for the same user and purpose") {
  sealer s{key_ring::ephemeral(t0)};
  for (const auto& text : {std::string{}, std::string{"x"}, std::string(100000, 'y'),
                           std::string{"PLAINTEXT-MARKER-\0-bytes", 24}}) {
    auto plain = bytes_of(text);
    auto blob = s.seal(purpose, "user-1", plain);
    CHECK(blob.size() == plain.size() + sealer::overhead);
    CHECK(blob[0] == sealer::format_byte);
    CHECK(sealer::key_version(blob) == 1u);
    auto r = s.open(purpose, "user-1", blob);
    REQUIRE(opened(r));
    CHECK(std::get<0>(r) == plain);
  }
}

TEST_CASE("sealing hides the plaintext and draws a fresh nonce every time") {
  sealer s{key_ring::ephemeral(t0)};
  auto plain = bytes_of("PLAINTEXT-MARKER-abcdefgh");
  auto a = s.seal(purpose, "u", plain);
  auto b = s.seal(purpose, "u", plain);
  CHECK(a != b);
  CHECK(std::vector<std::uint8_t>(a.begin() + 5, a.begin() + 17)
        != std::vector<std::uint8_t>(b.begin() + 5, b.begin() + 17));
  std::string as_text(a.begin(), a.end());
  CHECK(as_text.find("PLAINTEXT") == std::string::npos);
}

TEST_CASE("changing any single byte of a sealed value makes it fail to open") {
  sealer s{key_ring::ephemeral(t0)};
  auto plain = bytes_of("a user's interaction");
  auto blob = s.seal(purpose, "u", plain);
  for (std::size_t i = 0; i < blob.size(); ++i) {
    for (std::uint8_t flip : {0x01, 0x80, 0xFF}) {
      auto bad = blob;
      bad[i] ^= flip;
      auto r = s.open(purpose, "u", bad);
      INFO("byte " << i << " xor " << int{flip});
      CHECK_FALSE(opened(r));
    }
  }
  SECTION("in the body or tag it is reported as tampering") {
    auto bad = blob;
    bad[sealer::header_size + sealer::nonce_size] ^= 1;  // first ciphertext byte
    CHECK(code_of(s.open(purpose, "u", bad)) == sealing_errc::tampered);
    bad = blob;
    bad.back() ^= 1;  // last tag byte
    CHECK(code_of(s.open(purpose, "u", bad)) == sealing_errc::tampered);
    bad = blob;
    bad[5] ^= 1;  // nonce
    CHECK(code_of(s.open(purpose, "u", bad)) == sealing_errc::tampered);
  }
  SECTION("in the format byte it is an unknown format") {
    auto bad = blob;
    bad[0] ^= 1;
    CHECK(code_of(s.open(purpose, "u", bad)) == sealing_errc::unknown_format);
  }
}

TEST_CASE("a sealed value does not open for another user or another purpose") {
  sealer s{key_ring::ephemeral(t0)};
  auto blob = s.seal(purpose, "alice", bytes_of("alice's data"));
  CHECK(code_of(s.open(purpose, "bob", blob)) == sealing_errc::tampered);
  CHECK(code_of(s.open(purpose, "alic", blob)) == sealing_errc::tampered);
  CHECK(code_of(s.open(purpose, "", blob)) == sealing_errc::tampered);
  CHECK(code_of(s.open("snapshots.data", "alice", blob)) == sealing_errc::tampered);
  // The zero byte between purpose and user keeps the two apart.
  auto joined = s.seal("ab", "c", bytes_of("x"));
  CHECK(code_of(s.open("a", "bc", joined)) == sealing_errc::tampered);
}

TEST_CASE("a value under a key version the ring lacks is reported as an unknown key") {
  auto ring = key_ring::ephemeral(t0);
  sealer old_keys{ring};
  ring.add_key(t0 + 1);
  sealer new_keys{ring};
  auto newer = new_keys.seal(purpose, "u", bytes_of("new"));
  CHECK(sealer::key_version(newer) == 2u);
  CHECK(code_of(old_keys.open(purpose, "u", newer)) == sealing_errc::unknown_key);

  SECTION("while the newer ring opens what the older key sealed") {
    auto older = old_keys.seal(purpose, "u", bytes_of("old"));
    CHECK(sealer::key_version(older) == 1u);
    auto r = new_keys.open(purpose, "u", older);
    REQUIRE(opened(r));
    CHECK(std::get<0>(r) == bytes_of("old"));
  }
  SECTION("and relabelling the version is tampering, not a way to another key") {
    auto relabelled = newer;
    relabelled[4] = 1;  // claims v1
    CHECK(code_of(new_keys.open(purpose, "u", relabelled)) == sealing_errc::tampered);
  }
}

TEST_CASE("a value shorter than header, nonce and tag is reported as too short") {
  sealer s{key_ring::ephemeral(t0)};
  auto blob = s.seal(purpose, "u", {});
  REQUIRE(blob.size() == sealer::overhead);
  for (std::size_t n = 0; n < sealer::overhead; ++n) {
    INFO("size " << n);
    CHECK(code_of(s.open(purpose, "u", std::span{blob.data(), n})) == sealing_errc::too_short);
  }
  CHECK_FALSE(sealer::key_version(std::span{blob.data(), 4}).has_value());
}

TEST_CASE("error codes have names that carry no data") {
  CHECK(std::string{to_string(sealing_errc::tampered)} == "tampered");
  CHECK(std::string{to_string(sealing_errc::unknown_key)} == "unknown_key");
  CHECK(std::string{to_string(sealing_errc::unknown_format)} == "unknown_format");
  CHECK(std::string{to_string(sealing_errc::too_short)} == "too_short");
}

TEST_CASE("nonces never repeat, past the size of a thread's pool and across threads") {
  sealer s{key_ring::ephemeral(t0)};
  auto plain = bytes_of("x");
  auto nonces_of = [&s, &plain](int count) {
    std::vector<std::string> out;
    for (int i = 0; i < count; ++i) {
      auto blob = s.seal(purpose, "u", plain);
      out.emplace_back(blob.begin() + 5, blob.begin() + 5 + sealer::nonce_size);
    }
    return out;
  };
  auto mine = nonces_of(2000);  // several refills of a 341-nonce pool
  std::vector<std::string> theirs;
  std::thread t{[&] { theirs = nonces_of(2000); }};
  t.join();
  std::set<std::string> all(mine.begin(), mine.end());
  all.insert(theirs.begin(), theirs.end());
  CHECK(all.size() == 4000);
}
