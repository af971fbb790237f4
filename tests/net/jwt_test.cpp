// Tests of JWT signing and verification: HS256/RS256/ES256 round trips, key rotation by kid,
// algorithm confusion, claim checks, malformed input, PEM and JWKS keys, base64url.
#include "net/auth/jwt.hpp"

#include "net/auth/detail/openssl.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <stdexcept>
#include <string>

using namespace aia::net::auth;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

using aia::net::auth::detail::bio_ptr;
using aia::net::auth::detail::bn_ptr;
using aia::net::auth::detail::md_ctx_ptr;
using aia::net::auth::detail::pkey_ptr;

// -- test keys, generated once per run (RSA generation is slow, more so under ASan) ------------

pkey_ptr generate_rsa(std::size_t bits) {
  pkey_ptr key{EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits)};
  REQUIRE(key);
  return key;
}

pkey_ptr generate_ec(const char* curve) {
  pkey_ptr key{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve)};
  REQUIRE(key);
  return key;
}

enum class pem_kind { public_key, private_key, traditional_private_key };

std::string to_pem(const EVP_PKEY* key, pem_kind kind) {
  const bio_ptr bio{BIO_new(BIO_s_mem())};
  REQUIRE(bio);
  const int ok
      = kind == pem_kind::public_key ? PEM_write_bio_PUBKEY(bio.get(), key)
        : kind == pem_kind::private_key
            ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
            : PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr,
                                                   nullptr);
  REQUIRE(ok == 1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return {data, static_cast<std::size_t>(len)};
}

struct test_keys {
  pkey_ptr rsa = generate_rsa(2048);
  pkey_ptr rsa_weak = generate_rsa(1024);
  pkey_ptr ec = generate_ec("P-256");
  pkey_ptr ec_old = generate_ec("P-256");
  pkey_ptr ec_p384 = generate_ec("P-384");
};

const test_keys& keys() {
  static const test_keys k;
  return k;
}

std::string public_pem(const pkey_ptr& key) {
  return to_pem(key.get(), pem_kind::public_key);
}

std::string private_pem(const pkey_ptr& key) {
  return to_pem(key.get(), pem_kind::private_key);
}

// -- tokens --------------------------------------------------------------------------------------

constexpr double now = 1700000000.0;
const std::string secret = "0123456789abcdef0123456789abcdef"; // exactly 32 bytes

/// Claims every check accepts with `options()`; `patch` changes them (null removes a claim).
std::string claims(const json& patch = json::object()) {
  json c = {{"sub", "user123"},  {"role", "analyst"}, {"iss", "aia-test"},
            {"aud", "aia-node"}, {"exp", now + 600},  {"iat", now}};
  c.merge_patch(patch);
  return c.dump();
}

jwt_verify_options options() {
  jwt_verify_options opt;
  opt.issuer = "aia-test";
  opt.audience = "aia-node";
  return opt;
}

jwt_key_ring ring_of(jwt_key k) {
  jwt_key_ring ring;
  ring.add(std::move(k));
  return ring;
}

/// "accepted", or the reason of the refusal.
std::string outcome(std::string_view token, const jwt_key_ring& ring,
                    const jwt_verify_options& opt = options(), double at = now) {
  const auto result = verify_jwt(token, ring, opt, at);
  if (const auto* e = std::get_if<jwt_error>(&result)) {
    return e->reason;
  }
  return "accepted";
}

/// A token from raw parts, signed or not: for inputs sign_jwt would never produce.
std::string raw_token(std::string_view header, std::string_view payload,
                      std::string_view signature = "") {
  return base64url_encode(header) + '.' + base64url_encode(payload) + '.'
         + base64url_encode(signature);
}

struct token_parts {
  std::string header, payload, signature; // still base64url
};

token_parts split(const std::string& token) {
  const auto dot1 = token.find('.');
  const auto dot2 = token.find('.', dot1 + 1);
  return {token.substr(0, dot1), token.substr(dot1 + 1, dot2 - dot1 - 1), token.substr(dot2 + 1)};
}

std::string join(const token_parts& p) {
  return p.header + '.' + p.payload + '.' + p.signature;
}

/// `token` with its decoded signature passed through `change`.
template <class Change>
std::string with_signature(const std::string& token, Change change) {
  auto parts = split(token);
  auto signature = *base64url_decode(parts.signature);
  change(signature);
  parts.signature = base64url_encode(signature);
  return join(parts);
}

/// The public parameters of a key as a JWK: {"kid", "kty", ...}.
json jwk_of(const pkey_ptr& key, const std::string& kid) {
  if (EVP_PKEY_is_a(key.get(), "RSA") == 1) {
    const auto b64 = [&](const char* name) {
      BIGNUM* raw = nullptr;
      REQUIRE(EVP_PKEY_get_bn_param(key.get(), name, &raw) == 1);
      const bn_ptr bn{raw};
      std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn.get())), '\0');
      BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()));
      return base64url_encode(bytes);
    };
    return {{"kty", "RSA"},
            {"kid", kid},
            {"n", b64(OSSL_PKEY_PARAM_RSA_N)},
            {"e", b64(OSSL_PKEY_PARAM_RSA_E)}};
  }
  std::string point(65, '\0'); // 0x04 || x || y
  std::size_t len = 0;
  REQUIRE(EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                          reinterpret_cast<unsigned char*>(point.data()),
                                          point.size(), &len)
          == 1);
  REQUIRE(len == 65);
  REQUIRE(point[0] == '\x04');
  return {{"kty", "EC"},
          {"kid", kid},
          {"crv", "P-256"},
          {"x", base64url_encode(point.substr(1, 32))},
          {"y", base64url_encode(point.substr(33, 32))}};
}

std::string jwks_of(const json& keys_array) {
  return json{{"keys", keys_array}}.dump();
}

} // namespace

// -- base64url -----------------------------------------------------------------------------------

TEST_CASE("base64url matches the RFC 4648 vectors without padding") {
  const std::pair<std::string, std::string> vectors[]
      = {{"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
         {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [bytes, text] : vectors) {
    CHECK(base64url_encode(bytes) == text);
    CHECK(base64url_decode(text) == bytes);
  }
  SECTION("the URL alphabet replaces + and / with - and _") {
    CHECK(base64url_encode("\xfb\xff") == "-_8");
    CHECK(base64url_decode("-_8") == std::string("\xfb\xff"));
  }
}

TEST_CASE("base64url decoding is strict") {
  CHECK_FALSE(base64url_decode("Zg=="));   // padding
  CHECK_FALSE(base64url_decode("Zm9v+A")); // standard alphabet
  CHECK_FALSE(base64url_decode("Zm9v/A"));
  CHECK_FALSE(base64url_decode("Zm 9v")); // whitespace
  CHECK_FALSE(base64url_decode("Z"));     // a lone character is not a byte
  CHECK_FALSE(base64url_decode("Zh"));    // "f" with non-zero trailing bits
  CHECK_FALSE(base64url_decode("Zm9"));
  CHECK(base64url_decode("Zm8") == std::string("fo"));
}

// -- round trips and key selection ---------------------------------------------------------------

TEST_CASE("tokens signed with each algorithm verify with the same key") {
  const auto& k = keys();
  SECTION("HS256") {
    const auto ring = ring_of(jwt_key::hs256("h1", secret));
    const auto result = verify_jwt(sign_jwt(claims(), *ring.find("h1")), ring, options(), now);
    REQUIRE(std::holds_alternative<jwt_claims>(result));
    const auto& c = std::get<jwt_claims>(result);
    CHECK(c.sub == "user123");
    CHECK(c.role == "analyst");
    CHECK(c.iss == "aia-test");
    CHECK(c.aud == std::vector<std::string>{"aia-node"});
    CHECK(c.exp == now + 600);
    CHECK(c.iat == now);
    CHECK_FALSE(c.nbf);
  }
  SECTION("RS256, verified with the public key only") {
    const auto signer = jwt_key::from_pem("r1", jwt_alg::rs256, private_pem(k.rsa));
    const auto ring = ring_of(jwt_key::from_pem("r1", jwt_alg::rs256, public_pem(k.rsa)));
    CHECK(signer.can_sign());
    CHECK_FALSE(ring.find("r1")->can_sign());
    CHECK(outcome(sign_jwt(claims(), signer), ring) == "accepted");
  }
  SECTION("ES256, with a 64-byte R||S signature") {
    const auto signer = jwt_key::from_pem("e1", jwt_alg::es256, private_pem(k.ec));
    const auto token = sign_jwt(claims(), signer);
    CHECK(base64url_decode(split(token).signature)->size() == 64);
    const auto ring = ring_of(jwt_key::from_pem("e1", jwt_alg::es256, public_pem(k.ec)));
    CHECK(outcome(token, ring) == "accepted");
  }
}

TEST_CASE("the header names the key's alg and kid") {
  const auto key = jwt_key::hs256("h1", secret);
  const auto header = json::parse(*base64url_decode(split(sign_jwt(claims(), key)).header));
  CHECK(header == json{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", "h1"}});
  CHECK(to_string(jwt_alg::rs256) == "RS256");
  CHECK(to_string(jwt_alg::es256) == "ES256");
}

TEST_CASE("the kid selects the key, so keys can rotate") {
  const auto& k = keys();
  const auto old_signer = jwt_key::from_pem("2023", jwt_alg::es256, private_pem(k.ec_old));
  const auto new_signer = jwt_key::from_pem("2024", jwt_alg::es256, private_pem(k.ec));
  jwt_key_ring ring;
  ring.add(jwt_key::from_pem("2023", jwt_alg::es256, public_pem(k.ec_old)));
  ring.add(jwt_key::from_pem("2024", jwt_alg::es256, public_pem(k.ec)));
  ring.add(jwt_key::hs256("dev", secret));
  CHECK(ring.size() == 3);
  CHECK(outcome(sign_jwt(claims(), old_signer), ring) == "accepted");
  CHECK(outcome(sign_jwt(claims(), new_signer), ring) == "accepted");

  SECTION("a token naming another kid than its signer's does not verify") {
    const auto moved = jwt_key::from_pem("2024", jwt_alg::es256, private_pem(k.ec_old));
    CHECK(outcome(sign_jwt(claims(), moved), ring) == "bad signature");
  }
  SECTION("an unknown kid, or none among several keys, is refused") {
    const auto stranger = jwt_key::from_pem("2025", jwt_alg::es256, private_pem(k.ec));
    CHECK(outcome(sign_jwt(claims(), stranger), ring) == "unknown key");
    const auto no_kid = jwt_key::hs256("", secret);
    CHECK(outcome(sign_jwt(claims(), no_kid), ring) == "unknown key");
  }
  SECTION("a kid is added only once") {
    CHECK_THROWS_AS(ring.add(jwt_key::hs256("dev", secret)), std::invalid_argument);
    CHECK(ring.size() == 3);
  }
}

TEST_CASE("a token without kid uses the only key of the ring") {
  const auto ring = ring_of(jwt_key::hs256("only", secret));
  const auto unnamed = jwt_key::hs256("", secret);
  CHECK(json::parse(*base64url_decode(split(sign_jwt(claims(), unnamed)).header)).count("kid")
        == 0);
  CHECK(outcome(sign_jwt(claims(), unnamed), ring) == "accepted");
  CHECK(ring.find("") == ring.find("only"));
}

// -- algorithm confusion and signatures ----------------------------------------------------------

TEST_CASE("only HS256, RS256 and ES256 are accepted") {
  const auto ring = ring_of(jwt_key::hs256("h1", secret));
  SECTION("an unsigned alg none token") {
    CHECK(outcome(raw_token(R"({"alg":"none","kid":"h1"})", claims()), ring)
          == "unsupported algorithm");
    CHECK(outcome(raw_token(R"({"alg":"none"})", claims()), ring) == "unsupported algorithm");
  }
  SECTION("other algorithms, even of the same family") {
    for (const char* alg : {"HS512", "hs256", "PS256", "ES256K", "EdDSA"}) {
      const auto header = json{{"alg", alg}, {"kid", "h1"}}.dump();
      CHECK(outcome(raw_token(header, claims(), "sig"), ring) == "unsupported algorithm");
    }
  }
  SECTION("a header with a crit extension") {
    const auto header = R"({"alg":"HS256","kid":"h1","crit":["exp"],"exp":1})";
    CHECK(outcome(raw_token(header, claims(), "sig"), ring) == "unsupported critical header");
  }
}

TEST_CASE("an HS256 token keyed with an RSA public key is refused by the RS256 key") {
  const auto pem = public_pem(keys().rsa);
  const auto ring = ring_of(jwt_key::from_pem("r1", jwt_alg::rs256, pem));
  // The classic confusion: the attacker knows the public key and uses its PEM as HMAC secret.
  const auto forged = sign_jwt(claims({{"role", "admin"}}), jwt_key::hs256("r1", pem));
  CHECK(outcome(forged, ring) == "algorithm does not match the key");
}

TEST_CASE("tampered tokens fail the signature check") {
  const auto& k = keys();
  const auto ring_hs = ring_of(jwt_key::hs256("h1", secret));
  const auto ring_rs = ring_of(jwt_key::from_pem("r1", jwt_alg::rs256, public_pem(k.rsa)));
  const auto ring_es = ring_of(jwt_key::from_pem("e1", jwt_alg::es256, public_pem(k.ec)));
  const auto token_hs = sign_jwt(claims(), jwt_key::hs256("h1", secret));
  const auto token_rs
      = sign_jwt(claims(), jwt_key::from_pem("r1", jwt_alg::rs256, private_pem(k.rsa)));
  const auto token_es
      = sign_jwt(claims(), jwt_key::from_pem("e1", jwt_alg::es256, private_pem(k.ec)));
  const auto flip_first_byte = [](std::string& s) { s[0] = static_cast<char>(s[0] ^ 1); };

  SECTION("a changed payload") {
    const auto escalate = [&](const std::string& token) {
      auto parts = split(token);
      parts.payload = base64url_encode(claims({{"role", "admin"}}));
      return join(parts);
    };
    CHECK(outcome(escalate(token_hs), ring_hs) == "bad signature");
    CHECK(outcome(escalate(token_rs), ring_rs) == "bad signature");
    CHECK(outcome(escalate(token_es), ring_es) == "bad signature");
  }
  SECTION("a changed signature") {
    CHECK(outcome(with_signature(token_hs, flip_first_byte), ring_hs) == "bad signature");
    CHECK(outcome(with_signature(token_rs, flip_first_byte), ring_rs) == "bad signature");
    CHECK(outcome(with_signature(token_es, flip_first_byte), ring_es) == "bad signature");
  }
  SECTION("a truncated or empty signature") {
    const auto drop_last = [](std::string& s) { s.pop_back(); };
    const auto clear = [](std::string& s) { s.clear(); };
    CHECK(outcome(with_signature(token_hs, drop_last), ring_hs) == "bad signature");
    CHECK(outcome(with_signature(token_rs, drop_last), ring_rs) == "bad signature");
    CHECK(outcome(with_signature(token_hs, clear), ring_hs) == "bad signature");
  }
  SECTION("a token signed with another secret") {
    const auto other = jwt_key::hs256("h1", std::string(32, 'x'));
    CHECK(outcome(sign_jwt(claims(), other), ring_hs) == "bad signature");
  }
}

TEST_CASE("ES256 signatures must be exactly 64 bytes of R||S") {
  const auto& k = keys();
  const auto ring = ring_of(jwt_key::from_pem("e1", jwt_alg::es256, public_pem(k.ec)));
  const auto token = sign_jwt(claims(), jwt_key::from_pem("e1", jwt_alg::es256, private_pem(k.ec)));
  REQUIRE(outcome(token, ring) == "accepted");
  CHECK(outcome(with_signature(token, [](std::string& s) { s.pop_back(); }), ring)
        == "bad signature");
  CHECK(outcome(with_signature(token, [](std::string& s) { s += '\0'; }), ring) == "bad signature");
  CHECK(outcome(with_signature(token, [](std::string& s) { s.insert(0, 1, '\0'); }), ring)
        == "bad signature");

  SECTION("OpenSSL's own DER form of a valid signature is refused") {
    auto parts = split(token);
    const std::string input = parts.header + '.' + parts.payload;
    const md_ctx_ptr ctx{EVP_MD_CTX_new()};
    REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, k.ec.get()) == 1);
    std::string der(128, '\0');
    std::size_t len = der.size();
    REQUIRE(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &len,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size())
            == 1);
    der.resize(len);
    parts.signature = base64url_encode(der);
    CHECK(outcome(join(parts), ring) == "bad signature");
  }
}

// -- claims --------------------------------------------------------------------------------------

TEST_CASE("exp and nbf are checked with the leeway") {
  const auto key = jwt_key::hs256("h1", secret);
  const auto ring = ring_of(jwt_key::hs256("h1", secret));
  const auto with = [&](const json& patch) { return sign_jwt(claims(patch), key); };
  const double leeway = options().leeway_seconds;
  REQUIRE(leeway == 60);

  CHECK(outcome(with({{"exp", now - 3600}}), ring) == "token expired");
  CHECK(outcome(with({{"exp", now - leeway}}), ring) == "accepted");
  CHECK(outcome(with({{"exp", now - leeway - 0.5}}), ring) == "token expired");
  CHECK(outcome(with({{"nbf", now + 3600}}), ring) == "token not yet valid");
  CHECK(outcome(with({{"nbf", now + leeway}}), ring) == "accepted");
  CHECK(outcome(with({{"nbf", now + leeway + 0.5}}), ring) == "token not yet valid");

  SECTION("without leeway, the boundary is exact") {
    auto opt = options();
    opt.leeway_seconds = 0;
    CHECK(outcome(with({{"exp", now}}), ring, opt) == "accepted");
    CHECK(outcome(with({{"exp", now - 1}}), ring, opt) == "token expired");
    CHECK(outcome(with({{"nbf", now}}), ring, opt) == "accepted");
    CHECK(outcome(with({{"nbf", now + 1}}), ring, opt) == "token not yet valid");
  }
  SECTION("a missing exp is refused only when required") {
    const auto token = with({{"exp", nullptr}});
    CHECK(outcome(token, ring) == "missing exp");
    auto opt = options();
    opt.require_exp = false;
    CHECK(outcome(token, ring, opt) == "accepted");
  }
  SECTION("the signature is checked before the time") {
    const auto forged = sign_jwt(claims({{"exp", now - 3600}}), jwt_key::hs256("h1", "y" + secret));
    CHECK(outcome(forged, ring) == "bad signature");
  }
}

TEST_CASE("issuer, audience and subject are checked") {
  const auto key = jwt_key::hs256("h1", secret);
  const auto ring = ring_of(jwt_key::hs256("h1", secret));
  const auto with = [&](const json& patch) { return sign_jwt(claims(patch), key); };

  CHECK(outcome(with({{"iss", "someone-else"}}), ring) == "wrong issuer");
  CHECK(outcome(with({{"iss", nullptr}}), ring) == "wrong issuer");
  CHECK(outcome(with({{"aud", "another-service"}}), ring) == "wrong audience");
  CHECK(outcome(with({{"aud", {"a", "b"}}}), ring) == "wrong audience");
  CHECK(outcome(with({{"aud", json::array()}}), ring) == "wrong audience");
  CHECK(outcome(with({{"aud", nullptr}}), ring) == "wrong audience");
  CHECK(outcome(with({{"aud", {"a", "aia-node"}}}), ring) == "accepted");
  CHECK(outcome(with({{"sub", nullptr}}), ring) == "missing sub");
  CHECK(outcome(with({{"sub", ""}}), ring) == "missing sub");
  CHECK(outcome(with({{"sub", 42}}), ring) == "missing sub");

  SECTION("empty options check neither issuer nor audience") {
    jwt_verify_options opt;
    CHECK(outcome(with({{"iss", "x"}, {"aud", nullptr}}), ring, opt) == "accepted");
  }
  SECTION("an array aud is returned whole") {
    const auto result = verify_jwt(with({{"aud", {"a", "aia-node"}}}), ring, options(), now);
    REQUIRE(std::holds_alternative<jwt_claims>(result));
    CHECK(std::get<jwt_claims>(result).aud == std::vector<std::string>{"a", "aia-node"});
  }
}

TEST_CASE("the role is read from the configured claim") {
  const auto key = jwt_key::hs256("h1", secret);
  const auto ring = ring_of(jwt_key::hs256("h1", secret));
  auto opt = options();
  opt.role_claim = "https://aia.example/role";
  const auto token = sign_jwt(claims({{"https://aia.example/role", "admin"}}), key);
  const auto result = verify_jwt(token, ring, opt, now);
  REQUIRE(std::holds_alternative<jwt_claims>(result));
  CHECK(std::get<jwt_claims>(result).role == "admin");

  SECTION("an absent role is empty") {
    const auto no_role
        = verify_jwt(sign_jwt(claims({{"role", nullptr}}), key), ring, options(), now);
    REQUIRE(std::holds_alternative<jwt_claims>(no_role));
    CHECK(std::get<jwt_claims>(no_role).role.empty());
  }
}

TEST_CASE("claims of the wrong type make the token malformed") {
  const auto key = jwt_key::hs256("h1", secret);
  const auto ring = ring_of(jwt_key::hs256("h1", secret));
  for (const json& patch :
       {json{{"exp", "1700000600"}}, json{{"nbf", true}}, json{{"iat", json::array()}},
        json{{"aud", 7}}, json{{"aud", {"aia-node", 7}}}, json{{"iss", 1}}, json{{"role", 3}}}) {
    CAPTURE(patch.dump());
    CHECK(outcome(sign_jwt(claims(patch), key), ring) == "malformed token");
  }
}

// -- malformed tokens ----------------------------------------------------------------------------

TEST_CASE("malformed tokens are refused before any key is used") {
  const auto key = jwt_key::hs256("h1", secret);
  const auto ring = ring_of(jwt_key::hs256("h1", secret));
  const auto token = sign_jwt(claims(), key);
  const auto parts = split(token);
  const auto b64 = [](std::string_view s) { return base64url_encode(s); };

  CHECK(outcome("", ring) == "malformed token");
  CHECK(outcome(parts.header + '.' + parts.payload, ring) == "malformed token");
  CHECK(outcome(token + ".", ring) == "malformed token");
  CHECK(outcome(token + "." + parts.signature, ring) == "malformed token");
  CHECK(outcome("..", ring) == "malformed token");
  SECTION("characters outside base64url, and padding") {
    CHECK(outcome(parts.header + "+." + parts.payload + '.' + parts.signature, ring)
          == "malformed token");
    CHECK(outcome(parts.header + '.' + parts.payload + '.' + parts.signature + "=", ring)
          == "malformed token");
    CHECK(outcome(parts.header + "==." + parts.payload + '.' + parts.signature, ring)
          == "malformed token");
    CHECK(outcome(" " + token, ring) == "malformed token");
  }
  SECTION("headers that are not a JSON object with a string alg") {
    for (const char* header : {"not json", "[\"HS256\"]", "\"HS256\"", "{}", "{\"alg\":256}",
                               R"({"alg":"HS256","kid":1})", R"({"alg":"HS256"} trailing)"}) {
      CAPTURE(header);
      CHECK(outcome(b64(header) + '.' + parts.payload + '.' + parts.signature, ring)
            == "malformed token");
    }
  }
  SECTION("payloads that are not a JSON object") {
    for (const char* payload : {"[]", "42", "\"sub\"", "{\"sub\":", "null"}) {
      CAPTURE(payload);
      CHECK(outcome(raw_token(R"({"alg":"HS256","kid":"h1"})", payload, "sig"), ring)
            == "malformed token");
    }
  }
  SECTION("a token over the size limit") {
    auto opt = options();
    opt.max_token_bytes = token.size();
    CHECK(outcome(token, ring, opt) == "accepted");
    opt.max_token_bytes = token.size() - 1;
    CHECK(outcome(token, ring, opt) == "malformed token");
    const auto huge = sign_jwt(claims({{"pad", std::string(9000, 'x')}}), key);
    CHECK(outcome(huge, ring) == "malformed token");
  }
}

TEST_CASE("a refusal never repeats the secret or the token") {
  const std::string distinctive = "zebra-quartz-PLUTONIUM-42-do-not-leak!";
  const auto ring = ring_of(jwt_key::hs256("h1", distinctive));
  const auto token = sign_jwt(claims(), jwt_key::hs256("h1", distinctive + "?"));
  const auto reason = outcome(token, ring);
  CHECK(reason == "bad signature");
  CHECK(reason.find(distinctive) == std::string::npos);
  CHECK(reason.find(split(token).signature) == std::string::npos);
}

// -- key construction ----------------------------------------------------------------------------

TEST_CASE("keys too weak or of the wrong kind are refused") {
  const auto& k = keys();
  CHECK_THROWS_AS(jwt_key::hs256("h", std::string(31, 's')), std::invalid_argument);
  CHECK_NOTHROW(jwt_key::hs256("h", std::string(32, 's')));
  CHECK_THROWS_WITH(jwt_key::from_pem("weak", jwt_alg::rs256, public_pem(k.rsa_weak)),
                    Contains("2048"));
  CHECK_THROWS_WITH(jwt_key::from_pem("weak", jwt_alg::rs256, private_pem(k.rsa_weak)),
                    Contains("2048"));
  CHECK_THROWS_WITH(jwt_key::from_pem("p384", jwt_alg::es256, public_pem(k.ec_p384)),
                    Contains("P-256"));
  CHECK_THROWS_AS(jwt_key::from_pem("x", jwt_alg::es256, public_pem(k.rsa)), std::invalid_argument);
  CHECK_THROWS_AS(jwt_key::from_pem("x", jwt_alg::rs256, public_pem(k.ec)), std::invalid_argument);
  CHECK_THROWS_AS(jwt_key::from_pem("x", jwt_alg::hs256, public_pem(k.rsa)), std::invalid_argument);
}

TEST_CASE("unreadable PEM is refused without echoing it") {
  const std::string garbage
      = "-----BEGIN PUBLIC KEY-----\nTUlJQklqQU5CZ2txaGtpRzl3MEJBUUVGQUFPQ0FR\n"
        "-----END PUBLIC KEY-----\n";
  try {
    static_cast<void>(jwt_key::from_pem("k", jwt_alg::rs256, garbage));
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    CHECK_THAT(e.what(), Contains("\"k\""));
    CHECK_THAT(e.what(), !Contains("TUlJQklq"));
  }
  CHECK_THROWS_AS(jwt_key::from_pem("k", jwt_alg::rs256, ""), std::invalid_argument);
  const auto encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
                         "-----END ENCRYPTED PRIVATE KEY-----\n";
  CHECK_THROWS_AS(jwt_key::from_pem("k", jwt_alg::rs256, encrypted), std::invalid_argument);
}

TEST_CASE("traditional RSA and EC private keys are read too") {
  const auto& k = keys();
  const auto rsa_pem = to_pem(k.rsa.get(), pem_kind::traditional_private_key);
  const auto ec_pem = to_pem(k.ec.get(), pem_kind::traditional_private_key);
  REQUIRE_THAT(rsa_pem, Contains("BEGIN RSA PRIVATE KEY"));
  REQUIRE_THAT(ec_pem, Contains("BEGIN EC PRIVATE KEY"));
  const auto rsa = jwt_key::from_pem("r1", jwt_alg::rs256, rsa_pem);
  const auto ec = jwt_key::from_pem("e1", jwt_alg::es256, ec_pem);
  CHECK(rsa.can_sign());
  CHECK(outcome(sign_jwt(claims(), rsa),
                ring_of(jwt_key::from_pem("r1", jwt_alg::rs256, public_pem(k.rsa))))
        == "accepted");
  CHECK(outcome(sign_jwt(claims(), ec),
                ring_of(jwt_key::from_pem("e1", jwt_alg::es256, public_pem(k.ec))))
        == "accepted");
}

TEST_CASE("sign_jwt needs a private key and a JSON object") {
  const auto& k = keys();
  const auto public_only = jwt_key::from_pem("r1", jwt_alg::rs256, public_pem(k.rsa));
  CHECK_THROWS_AS(sign_jwt(claims(), public_only), std::invalid_argument);
  const auto key = jwt_key::hs256("h1", secret);
  for (const char* payload : {"", "[]", "\"x\"", "{", "{} {}"}) {
    CAPTURE(payload);
    CHECK_THROWS_AS(sign_jwt(payload, key), std::invalid_argument);
  }
  SECTION("the payload text is signed as given") {
    const std::string payload = R"({ "sub" : "u1",  "exp" : 1700000600 })";
    const auto token = sign_jwt(payload, key);
    CHECK(base64url_decode(split(token).payload) == payload);
  }
}

// -- JWKS ----------------------------------------------------------------------------------------

TEST_CASE("a JWKS with an RSA and an EC key verifies tokens of both") {
  const auto& k = keys();
  auto rsa_jwk = jwk_of(k.rsa, "rsa-1");
  rsa_jwk["alg"] = "RS256";
  rsa_jwk["use"] = "sig";
  const auto ec_jwk = jwk_of(k.ec, "ec-1");
  jwt_key_ring ring;
  ring.add_jwks(jwks_of({rsa_jwk, ec_jwk}));
  REQUIRE(ring.size() == 2);
  CHECK(ring.find("rsa-1")->alg() == jwt_alg::rs256);
  CHECK(ring.find("ec-1")->alg() == jwt_alg::es256);
  CHECK_FALSE(ring.find("ec-1")->can_sign());

  const auto rsa_signer = jwt_key::from_pem("rsa-1", jwt_alg::rs256, private_pem(k.rsa));
  const auto ec_signer = jwt_key::from_pem("ec-1", jwt_alg::es256, private_pem(k.ec));
  CHECK(outcome(sign_jwt(claims(), rsa_signer), ring) == "accepted");
  CHECK(outcome(sign_jwt(claims(), ec_signer), ring) == "accepted");

  SECTION("a token signed by another private key under a JWKS kid is refused") {
    const auto impostor = jwt_key::from_pem("ec-1", jwt_alg::es256, private_pem(k.ec_old));
    CHECK(outcome(sign_jwt(claims(), impostor), ring) == "bad signature");
  }
}

TEST_CASE("JWKS keys not for signatures are skipped") {
  auto enc = jwk_of(keys().ec, "enc-1");
  enc["use"] = "enc";
  jwt_key_ring ring;
  ring.add_jwks(jwks_of({enc, jwk_of(keys().ec_old, "sig-1")}));
  CHECK(ring.size() == 1);
  CHECK(ring.find("enc-1") == nullptr);
}

TEST_CASE("a bad JWKS key throws naming its index and changes nothing") {
  const auto& k = keys();
  const auto good = jwk_of(k.rsa, "rsa-1");
  jwt_key_ring ring;
  ring.add(jwt_key::hs256("h1", secret));
  const auto refused = [&](json bad) {
    CHECK_THROWS_WITH(ring.add_jwks(jwks_of({good, std::move(bad)})), Contains("key 1"));
    CHECK(ring.size() == 1); // the good key 0 was not added either
  };

  SECTION("alg does not match kty") {
    auto ec = jwk_of(k.ec, "ec-1");
    ec["alg"] = "RS256";
    refused(ec);
    auto rsa = jwk_of(k.rsa_weak, "rsa-2");
    rsa["alg"] = "HS256";
    refused(rsa);
  }
  SECTION("missing kid, or a kid already present") {
    auto no_kid = jwk_of(k.ec, "x");
    no_kid.erase("kid");
    refused(no_kid);
    refused(jwk_of(k.ec, "rsa-1"));
    refused(jwk_of(k.ec, "h1"));
  }
  SECTION("weak, foreign or broken keys") {
    refused(jwk_of(k.rsa_weak, "weak"));
    auto p384 = jwk_of(k.ec, "p384");
    p384["crv"] = "P-384";
    refused(p384);
    auto off_curve = jwk_of(k.ec, "off");
    auto y = *base64url_decode(off_curve["y"].get<std::string>());
    y[31] = static_cast<char>(y[31] ^ 1);
    off_curve["y"] = base64url_encode(y);
    refused(off_curve);
    auto short_x = jwk_of(k.ec, "short");
    short_x["x"] = base64url_encode(std::string(31, 'x'));
    refused(short_x);
    refused(json{{"kty", "oct"}, {"kid", "o"}, {"k", base64url_encode(secret)}});
    refused(json{{"kty", "RSA"}, {"kid", "r"}, {"n", "not base64url!"}, {"e", "AQAB"}});
    refused(json::array());
  }
  SECTION("not a JWKS at all") {
    CHECK_THROWS_AS(ring.add_jwks("[]"), std::invalid_argument);
    CHECK_THROWS_AS(ring.add_jwks(R"({"keys":{}})"), std::invalid_argument);
    CHECK_THROWS_AS(ring.add_jwks("{"), std::invalid_argument);
    CHECK(ring.size() == 1);
  }
}
