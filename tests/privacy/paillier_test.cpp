// Tests of Paillier: round trips, fresh randomness, homomorphic sums and scalings on random
// values, signed and fixed-point plaintexts, key text forms, and what a wrong key or a foreign
// ciphertext does.
#include "privacy/paillier.hpp"

#include <catch2/catch.hpp>

#include <openssl/bn.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <thread>
#include <vector>

using aia::privacy::big_integer;
using aia::privacy::decode_fixed;
using aia::privacy::encode_fixed;
using aia::privacy::paillier_ciphertext;
using aia::privacy::paillier_decryption;
using aia::privacy::paillier_errc;
using aia::privacy::paillier_error;
using aia::privacy::paillier_private_key;
using aia::privacy::paillier_public_key;

namespace {

/// One 2048-bit key per test process (key generation is the slow part).
const paillier_private_key& key() {
  static const auto k = paillier_private_key::generate();
  return k;
}

/// A second, unrelated key.
const paillier_private_key& other_key() {
  static const auto k = paillier_private_key::generate();
  return k;
}

/// `x mod n` in [0, n).
big_integer mod(const big_integer& x, const big_integer& n) {
  big_integer out;
  BN_CTX* ctx = BN_CTX_new();
  REQUIRE(BN_nnmod(out.get(), x.get(), n.get(), ctx) == 1);
  BN_CTX_free(ctx);
  return out;
}

big_integer plus(const big_integer& a, const big_integer& b) {
  big_integer out;
  REQUIRE(BN_add(out.get(), a.get(), b.get()) == 1);
  return out;
}

big_integer times(const big_integer& a, const big_integer& b) {
  big_integer out;
  BN_CTX* ctx = BN_CTX_new();
  REQUIRE(BN_mul(out.get(), a.get(), b.get(), ctx) == 1);
  BN_CTX_free(ctx);
  return out;
}

/// A uniform signed plaintext in (-n/2, n/2].
big_integer random_signed(const big_integer& n) {
  auto r = big_integer::random_below(n);
  big_integer half;
  REQUIRE(BN_rshift1(half.get(), n.get()) == 1);
  if (r > half) {
    REQUIRE(BN_sub(r.get(), r.get(), n.get()) == 1);
  }
  return r;
}

paillier_errc code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const paillier_error& e) {
    return e.code();
  }
  FAIL("no paillier_error thrown");
  return paillier_errc::openssl_failure;
}

} // namespace

TEST_CASE("a fresh key has a modulus of the requested size and decrypts what it encrypts") {
  const auto& sk = key();
  const auto& pk = sk.public_key();
  CHECK(pk.modulus_bits() == 2048);
  CHECK(pk.n().bits() == 2048);
  for (std::int64_t m : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{42},
                         std::numeric_limits<std::int64_t>::max(),
                         std::numeric_limits<std::int64_t>::min()}) {
    auto c = pk.encrypt(m);
    CHECK(sk.decrypt_int64(c) == m);
    CHECK(sk.decrypt(c, paillier_decryption::textbook) == big_integer{m});
  }
  for (int i = 0; i < 20; ++i) {
    auto m = random_signed(pk.n());
    auto c = pk.encrypt(m);
    CHECK(sk.decrypt(c) == m);
    CHECK(sk.decrypt(c, paillier_decryption::textbook) == m);
    CHECK(sk.decrypt_residue(c) == mod(m, pk.n()));
  }
}

TEST_CASE("encryption draws fresh randomness and rerandomizing keeps the plaintext") {
  const auto& sk = key();
  const auto& pk = sk.public_key();
  std::set<std::string> seen;
  for (int i = 0; i < 10; ++i) {
    seen.insert(pk.encrypt(7).to_string());
  }
  CHECK(seen.size() == 10);
  auto c = pk.encrypt(7);
  auto d = pk.rerandomize(c);
  CHECK(c.value() != d.value());
  CHECK(sk.decrypt_int64(d) == 7);
  CHECK(c.to_string().find("0x") == 0);
  CHECK(c.value() < times(pk.n(), pk.n()));
}

TEST_CASE("sums and scalings of ciphertexts decrypt to sums and scalings of random plaintexts") {
  const auto& sk = key();
  const auto& pk = sk.public_key();
  const auto& n = pk.n();
  SECTION("ciphertext plus ciphertext") {
    for (int i = 0; i < 10; ++i) {
      auto a = random_signed(n);
      auto b = random_signed(n);
      auto sum = pk.add(pk.encrypt(a), pk.encrypt(b));
      CHECK(sk.decrypt_residue(sum) == mod(plus(a, b), n));
    }
  }
  SECTION("ciphertext plus plaintext") {
    for (int i = 0; i < 10; ++i) {
      auto a = random_signed(n);
      auto k = random_signed(n);
      CHECK(sk.decrypt_residue(pk.add_plain(pk.encrypt(a), k)) == mod(plus(a, k), n));
    }
  }
  SECTION("ciphertext times plaintext") {
    for (int i = 0; i < 10; ++i) {
      auto a = random_signed(n);
      auto k = random_signed(n);
      CHECK(sk.decrypt_residue(pk.mul_plain(pk.encrypt(a), k)) == mod(times(a, k), n));
    }
    CHECK(sk.decrypt_int64(pk.mul_plain(pk.encrypt(-6), big_integer{-7})) == 42);
    CHECK(sk.decrypt_int64(pk.mul_plain(pk.encrypt(5), big_integer{0})) == 0);
  }
  SECTION("a sum over many users, with negative values") {
    std::vector<paillier_ciphertext> cs;
    std::int64_t expected = 0;
    for (std::int64_t v = -50; v <= 60; v += 7) {
      cs.push_back(pk.encrypt(v * 1000003));
      expected += v * 1000003;
    }
    CHECK(sk.decrypt_int64(pk.sum(cs)) == expected);
    CHECK(sk.decrypt_int64(pk.sum({})) == 0);
  }
  SECTION("sums that wrap around n wrap as integers mod n") {
    big_integer half;
    REQUIRE(BN_rshift1(half.get(), n.get()) == 1);
    auto c = pk.add(pk.encrypt(half), pk.encrypt(2));
    CHECK(sk.decrypt_residue(c) == mod(plus(half, big_integer{2}), n));
    CHECK(sk.decrypt(c) < big_integer{0});  // past n/2: decodes as negative
  }
}

TEST_CASE("fixed-point plaintexts carry sums of state dimensions") {
  const auto& sk = key();
  const auto& pk = sk.public_key();
  std::vector<double> values{0.25, -1.5, 3.14159, 1e-6, -0.999, 12345.678};
  std::vector<paillier_ciphertext> cs;
  double expected = 0;
  for (double v : values) {
    cs.push_back(pk.encrypt_fixed(v));
    expected += v;
  }
  CHECK(sk.decrypt_fixed(pk.sum(cs)) == Approx(expected).margin(1e-8));
  CHECK(sk.decrypt_fixed(pk.mul_plain(pk.encrypt_fixed(0.5), big_integer{3})) == Approx(1.5));
  CHECK(decode_fixed(encode_fixed(-2.75, 8), 8) == -2.75);
  CHECK(decode_fixed(encode_fixed(1e30, 40), 40) == Approx(1e30));  // beyond 2^63 scaled
  CHECK(encode_fixed(1.0, 70).bits() == 71);
  CHECK(code_of([] { (void)encode_fixed(std::numeric_limits<double>::quiet_NaN()); })
        == paillier_errc::plaintext_out_of_range);
  CHECK(code_of([] { (void)encode_fixed(std::numeric_limits<double>::infinity()); })
        == paillier_errc::plaintext_out_of_range);
}

TEST_CASE("a ciphertext decrypted under another key gives another value or is refused") {
  const auto& pk = key().public_key();
  const auto& wrong = other_key();
  REQUIRE(!(wrong.public_key() == pk));
  int refused = 0;
  int differed = 0;
  for (std::int64_t m : {0, 1, 42, -7, 123456789}) {
    auto c = pk.encrypt(m);
    try {
      auto value = wrong.decrypt(c);  // outside CHECK, which would catch the exception itself
      CHECK(value != big_integer{m});
      ++differed;
    } catch (const paillier_error& e) {
      CHECK(e.code() == paillier_errc::invalid_ciphertext);
      ++refused;
    }
  }
  CHECK(refused + differed == 5);
  // Ciphertexts of different keys do not mix silently either.
  auto mine = pk.encrypt(1);
  auto theirs = wrong.public_key().encrypt(1);
  try {
    auto value = key().decrypt(pk.add(mine, theirs));
    CHECK(value != big_integer{2});
  } catch (const paillier_error& e) {
    CHECK(e.code() == paillier_errc::invalid_ciphertext);
  }
}

TEST_CASE("ciphertexts out of range or sharing a factor with n are refused") {
  const auto& sk = key();
  const auto& pk = sk.public_key();
  auto n2 = times(pk.n(), pk.n());
  auto n2_plus_1 = plus(n2, big_integer{1});
  auto two_n = times(pk.n(), big_integer{2});
  for (const auto& bad : {big_integer{0}, big_integer{-5}, n2, n2_plus_1, pk.n(), two_n}) {
    CHECK(code_of([&] { (void)pk.parse_ciphertext(bad.to_hex()); })
          == paillier_errc::invalid_ciphertext);
    CHECK(code_of([&] { (void)pk.parse_ciphertext(bad.to_decimal()); })
          == paillier_errc::invalid_ciphertext);
  }
  for (const char* text : {"", "0x", "-", "12a", "1 2", "+5", "0x-5", "0xg1", " 7"}) {
    CAPTURE(text);
    CHECK(code_of([&] { (void)pk.parse_ciphertext(text); }) == paillier_errc::malformed);
  }
  CHECK(code_of([&] { (void)pk.parse_ciphertext(std::string(10001, '7')); })
        == paillier_errc::malformed);
  auto c = pk.encrypt(99);
  auto parsed = pk.parse_ciphertext(c.to_string());
  CHECK(sk.decrypt_int64(parsed) == 99);
  CHECK(sk.decrypt_int64(pk.parse_ciphertext(c.value().to_decimal())) == 99);
}

TEST_CASE("plaintexts of n or more in magnitude are refused") {
  const auto& pk = key().public_key();
  auto c = pk.encrypt(1);
  CHECK(code_of([&] { (void)pk.encrypt(pk.n()); }) == paillier_errc::plaintext_out_of_range);
  auto minus_n = pk.n();
  BN_set_negative(minus_n.get(), 1);
  CHECK(code_of([&] { (void)pk.encrypt(minus_n); }) == paillier_errc::plaintext_out_of_range);
  CHECK(code_of([&] { (void)pk.mul_plain(c, pk.n()); }) == paillier_errc::plaintext_out_of_range);
  CHECK(code_of([&] { (void)pk.add_plain(c, pk.n()); }) == paillier_errc::plaintext_out_of_range);
  auto big = pk.encrypt(big_integer::parse("0x8000000000000000"));  // 2^63
  CHECK(code_of([&] { (void)key().decrypt_int64(big); }) == paillier_errc::plaintext_out_of_range);
}

TEST_CASE("keys survive their text forms and tampered keys are refused") {
  const auto& sk = key();
  const auto& pk = sk.public_key();
  auto c = pk.encrypt(-31337);

  auto pk2 = paillier_public_key::from_json(pk.to_json());
  CHECK(pk2 == pk);
  CHECK(pk2.to_json() == pk.to_json());
  CHECK(sk.decrypt_int64(pk2.add(c, pk2.encrypt(1))) == -31336);

  auto secret = sk.to_secret_json();
  auto sk2 = paillier_private_key::from_secret_json(secret);
  CHECK(sk2.public_key() == pk);
  CHECK(sk2.decrypt_int64(c) == -31337);
  CHECK(sk2.to_secret_json() == secret);
  for (const char* field : {"\"lambda\"", "\"mu\"", "\"p\"", "\"q\""}) {
    CHECK(secret.find(field) != std::string::npos);
    CHECK(pk.to_json().find(field) == std::string::npos);
  }

  auto replace = [](std::string text, const std::string& from, const std::string& to) {
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
  };
  SECTION("public keys") {
    auto json = pk.to_json();
    auto wrong_g = replace(json, "\"g\":\"0x", "\"g\":\"0x1");
    CHECK(code_of([&] { (void)paillier_public_key::from_json(wrong_g); })
          == paillier_errc::invalid_key);
    CHECK(code_of([&] { (void)paillier_public_key::from_json(R"({"n":"0x3","g":"0x4"})"); })
          == paillier_errc::invalid_key_size);
    CHECK(code_of([&] { (void)paillier_public_key::from_json(replace(json, "\"g\"", "\"h\"")); })
          == paillier_errc::malformed);
    auto duplicate = replace(json, "}", ",\"n\":\"1\"}");
    CHECK(code_of([&] { (void)paillier_public_key::from_json(duplicate); })
          == paillier_errc::malformed);
    CHECK(code_of([&] { (void)paillier_public_key::from_json(json + "x"); })
          == paillier_errc::malformed);
    CHECK(code_of([&] { (void)paillier_public_key::from_json("{}"); }) == paillier_errc::malformed);
  }
  SECTION("private keys") {
    auto other = other_key().to_secret_json();
    // Swap one secret field for the other key's: every swap breaks a consistency check.
    for (const char* field : {"lambda", "mu", "p", "q"}) {
      CAPTURE(field);
      auto take = [&](const std::string& json) {
        auto at = json.find(std::string{"\""} + field + "\":\"") + std::string{field}.size() + 4;
        return json.substr(at, json.find('"', at) - at);
      };
      auto tampered = replace(secret, take(secret), take(other));
      CHECK(code_of([&] { (void)paillier_private_key::from_secret_json(tampered); })
            == paillier_errc::invalid_key);
    }
    CHECK(code_of([&] { (void)paillier_private_key::from_secret_json(pk.to_json()); })
          == paillier_errc::malformed);
  }
}

TEST_CASE("key sizes outside 2048 to 8192 even bits are refused") {
  for (int bits : {0, 512, 1024, 2047, 2049, 8194, 16384}) {
    CAPTURE(bits);
    CHECK(code_of([&] { (void)paillier_private_key::generate(bits); })
          == paillier_errc::invalid_key_size);
  }
}

TEST_CASE("a 3072-bit key encrypts, adds and decrypts") {
  auto sk = paillier_private_key::generate(3072);
  const auto& pk = sk.public_key();
  CHECK(pk.modulus_bits() == 3072);
  auto a = random_signed(pk.n());
  auto sum = pk.add(pk.encrypt(a), pk.encrypt(big_integer{5}));
  CHECK(sk.decrypt_residue(sum) == mod(plus(a, big_integer{5}), pk.n()));
  CHECK(sk.decrypt_int64(pk.mul_plain(pk.encrypt(-4), big_integer{25})) == -100);
  CHECK(paillier_private_key::from_secret_json(sk.to_secret_json()).decrypt(sum)
        == sk.decrypt(sum, paillier_decryption::textbook));
}

TEST_CASE("one key encrypts and decrypts from many threads at once") {
  const auto& sk = key();
  const auto& pk = sk.public_key();
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        std::int64_t m = t * 100 + i;
        ok[t] += sk.decrypt_int64(pk.rerandomize(pk.encrypt(m))) == m ? 1 : 0;
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  CHECK(ok == std::vector<int>(4, 5));
}

TEST_CASE("big integers read and write decimal and 0x-hex text") {
  CHECK(big_integer::parse("0").to_hex() == "0x0");
  CHECK(big_integer::parse("-0").to_hex() == "0x0");
  CHECK(big_integer::parse("255").to_hex() == "0xff");
  CHECK(big_integer::parse("0xFF").to_decimal() == "255");
  CHECK(big_integer::parse("-0x7b").to_decimal() == "-123");
  CHECK(big_integer::parse("0x0f") == big_integer{15});
  CHECK(big_integer{-123}.to_hex() == "-0x7b");
  CHECK(big_integer{std::numeric_limits<std::int64_t>::min()}.to_int64()
        == std::numeric_limits<std::int64_t>::min());
  CHECK(big_integer::parse("0x10000000000000000").to_int64() == std::nullopt);
  CHECK(big_integer::parse("0x8000000000000000").to_int64() == std::nullopt);
  CHECK(big_integer::parse("-0x8000000000000000").to_int64()
        == std::numeric_limits<std::int64_t>::min());
  CHECK(big_integer::parse("0x100000000000000000000").to_double() == 0x1p80);
  CHECK(big_integer{-3} < big_integer{2});
  auto r = big_integer::random_below(big_integer{1000});
  CHECK(r >= big_integer{0});
  CHECK(r < big_integer{1000});
}
