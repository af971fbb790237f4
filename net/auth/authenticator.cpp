// Bearer tokens to principals, and the key ring of the node's auth settings.
#include "net/auth/authenticator.hpp"

#include <nlohmann/json.hpp>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace aia::net::auth {

namespace {

/// The whole file at `path`; throws std::invalid_argument naming `key` (the setting) if unreadable.
std::string read_file(const std::string& path, std::string_view key) {
  std::ifstream in{path, std::ios::binary};
  if (!in) {
    throw std::invalid_argument(std::string{key} + ": cannot read " + path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x))
                  == std::tolower(static_cast<unsigned char>(y));
         });
}

/// Adds the keys of "kid:ALG:/path.pem,..." (auth.pem_keys).
void add_pem_keys(jwt_key_ring& ring, std::string_view list) {
  constexpr std::string_view key = "auth.pem_keys";
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (item.empty()) {
      continue;
    }
    auto c1 = item.find(':');
    auto c2 = c1 == std::string_view::npos ? c1 : item.find(':', c1 + 1);
    if (c2 == std::string_view::npos || c1 == 0) {
      throw std::invalid_argument(std::string{key} + ": each entry must be kid:ALG:path");
    }
    auto kid = std::string{item.substr(0, c1)};
    auto alg_name = item.substr(c1 + 1, c2 - c1 - 1);
    jwt_alg alg;
    if (alg_name == "RS256") {
      alg = jwt_alg::rs256;
    } else if (alg_name == "ES256") {
      alg = jwt_alg::es256;
    } else {
      throw std::invalid_argument(std::string{key} + ": key " + kid
                                  + ": the algorithm must be RS256 or ES256");
    }
    auto path = std::string{item.substr(c2 + 1)};
    try {
      ring.add(jwt_key::from_pem(kid, alg, read_file(path, key)));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string{key} + ": key " + kid + ": " + e.what());
    }
  }
}

std::string random_secret() {
  std::string s(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(s.data()), static_cast<int>(s.size())) != 1) {
    throw std::runtime_error("auth: no randomness for the development key");
  }
  return s;
}

} // namespace

authenticator::authenticator(const auth_settings& s) {
  opt_.issuer = s.issuer;
  opt_.audience = s.audience;
  opt_.leeway_seconds = s.leeway_seconds;
  opt_.role_claim = s.role_claim;
  if (!s.hs256_secret_file.empty()) {
    auto secret = std::string{trim(read_file(s.hs256_secret_file, "auth.hs256_secret_file"))};
    try {
      keys_.add(jwt_key::hs256(s.hs256_kid, std::move(secret)));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string{"auth.hs256_secret_file: "} + e.what());
    }
  }
  add_pem_keys(keys_, s.pem_keys);
  if (!s.jwks_file.empty()) {
    try {
      keys_.add_jwks(read_file(s.jwks_file, "auth.jwks_file"));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string{"auth.jwks_file: "} + e.what());
    }
  }
  if (s.dev) {
    keys_.add(jwt_key::hs256("dev", random_secret()));
    dev_key_ = keys_.find("dev");
  }
  if (keys_.size() == 0) {
    throw std::invalid_argument(
      "auth: no key to verify tokens with; set auth.hs256_secret_file, auth.pem_keys or "
      "auth.jwks_file (or --dev for development)");
  }
}

std::variant<principal, auth_failure> authenticator::verify(std::string_view token,
                                                            double now) const {
  auto checked = verify_jwt(token, keys_, opt_, now);
  if (auto* err = std::get_if<jwt_error>(&checked)) {
    return auth_failure{401, err->reason};
  }
  auto& claims = std::get<jwt_claims>(checked);
  // No role claim: the least privilege. An unknown role gets nothing at all.
  auto r = claims.role.empty() ? std::optional{role::user} : parse_role(claims.role);
  if (!r) {
    return auth_failure{403, "the token's role is not one of user, analyst, admin"};
  }
  return principal{std::move(claims.sub), *r,
                   claims.exp ? *claims.exp + opt_.leeway_seconds : 0.0};
}

std::vector<dev_token> authenticator::dev_tokens(double now, double ttl_seconds) const {
  std::vector<dev_token> out;
  if (dev_key_ == nullptr) {
    return out;
  }
  auto issue = [&](const std::string& sub, role r) {
    nlohmann::json payload{{"sub", sub},
                           {"role", std::string{to_string(r)}},
                           {"iat", static_cast<long long>(now)},
                           {"exp", static_cast<long long>(now + ttl_seconds)}};
    if (!opt_.issuer.empty()) {
      payload["iss"] = opt_.issuer;
    }
    if (!opt_.audience.empty()) {
      payload["aud"] = opt_.audience;
    }
    out.push_back(dev_token{sub, r, sign_jwt(payload.dump(), *dev_key_)});
  };
  issue("user123", role::user);
  issue("admin", role::admin);
  return out;
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  authorization = trim(authorization);
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() <= scheme.size()
      || !iequals(authorization.substr(0, scheme.size()), scheme)) {
    return std::nullopt;
  }
  auto token = trim(authorization.substr(scheme.size()));
  return token.empty() ? std::nullopt : std::optional{token};
}

std::optional<std::string_view> subprotocol_token(std::string_view protocols) {
  // "bearer, <token>": the first entry names the scheme, the second is the token.
  auto comma = protocols.find(',');
  if (comma == std::string_view::npos
      || !iequals(trim(protocols.substr(0, comma)), bearer_subprotocol)) {
    return std::nullopt;
  }
  auto rest = protocols.substr(comma + 1);
  auto token = trim(rest.substr(0, rest.find(',')));
  return token.empty() ? std::nullopt : std::optional{token};
}

std::optional<std::string_view> query_token(std::string_view target) {
  auto q = target.find('?');
  if (q == std::string_view::npos) {
    return std::nullopt;
  }
  auto query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto param = query.substr(0, amp);
    if (param.substr(0, 6) == "token=") {
      auto token = param.substr(6);
      return token.empty() ? std::nullopt : std::optional{token};
    }
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return std::nullopt;
}

} // namespace aia::net::auth
