// JSON Web Tokens: strict base64url, signing, and the checks of verify_jwt in the order jwt.hpp
// documents. The keys (HS256/RS256/ES256 with OpenSSL 3, PEM, JWKS) are in jwt_keys.cpp.
#include "net/auth/jwt.hpp"

#include "net/auth/detail/jwt_key_impl.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <exception>
#include <stdexcept>
#include <utility>

namespace aia::net::auth {

namespace {

using nlohmann::json;

// Reasons of verify_jwt, spelled once.
constexpr std::string_view malformed = "malformed token";
constexpr std::string_view unsupported_alg = "unsupported algorithm";
constexpr std::string_view unsupported_crit = "unsupported critical header";
constexpr std::string_view unknown_key = "unknown key";
constexpr std::string_view alg_mismatch = "algorithm does not match the key";
constexpr std::string_view bad_signature = "bad signature";
constexpr std::string_view expired = "token expired";
constexpr std::string_view not_yet_valid = "token not yet valid";
constexpr std::string_view wrong_issuer = "wrong issuer";
constexpr std::string_view wrong_audience = "wrong audience";
constexpr std::string_view missing_exp = "missing exp";
constexpr std::string_view missing_sub = "missing sub";

// -- base64url -----------------------------------------------------------------------------------

constexpr std::string_view b64_alphabet
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The 6-bit value of each base64url character, -1 for every other byte.
constexpr std::array<std::int8_t, 256> b64_values = [] {
  std::array<std::int8_t, 256> table{};
  table.fill(-1);
  for (std::size_t i = 0; i < b64_alphabet.size(); ++i) {
    table[static_cast<unsigned char>(b64_alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}();

} // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t acc = 0; // only the low `bits` bits matter: older ones are shifted out
  int bits = 0;
  for (const unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += b64_alphabet[(acc >> bits) & 0x3F];
    }
  }
  if (bits > 0) {
    out += b64_alphabet[(acc << (6 - bits)) & 0x3F];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) {
    return std::nullopt; // a lone last character holds 6 bits: not even one byte
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : text) {
    const int value = b64_values[static_cast<unsigned char>(c)];
    if (value < 0) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero, or several texts would decode to the same bytes.
  if ((acc & ((1U << bits) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

std::string_view to_string(jwt_alg a) noexcept {
  switch (a) {
  case jwt_alg::hs256:
    return "HS256";
  case jwt_alg::rs256:
    return "RS256";
  case jwt_alg::es256:
    return "ES256";
  }
  return "";
}

// -- tokens --------------------------------------------------------------------------------------

namespace {

jwt_error refuse(std::string_view reason) {
  return jwt_error{std::string(reason)};
}

/// The three parts of a compact JWS, decoded.
struct jws_parts {
  std::string_view signing_input; ///< "header.payload" as received: what the signature covers
  std::string header;
  std::string payload;
  std::string signature;
};

/// nullopt unless `token` has exactly three parts, all strict base64url.
std::optional<jws_parts> split_token(std::string_view token) {
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  auto header = base64url_decode(token.substr(0, dot1));
  auto payload = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!header || !payload || !signature) {
    return std::nullopt;
  }
  return jws_parts{token.substr(0, dot2), std::move(*header), std::move(*payload),
                   std::move(*signature)};
}

/// `text` as a JSON object, or nullopt (a parse error is not an exception here).
std::optional<json> parse_object(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (!j.is_object()) {
    return std::nullopt;
  }
  return j;
}

std::optional<jwt_alg> parse_alg(std::string_view name) {
  for (const auto a : {jwt_alg::hs256, jwt_alg::rs256, jwt_alg::es256}) {
    if (to_string(a) == name) {
      return a;
    }
  }
  return std::nullopt;
}

/// The key the header selects, or why there is none: "alg", "crit", then "kid".
std::variant<const jwt_key*, jwt_error> select_key(const json& header, const jwt_key_ring& keys) {
  const auto alg_it = header.find("alg");
  const auto kid_it = header.find("kid");
  if (alg_it == header.end() || !alg_it->is_string()
      || (kid_it != header.end() && !kid_it->is_string())) {
    return refuse(malformed);
  }
  const auto alg = parse_alg(alg_it->get_ref<const std::string&>());
  if (!alg) {
    return refuse(unsupported_alg);
  }
  // No header extension is understood here, so a token that needs one is refused (RFC 7515 4.1.11).
  if (header.contains("crit")) {
    return refuse(unsupported_crit);
  }
  const jwt_key* key
      = keys.find(kid_it == header.end() ? "" : kid_it->get_ref<const std::string&>());
  if (key == nullptr) {
    return refuse(unknown_key);
  }
  if (key->alg() != *alg) {
    return refuse(alg_mismatch); // e.g. HS256 "signed" with an RSA public key as the secret
  }
  return key;
}

/// True if `name` is absent from `obj` or holds a value `accept` takes.
template <class Accept>
bool absent_or(const json& obj, const std::string& name, Accept accept) {
  const auto it = obj.find(name);
  return it == obj.end() || accept(*it);
}

bool is_number(const json& j) {
  return j.is_number();
}

bool is_string(const json& j) {
  return j.is_string();
}

bool is_audience(const json& j) {
  return j.is_string() || (j.is_array() && std::all_of(j.begin(), j.end(), [](const json& a) {
                             return a.is_string();
                           }));
}

std::optional<double> number_claim(const json& payload, const char* name) {
  const auto it = payload.find(name);
  return it == payload.end() ? std::nullopt : std::optional<double>(it->get<double>());
}

std::string string_claim(const json& payload, const std::string& name) {
  const auto it = payload.find(name);
  return it != payload.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// The claims of `payload`, or nullopt if one the node reads has the wrong type.
std::optional<jwt_claims> read_claims(const json& payload, const std::string& role_claim) {
  const bool well_typed
      = absent_or(payload, "exp", is_number) && absent_or(payload, "nbf", is_number)
        && absent_or(payload, "iat", is_number) && absent_or(payload, "iss", is_string)
        && absent_or(payload, "aud", is_audience) && absent_or(payload, role_claim, is_string);
  if (!well_typed) {
    return std::nullopt;
  }
  jwt_claims c;
  c.sub = string_claim(payload, "sub"); // a non-string "sub" is refused later as missing
  c.role = string_claim(payload, role_claim);
  c.iss = string_claim(payload, "iss");
  if (const auto aud = payload.find("aud"); aud != payload.end()) {
    c.aud = aud->is_string() ? std::vector{aud->get<std::string>()}
                             : aud->get<std::vector<std::string>>();
  }
  c.exp = number_claim(payload, "exp");
  c.nbf = number_claim(payload, "nbf");
  c.iat = number_claim(payload, "iat");
  return c;
}

/// Why the (authentic) claims are refused at `now`, or nullopt.
std::optional<jwt_error> check_claims(const jwt_claims& c, const jwt_verify_options& opt,
                                      double now) {
  if (!c.exp && opt.require_exp) {
    return refuse(missing_exp);
  }
  if (c.exp && now > *c.exp + opt.leeway_seconds) {
    return refuse(expired);
  }
  if (c.nbf && now + opt.leeway_seconds < *c.nbf) {
    return refuse(not_yet_valid);
  }
  if (!opt.issuer.empty() && c.iss != opt.issuer) {
    return refuse(wrong_issuer);
  }
  if (!opt.audience.empty() && std::find(c.aud.begin(), c.aud.end(), opt.audience) == c.aud.end()) {
    return refuse(wrong_audience);
  }
  if (c.sub.empty()) {
    return refuse(missing_sub);
  }
  return std::nullopt;
}

std::variant<jwt_claims, jwt_error> verify_unguarded(std::string_view token,
                                                     const jwt_key_ring& keys,
                                                     const jwt_verify_options& opt, double now) {
  if (token.size() > opt.max_token_bytes) {
    return refuse(malformed);
  }
  const auto parts = split_token(token);
  const auto header = parts ? parse_object(parts->header) : std::nullopt;
  if (!header) {
    return refuse(malformed);
  }
  const auto selected = select_key(*header, keys);
  if (const auto* e = std::get_if<jwt_error>(&selected)) {
    return *e;
  }
  const auto payload = parse_object(parts->payload);
  auto claims = payload ? read_claims(*payload, opt.role_claim) : std::nullopt;
  if (!claims) {
    return refuse(malformed);
  }
  if (!std::get<const jwt_key*>(selected)->get().verifies(parts->signing_input, parts->signature)) {
    return refuse(bad_signature);
  }
  if (auto e = check_claims(*claims, opt, now)) {
    return std::move(*e);
  }
  return std::move(*claims);
}

} // namespace

std::variant<jwt_claims, jwt_error> verify_jwt(std::string_view token, const jwt_key_ring& keys,
                                               const jwt_verify_options& opt, double now) {
  // Nothing may escape into the gateway's async chain; whatever throws (nlohmann, memory)
  // means this token is not one we accept.
  try {
    return verify_unguarded(token, keys, opt, now);
  } catch (const std::exception&) {
    return refuse(malformed);
  }
}

std::string sign_jwt(std::string_view payload_json, const jwt_key& key) {
  if (!key.can_sign()) {
    throw std::invalid_argument("sign_jwt: the key holds no private material");
  }
  if (!parse_object(payload_json)) {
    throw std::invalid_argument("sign_jwt: the payload is not a JSON object");
  }
  json header = {{"alg", std::string(to_string(key.alg()))}, {"typ", "JWT"}};
  if (!key.kid().empty()) {
    header["kid"] = key.kid(); // without a kid, a ring with a single key still finds it
  }
  std::string token = base64url_encode(header.dump()) + '.' + base64url_encode(payload_json);
  const std::string signature = key.get().sign(token);
  return token + '.' + base64url_encode(signature);
}

} // namespace aia::net::auth
