// libFuzzer harness: net::auth::verify_jwt and base64url over any bytes. The input is tried as a
// token, as base64url text (strict round trip), and as a claims object signed with the ring's
// HS256 key (a token we sign ourselves must never fail on its signature, key or algorithm).
#include "net/auth/jwt.hpp"

#include "tests/fuzz/fuzz_keys.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

namespace {

using namespace aia::net::auth;

/// The harness's key ring: HS256 "k" (can sign) and ES256 "e" (public only).
struct fixture {
  jwt_key_ring ring;
  const jwt_key* signer = nullptr;
  jwt_verify_options options;

  fixture() {
    ring.add(
        jwt_key::hs256(std::string{aia::fuzz::hs256_kid}, std::string{aia::fuzz::hs256_secret}));
    ring.add(jwt_key::from_pem(std::string{aia::fuzz::es256_kid}, jwt_alg::es256,
                               aia::fuzz::es256_public_pem));
    signer = ring.find(aia::fuzz::hs256_kid);
    options.issuer = aia::fuzz::issuer;
    options.audience = aia::fuzz::audience;
  }
};

const fixture& the_fixture() {
  static const fixture f;
  return f;
}

void require(bool ok) {
  if (!ok) {
    std::abort();
  }
}

/// base64url_decode is the strict inverse of base64url_encode, in both directions.
void check_base64url(std::string_view input) {
  if (auto decoded = base64url_decode(input)) {
    require(base64url_encode(*decoded) == input);
  }
  auto back = base64url_decode(base64url_encode(input));
  require(back.has_value() && *back == input);
}

/// Signs `payload` if it is a JSON object and checks that verification gets past the signature.
void check_sign_verify(const fixture& f, std::string_view payload) {
  std::string token;
  try {
    token = sign_jwt(payload, *f.signer);
  } catch (const std::invalid_argument&) {
    return; // not a JSON object
  }
  auto result = verify_jwt(token, f.ring, f.options, aia::fuzz::fixed_now);
  if (auto* err = std::get_if<jwt_error>(&result)) {
    // Malformed claims, expiry, issuer, audience or sub may refuse it; nothing about the key.
    require(err->reason != "bad signature" && err->reason != "unknown key"
            && err->reason != "unsupported algorithm"
            && err->reason != "algorithm does not match the key");
  } else {
    const auto& claims = std::get<jwt_claims>(result);
    require(!claims.sub.empty() && claims.exp.has_value());
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& f = the_fixture();
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  auto result = verify_jwt(input, f.ring, f.options, aia::fuzz::fixed_now);
  if (auto* err = std::get_if<jwt_error>(&result)) {
    require(!err->reason.empty());
  }
  check_base64url(input);
  check_sign_verify(f, input);
  return 0;
}
