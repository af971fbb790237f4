// Interoperability of privacy/paillier with an independent implementation, the npm package
// paillier-bigint (driven by tests/privacy/interop/paillier_interop.js): ciphertexts made by one
// decrypt in the other, both ways, and homomorphic sums mix ciphertexts of both. Needs node and
// `npm ci --prefix tests/privacy/interop` (deploy/install-deps.sh does both); fails otherwise.
#include "privacy/paillier.hpp"

#include "tests/support/command.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <openssl/bn.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

using aia::privacy::big_integer;
using aia::privacy::paillier_ciphertext;
using aia::privacy::paillier_private_key;
using aia::test::quoted;
using aia::test::run_command;
using aia::test::temp_dir;

namespace fs = std::filesystem;

namespace {

fs::path interop_dir() {
  const char* env = std::getenv("AIA_SOURCE_DIR");
  fs::path source = env != nullptr && *env != '\0' ? fs::path{env} : fs::path{AIA_SOURCE_DIR};
  return source / "tests" / "privacy" / "interop";
}

/// Fails (never skips) when the JS side is not installed: install-deps.sh provides it.
void require_node() {
  if (run_command("node --version").status != 0) {
    FAIL("node is not installed: run deploy/install-deps.sh (Debian packages nodejs, npm)");
  }
  if (!fs::exists(interop_dir() / "node_modules" / "paillier-bigint" / "package.json")) {
    FAIL("paillier-bigint is not installed in " + interop_dir().string()
         + "/node_modules: run deploy/install-deps.sh (npm ci --prefix tests/privacy/interop)");
  }
}

/// The lines paillier_interop.js printed for `args`; fails the test with its stderr otherwise.
std::vector<std::string> node(const temp_dir& dir, const std::string& args) {
  auto err = dir / "node.err";
  auto r = run_command("node " + quoted((interop_dir() / "paillier_interop.js").string()) + " "
                       + args + " 2>" + quoted(err.string()));
  if (r.status != 0) {
    std::ifstream in{err};
    std::stringstream text;
    text << in.rdbuf();
    FAIL("paillier_interop.js " << args << " exited " << r.status << ": " << text.str());
  }
  std::vector<std::string> lines;
  std::istringstream in{r.output};
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) {
      lines.push_back(line);
    }
  }
  return lines;
}

std::string write(const temp_dir& dir, const std::string& name, const std::string& text) {
  auto path = dir / name;
  std::ofstream{path} << text;
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);  // keys among them
  return quoted(path.string());
}

std::string lines_of(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    out += s + "\n";
  }
  return out;
}

const paillier_private_key& key() {
  static const auto k = paillier_private_key::generate(2048);
  return k;
}

/// Plaintexts covering small, negative, int64 extremes and full-size random values.
std::vector<big_integer> plaintexts(const big_integer& n) {
  std::vector<big_integer> out{big_integer{0}, big_integer{1}, big_integer{-1},
                               big_integer{123456789}, big_integer{-987654321},
                               big_integer{std::numeric_limits<std::int64_t>::max()},
                               big_integer{std::numeric_limits<std::int64_t>::min()}};
  big_integer half;
  REQUIRE(BN_rshift1(half.get(), n.get()) == 1);
  for (int i = 0; i < 5; ++i) {
    auto r = big_integer::random_below(n);
    if (r > half) {
      REQUIRE(BN_sub(r.get(), r.get(), n.get()) == 1);
    }
    out.push_back(std::move(r));
  }
  return out;
}

/// m mod n in decimal, as paillier-bigint's decrypt prints it.
std::string residue_text(const big_integer& m, const big_integer& n) {
  big_integer r;
  BN_CTX* ctx = BN_CTX_new();
  REQUIRE(BN_nnmod(r.get(), m.get(), n.get(), ctx) == 1);
  BN_CTX_free(ctx);
  return r.to_decimal();
}

} // namespace

TEST_CASE("ciphertexts made by privacy/paillier decrypt in paillier-bigint") {
  require_node();
  temp_dir dir{"aia-paillier-"};
  const auto& sk = key();
  const auto& pk = sk.public_key();
  auto ms = plaintexts(pk.n());
  std::vector<std::string> cs;
  std::vector<std::string> expected;
  for (const auto& m : ms) {
    cs.push_back(pk.encrypt(m).to_string());
    expected.push_back(residue_text(m, pk.n()));
  }
  auto secret = write(dir, "private.json", sk.to_secret_json());
  CHECK(node(dir, "decrypt " + secret + " " + write(dir, "c.txt", lines_of(cs))) == expected);
}

TEST_CASE("ciphertexts made by paillier-bigint under our public key decrypt in privacy/paillier") {
  require_node();
  temp_dir dir{"aia-paillier-"};
  const auto& sk = key();
  const auto& pk = sk.public_key();
  auto ms = plaintexts(pk.n());
  std::vector<std::string> texts;
  for (const auto& m : ms) {
    texts.push_back(m.to_decimal());
  }
  auto cs = node(dir, "encrypt " + write(dir, "public.json", pk.to_json()) + " "
                        + write(dir, "m.txt", lines_of(texts)));
  REQUIRE(cs.size() == ms.size());
  for (std::size_t i = 0; i < ms.size(); ++i) {
    CHECK(sk.decrypt(pk.parse_ciphertext(cs[i])) == ms[i]);
  }
}

TEST_CASE("homomorphic sums and scalings mix ciphertexts of both implementations") {
  require_node();
  temp_dir dir{"aia-paillier-"};
  const auto& sk = key();
  const auto& pk = sk.public_key();
  auto pub = write(dir, "public.json", pk.to_json());
  auto secret = write(dir, "private.json", sk.to_secret_json());

  // Users 1-3 encrypt here, users 4-6 in paillier-bigint; state dimensions as fixed point.
  std::vector<double> ours{0.5, -1.25, 2.0};
  std::vector<double> theirs{3.75, -0.5, 10.125};
  std::vector<paillier_ciphertext> cs;
  for (double v : ours) {
    cs.push_back(pk.encrypt_fixed(v));
  }
  std::vector<std::string> encoded;
  for (double v : theirs) {
    encoded.push_back(aia::privacy::encode_fixed(v).to_decimal());
  }
  for (const auto& c : node(dir, "encrypt " + pub + " " + write(dir, "m.txt", lines_of(encoded)))) {
    cs.push_back(pk.parse_ciphertext(c));
  }
  REQUIRE(cs.size() == 6);
  double expected = 0.5 - 1.25 + 2.0 + 3.75 - 0.5 + 10.125;

  SECTION("summed here, decrypted in both") {
    auto sum = pk.sum(cs);
    CHECK(sk.decrypt_fixed(sum) == expected);
    auto js = node(dir, "decrypt " + secret + " " + write(dir, "s.txt", sum.to_string() + "\n"));
    REQUIRE(js.size() == 1);
    CHECK(js[0] == residue_text(aia::privacy::encode_fixed(expected), pk.n()));
  }
  SECTION("summed in paillier-bigint, decrypted here") {
    std::vector<std::string> texts;
    for (const auto& c : cs) {
      texts.push_back(c.to_string());
    }
    auto js = node(dir, "add " + pub + " " + write(dir, "c.txt", lines_of(texts)));
    REQUIRE(js.size() == 1);
    CHECK(sk.decrypt_fixed(pk.parse_ciphertext(js[0])) == expected);
  }
  SECTION("scaled in each, decrypted in the other") {
    auto c = pk.encrypt(-21);
    auto input = write(dir, "c.txt", c.to_string() + "\n");
    auto js = node(dir, "multiply " + pub + " " + input + " -2");
    REQUIRE(js.size() == 1);
    CHECK(sk.decrypt_int64(pk.parse_ciphertext(js[0])) == 42);
    auto scaled = pk.mul_plain(c, big_integer{3});
    auto plain
      = node(dir, "decrypt " + secret + " " + write(dir, "d.txt", scaled.to_string() + "\n"));
    REQUIRE(plain.size() == 1);
    CHECK(plain[0] == residue_text(big_integer{-63}, pk.n()));
  }
}

TEST_CASE("a key pair made by paillier-bigint loads here and works both ways") {
  require_node();
  temp_dir dir{"aia-paillier-"};
  auto json = node(dir, "keygen 2048");
  REQUIRE(json.size() == 1);
  auto sk = paillier_private_key::from_secret_json(json[0]);
  const auto& pk = sk.public_key();
  CHECK(pk.modulus_bits() == 2048);
  auto secret = write(dir, "private.json", json[0]);
  auto c = pk.encrypt(-5000);
  auto plain = node(dir, "decrypt " + secret + " " + write(dir, "c.txt", c.to_string() + "\n"));
  REQUIRE(plain.size() == 1);
  CHECK(plain[0] == residue_text(big_integer{-5000}, pk.n()));
  auto js = node(dir, "encrypt " + write(dir, "public.json", pk.to_json()) + " "
                        + write(dir, "m.txt", "-77\n"));
  REQUIRE(js.size() == 1);
  CHECK(sk.decrypt_int64(pk.parse_ciphertext(js[0])) == -77);
}
