// From a request's credentials to a principal: where the token is taken from, how it is
// verified, and the node's key ring built from its settings. Plain C++ (no Beast).
#pragma once

#include "net/auth/access.hpp"
#include "net/auth/jwt.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace aia::net::auth {

/// How the node verifies tokens (from the `auth.*` configuration keys).
struct auth_settings {
  std::string issuer = "aia-node";
  std::string audience = "aia-personalization";
  double leeway_seconds = 60;
  std::string role_claim = "role";
  std::string hs256_secret_file;  ///< file holding an HS256 secret (>= 32 bytes, one line)
  std::string hs256_kid = "default";
  std::string pem_keys;           ///< "kid:RS256:/path.pem,kid2:ES256:/other.pem"
  std::string jwks_file;          ///< a JWKS document of RS256/ES256 public keys
  bool dev = false;               ///< add a random development key and issue demo tokens
};

/// Why a request is refused: 401 (no or bad token) or 403 (valid token, no known role).
struct auth_failure {
  int status = 401;
  std::string reason;
};

/// A token issued by the development mode, to print at start.
struct dev_token {
  std::string subject;
  auth::role role;
  std::string token;
};

/// Verifies bearer tokens against the node's keys. Immutable once built: shared by every
/// connection of the gateway without locking.
class authenticator {
public:
  /// Builds the key ring from `s`; throws std::invalid_argument naming the `auth.*` key at
  /// fault (never a secret) when a key cannot be loaded, or when there is no key at all.
  explicit authenticator(const auth_settings& s);

  /// The principal of `token` at time `now` (seconds since the epoch).
  [[nodiscard]] std::variant<principal, auth_failure> verify(std::string_view token,
                                                             double now) const;

  /// Tokens for the development mode (empty unless settings.dev): the spec's demo user
  /// "user123" with role user, and "admin" with role admin, valid for `ttl_seconds`.
  [[nodiscard]] std::vector<dev_token> dev_tokens(double now, double ttl_seconds) const;

private:
  jwt_key_ring keys_;
  jwt_verify_options opt_;
  const jwt_key* dev_key_ = nullptr;
};

/// The token of an `Authorization` header value: "Bearer <token>" (scheme case-insensitive),
/// or nullopt.
[[nodiscard]] std::optional<std::string_view> bearer_token(std::string_view authorization);

/// The token offered as WebSocket subprotocols "bearer, <token>" (browsers cannot set headers
/// on a WebSocket), or nullopt. The server answers with the subprotocol "bearer".
[[nodiscard]] std::optional<std::string_view> subprotocol_token(std::string_view protocols);

/// The value of the `token` query parameter of a request target, or nullopt. Tokens are
/// base64url and dots, so no percent-decoding is needed (a '%' makes the token malformed).
[[nodiscard]] std::optional<std::string_view> query_token(std::string_view target);

/// The subprotocol the node selects when the token came as a subprotocol.
inline constexpr std::string_view bearer_subprotocol = "bearer";

} // namespace aia::net::auth
