// JSON Web Tokens (RFC 7519, JWS compact form, RFC 7515) signed with HS256, RS256 or ES256,
// verified with OpenSSL against a key ring selected by `kid`. No Beast, no CAF.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace aia::net::auth {

/// The signature algorithms accepted; anything else (e.g. "none", "HS512") is refused.
enum class jwt_alg : std::uint8_t { hs256, rs256, es256 };

/// "HS256", "RS256", "ES256".
[[nodiscard]] std::string_view to_string(jwt_alg a) noexcept;

/// One verification key. A key has exactly one algorithm: a token naming another algorithm is
/// refused even if the bytes would verify (no RS/HS confusion).
class jwt_key {
public:
  /// HS256 with a shared secret (at least 32 bytes; throws std::invalid_argument otherwise).
  static jwt_key hs256(std::string kid, std::string secret);
  /// RS256 (RSA, >= 2048 bits) or ES256 (EC P-256) from a PEM public key, or a PEM private key
  /// (then it can sign as well). Throws std::invalid_argument with the reason (never the key).
  static jwt_key from_pem(std::string kid, jwt_alg alg, std::string_view pem);

  jwt_key(jwt_key&&) noexcept;
  jwt_key& operator=(jwt_key&&) noexcept;
  ~jwt_key();

  [[nodiscard]] const std::string& kid() const noexcept;
  [[nodiscard]] jwt_alg alg() const noexcept;
  /// True if the key holds private material (an HS secret or a PEM private key).
  [[nodiscard]] bool can_sign() const noexcept;

  struct impl;
  [[nodiscard]] const impl& get() const noexcept { return *impl_; }

private:
  friend class jwt_key_ring; // add_jwks builds keys from JWK parameters, not from PEM text
  explicit jwt_key(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

/// The verification keys of the node, by `kid`. Several keys at once let keys rotate: sign new
/// tokens with the new key while the old one still verifies the tokens already issued.
class jwt_key_ring {
public:
  /// Adds a key; throws std::invalid_argument if its kid is already present.
  void add(jwt_key k);
  /// Adds every RS256/ES256 key of a JWKS document (RFC 7517: "kty" RSA with "n"/"e", or EC
  /// P-256 with "x"/"y"; "alg" if present must match; keys with "use" other than "sig" are
  /// skipped). Throws std::invalid_argument naming the key index and the reason.
  void add_jwks(std::string_view jwks_json);

  /// The key with this kid; with an empty kid, the only key if there is exactly one.
  [[nodiscard]] const jwt_key* find(std::string_view kid) const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return keys_.size(); }

private:
  std::vector<jwt_key> keys_;
};

/// The claims the node uses.
struct jwt_claims {
  std::string sub;                 ///< the user id
  std::string role;                ///< "user", "analyst" or "admin" (claim name in options)
  std::string iss;
  std::vector<std::string> aud;    ///< "aud" as a string or an array
  std::optional<double> exp;       ///< seconds since the epoch
  std::optional<double> nbf;
  std::optional<double> iat;
};

/// What verification checks besides the signature.
struct jwt_verify_options {
  std::string issuer;              ///< required "iss" (empty = not checked)
  std::string audience;            ///< must be in "aud" (empty = not checked)
  double leeway_seconds = 60;      ///< clock skew allowed on exp and nbf
  bool require_exp = true;         ///< a token without "exp" is refused
  std::string role_claim = "role"; ///< where the role is read from
  std::size_t max_token_bytes = 8192;
};

/// Why a token was refused: a short reason for the 401 body. Never contains the token or a key.
struct jwt_error {
  std::string reason;
};

/// Verifies a compact JWS token at time `now` (seconds since the epoch): structure, base64url,
/// header JSON ("alg" one of the three, equal to the key's; "kid" selecting the key; "crit"
/// refused), signature (constant-time for HS256), then exp / nbf with leeway, iss, aud, and a
/// non-empty string "sub". Reasons include: "malformed token", "unsupported algorithm",
/// "unknown key", "algorithm does not match the key", "bad signature", "token expired",
/// "token not yet valid", "wrong issuer", "wrong audience", "missing exp", "missing sub".
[[nodiscard]] std::variant<jwt_claims, jwt_error> verify_jwt(std::string_view token,
                                                             const jwt_key_ring& keys,
                                                             const jwt_verify_options& opt,
                                                             double now);

/// Signs `payload_json` (a JSON object, given as text) with `key` into a compact token whose
/// header carries the key's alg and kid. Throws std::invalid_argument if the key cannot sign.
/// Used by the development mode, the tests and the load generator.
[[nodiscard]] std::string sign_jwt(std::string_view payload_json, const jwt_key& key);

/// base64url without padding (RFC 4648 §5), and its strict inverse (nullopt on any character
/// outside the alphabet, on padding, or on non-zero trailing bits).
[[nodiscard]] std::string base64url_encode(std::string_view bytes);
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);

} // namespace aia::net::auth
