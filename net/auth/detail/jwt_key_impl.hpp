// The inside of a jwt_key, shared by the key code (jwt_keys.cpp) and the token code (jwt.cpp).
#pragma once

#include "net/auth/detail/openssl.hpp"
#include "net/auth/jwt.hpp"

#include <openssl/crypto.h>

#include <string>
#include <string_view>

namespace aia::net::auth {

struct jwt_key::impl {
  std::string kid;
  jwt_alg alg = jwt_alg::hs256;
  std::string secret;     ///< HS256 only
  detail::pkey_ptr pkey;  ///< RS256 and ES256 only
  bool can_sign = false;

  impl() = default;
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;
  ~impl() { OPENSSL_cleanse(secret.data(), secret.size()); }

  /// The JWS signature of `input` (R||S for ES256); defined in jwt_keys.cpp.
  [[nodiscard]] std::string sign(std::string_view input) const;
  /// True if `signature` is this key's on `input` (constant-time for HS256).
  [[nodiscard]] bool verifies(std::string_view input, std::string_view signature) const;
};

} // namespace aia::net::auth
