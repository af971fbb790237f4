// Fuzzing fixtures shared by the harnesses and the seed generator: the fixed clock, the HS256
// key the JWT and HTTP harnesses trust, and a public ES256 key. Fuzzing only; no node trusts them.
#pragma once

#include <string_view>

namespace aia::fuzz {

/// The harnesses' clock (2023-11-14T22:13:20Z): parsing never reads the wall clock, so a run
/// is reproducible. (router::handle reads it itself; seeds are valid until 2100 to stay clear.)
inline constexpr double fixed_now = 1700000000.0;

/// Expiry of the seed tokens (2100-01-01T00:00:00Z).
inline constexpr long long seed_token_exp = 4102444800;

/// The HS256 key: kid and secret (>= 32 bytes).
inline constexpr std::string_view hs256_kid = "k";
inline constexpr std::string_view hs256_secret = "aia-fuzz-only-secret-0123456789-abcdefghij";

/// An ES256 (P-256) public key, kid "e": seeds carry ES256 headers with a 64-byte signature, so
/// the fuzzer reaches the R||S to DER conversion and OpenSSL's verification with it.
inline constexpr std::string_view es256_kid = "e";
inline constexpr std::string_view es256_public_pem = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEkKF7duGrLjVFDylRNYIEx+A8F+ea
ZXqCQr79xenSMMm+nVD3uWZ0EaPH06PzLnLwc7qeu1ZGGWDPfkJFo8GMMA==
-----END PUBLIC KEY-----
)";

/// The issuer and audience the node (and the HTTP harness's authenticator) expects by default.
inline constexpr std::string_view issuer = "aia-node";
inline constexpr std::string_view audience = "aia-personalization";

/// The WebSocket path user of fuzz_ws_message.
inline constexpr std::string_view ws_path_user = "user123";

} // namespace aia::fuzz
