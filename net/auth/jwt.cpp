// JSON Web Tokens with OpenSSL 3: strict base64url, HS256/RS256/ES256 keys (secret, PEM, JWKS),
// signing, and the checks of verify_jwt in the order jwt.hpp documents.
#include "net/auth/jwt.hpp"

#include <nlohmann/json.hpp>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <exception>
#include <iterator>
#include <new>
#include <stdexcept>
#include <utility>

namespace aia::net::auth {

namespace {

using nlohmann::json;

constexpr std::size_t min_hs256_secret_bytes = 32;
constexpr int min_rsa_bits = 2048;
constexpr int es256_coordinate_bytes = 32; // one of R, S, x, y on P-256
constexpr std::size_t max_pem_bytes = 64 * 1024;

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

// -- OpenSSL ownership ---------------------------------------------------------------------------

/// Calls an OpenSSL free function, so that unique_ptr can own OpenSSL objects.
template <auto Free>
struct openssl_free {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

using bio_ptr = std::unique_ptr<BIO, openssl_free<BIO_free>>;
using bn_ptr = std::unique_ptr<BIGNUM, openssl_free<BN_free>>;
using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, openssl_free<ECDSA_SIG_free>>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, openssl_free<EVP_MD_CTX_free>>;
using param_bld_ptr = std::unique_ptr<OSSL_PARAM_BLD, openssl_free<OSSL_PARAM_BLD_free>>;
using params_ptr = std::unique_ptr<OSSL_PARAM, openssl_free<OSSL_PARAM_free>>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, openssl_free<EVP_PKEY_CTX_free>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_free<EVP_PKEY_free>>;

const unsigned char* bytes(std::string_view s) noexcept {
  return reinterpret_cast<const unsigned char*>(s.data());
}

unsigned char* bytes(std::string& s) noexcept {
  return reinterpret_cast<unsigned char*>(s.data());
}

/// Throws for a failure that only a broken OpenSSL or exhausted memory can cause. The error
/// queue is cleared so that it does not leak into unrelated OpenSSL users on this thread (TLS).
[[noreturn]] void throw_openssl(const char* what) {
  ERR_clear_error();
  throw std::runtime_error(std::string("OpenSSL: ") + what);
}

/// Runs `build`, prefixing the reason of the std::invalid_argument it may throw with `context`.
template <class Build>
auto with_context(const std::string& context, Build&& build) {
  try {
    return build();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(context + ": " + e.what());
  }
}

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

// -- keys ----------------------------------------------------------------------------------------

struct jwt_key::impl {
  std::string kid;
  jwt_alg alg = jwt_alg::hs256;
  std::string secret; ///< HS256 only
  pkey_ptr pkey;      ///< RS256 and ES256 only
  bool can_sign = false;

  impl() = default;
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;
  ~impl() { OPENSSL_cleanse(secret.data(), secret.size()); }

  [[nodiscard]] std::string sign(std::string_view input) const;
  [[nodiscard]] bool verifies(std::string_view input, std::string_view signature) const;
};

namespace {

std::string hmac_sha256(std::string_view secret, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), bytes(data), data.size(),
           mac.data(), &len)
      == nullptr) {
    throw_openssl("HMAC-SHA256 failed");
  }
  return {reinterpret_cast<const char*>(mac.data()), len};
}

/// SHA-256 signature with an RSA (PKCS#1 v1.5, OpenSSL's default) or EC (DER ECDSA) key.
std::string digest_sign(EVP_PKEY* key, std::string_view data) {
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  std::size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1
      || EVP_DigestSign(ctx.get(), nullptr, &len, bytes(data), data.size()) != 1) {
    throw_openssl("cannot start signing");
  }
  std::string signature(len, '\0');
  if (EVP_DigestSign(ctx.get(), bytes(signature), &len, bytes(data), data.size()) != 1) {
    throw_openssl("signing failed");
  }
  signature.resize(len); // DER ECDSA signatures are often shorter than the bound
  return signature;
}

bool digest_verify(EVP_PKEY* key, std::string_view data, std::string_view signature) {
  md_ctx_ptr ctx{EVP_MD_CTX_new()};
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1
         && EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(data),
                             data.size())
                == 1;
}

/// OpenSSL's DER ECDSA signature as the fixed-width R||S of JWS (RFC 7518 §3.4).
std::string der_to_raw(std::string_view der) {
  const unsigned char* p = bytes(der);
  const ecdsa_sig_ptr sig{d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()))};
  if (!sig) {
    throw_openssl("unreadable ECDSA signature");
  }
  std::string raw(2 * es256_coordinate_bytes, '\0');
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), bytes(raw), es256_coordinate_bytes) < 0
      || BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), bytes(raw) + es256_coordinate_bytes,
                      es256_coordinate_bytes)
             < 0) {
    throw_openssl("ECDSA signature wider than P-256");
  }
  return raw;
}

/// The JWS R||S signature as DER for OpenSSL; nullopt unless it is exactly 64 bytes.
std::optional<std::string> raw_to_der(std::string_view raw) {
  if (raw.size() != 2 * es256_coordinate_bytes) {
    return std::nullopt;
  }
  bn_ptr r{BN_bin2bn(bytes(raw), es256_coordinate_bytes, nullptr)};
  bn_ptr s{BN_bin2bn(bytes(raw) + es256_coordinate_bytes, es256_coordinate_bytes, nullptr)};
  const ecdsa_sig_ptr sig{ECDSA_SIG_new()};
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    throw_openssl("cannot build an ECDSA signature");
  }
  static_cast<void>(r.release()); // both now owned by `sig`
  static_cast<void>(s.release());
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) {
    throw_openssl("cannot encode an ECDSA signature");
  }
  std::string der(static_cast<std::size_t>(len), '\0');
  unsigned char* p = bytes(der);
  i2d_ECDSA_SIG(sig.get(), &p);
  return der;
}

} // namespace

std::string jwt_key::impl::sign(std::string_view input) const {
  switch (alg) {
  case jwt_alg::hs256:
    return hmac_sha256(secret, input);
  case jwt_alg::rs256:
    return digest_sign(pkey.get(), input);
  case jwt_alg::es256:
    return der_to_raw(digest_sign(pkey.get(), input));
  }
  throw std::logic_error("jwt_key: unknown algorithm");
}

bool jwt_key::impl::verifies(std::string_view input, std::string_view signature) const {
  bool ok = false;
  switch (alg) {
  case jwt_alg::hs256: {
    const std::string mac = hmac_sha256(secret, input);
    ok = signature.size() == mac.size()
         && CRYPTO_memcmp(signature.data(), mac.data(), mac.size()) == 0;
    break;
  }
  case jwt_alg::rs256:
    ok = digest_verify(pkey.get(), input, signature);
    break;
  case jwt_alg::es256: {
    const auto der = raw_to_der(signature);
    ok = der && digest_verify(pkey.get(), input, *der);
    break;
  }
  }
  ERR_clear_error(); // a refused signature leaves OpenSSL errors behind
  return ok;
}

namespace {

/// Throws std::invalid_argument unless `key` is of the kind `alg` needs, and strong enough.
void require_fit(jwt_alg alg, const EVP_PKEY* key) {
  switch (alg) {
  case jwt_alg::hs256:
    throw std::invalid_argument("HS256 keys are made from a secret, not a public key");
  case jwt_alg::rs256:
    if (EVP_PKEY_is_a(key, "RSA") != 1) {
      throw std::invalid_argument("RS256 needs an RSA key");
    }
    if (EVP_PKEY_get_bits(key) < min_rsa_bits) {
      throw std::invalid_argument("RSA keys under 2048 bits are refused");
    }
    return;
  case jwt_alg::es256: {
    std::array<char, 64> group{};
    std::size_t len = 0;
    if (EVP_PKEY_is_a(key, "EC") != 1
        || EVP_PKEY_get_group_name(key, group.data(), group.size(), &len) != 1
        || std::string_view(group.data(), len) != SN_X9_62_prime256v1) {
      ERR_clear_error();
      throw std::invalid_argument("ES256 needs an EC key on the P-256 curve");
    }
    return;
  }
  }
}

/// Refuses to ask for a passphrase (OpenSSL's default would prompt on the terminal).
int no_passphrase(char*, int, int, void*) {
  return -1;
}

bool holds_private_key(std::string_view pem) {
  return pem.find("PRIVATE KEY-----") != std::string_view::npos;
}

/// The key of a PEM text: SubjectPublicKeyInfo, PKCS#8 or a traditional RSA/EC private key.
pkey_ptr read_pem(std::string_view pem) {
  if (pem.size() > max_pem_bytes) {
    throw std::invalid_argument("PEM text too large");
  }
  const bio_ptr bio{BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()))};
  if (!bio) {
    throw std::bad_alloc();
  }
  pkey_ptr key{holds_private_key(pem)
                   ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr)
                   : PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr)};
  ERR_clear_error();
  if (!key) {
    throw std::invalid_argument("no PEM public key or unencrypted private key found");
  }
  return key;
}

} // namespace

jwt_key::jwt_key(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
jwt_key::jwt_key(jwt_key&&) noexcept = default;
jwt_key& jwt_key::operator=(jwt_key&&) noexcept = default;
jwt_key::~jwt_key() = default;

const std::string& jwt_key::kid() const noexcept {
  return impl_->kid;
}

jwt_alg jwt_key::alg() const noexcept {
  return impl_->alg;
}

bool jwt_key::can_sign() const noexcept {
  return impl_->can_sign;
}

jwt_key jwt_key::hs256(std::string kid, std::string secret) {
  if (secret.size() < min_hs256_secret_bytes) {
    throw std::invalid_argument("jwt key \"" + kid + "\": HS256 secrets need at least 32 bytes");
  }
  auto p = std::make_unique<impl>();
  p->kid = std::move(kid);
  p->alg = jwt_alg::hs256;
  p->secret = std::move(secret);
  p->can_sign = true;
  return jwt_key{std::move(p)};
}

jwt_key jwt_key::from_pem(std::string kid, jwt_alg alg, std::string_view pem) {
  auto p = with_context("jwt key \"" + kid + "\"", [&] {
    auto k = std::make_unique<impl>();
    k->alg = alg;
    k->pkey = read_pem(pem);
    k->can_sign = holds_private_key(pem);
    require_fit(alg, k->pkey.get());
    return k;
  });
  p->kid = std::move(kid);
  return jwt_key{std::move(p)};
}

// -- JWKS ----------------------------------------------------------------------------------------

namespace {

/// The member `name` of a JWK as a string; throws naming the member if absent or not a string.
const std::string& jwk_string(const json& jwk, const std::string& name) {
  const auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) {
    throw std::invalid_argument("\"" + name + "\" missing or not a string");
  }
  return it->get_ref<const std::string&>();
}

/// A base64url member of a JWK (a big-endian integer or coordinate), decoded.
std::string jwk_bytes(const json& jwk, const std::string& name) {
  auto decoded = base64url_decode(jwk_string(jwk, name));
  if (!decoded || decoded->empty()) {
    throw std::invalid_argument("\"" + name + "\" is not non-empty base64url");
  }
  return std::move(*decoded);
}

bn_ptr to_bignum(std::string_view big_endian) {
  bn_ptr bn{BN_bin2bn(bytes(big_endian), static_cast<int>(big_endian.size()), nullptr)};
  if (!bn) {
    throw_openssl("cannot allocate a BIGNUM");
  }
  return bn;
}

/// A public key of OpenSSL `type` from the parameters in `bld`, checked by OpenSSL.
pkey_ptr public_key_from(const char* type, OSSL_PARAM_BLD* bld) {
  const params_ptr params{OSSL_PARAM_BLD_to_param(bld)};
  const pkey_ctx_ptr ctx{EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr)};
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1
      || EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    throw std::invalid_argument("OpenSSL refuses the key parameters");
  }
  pkey_ptr key{raw};
  const pkey_ctx_ptr check{EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr)};
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    ERR_clear_error();
    throw std::invalid_argument("the public key fails OpenSSL's check");
  }
  return key;
}

pkey_ptr rsa_from_jwk(const json& jwk) {
  const bn_ptr n = to_bignum(jwk_bytes(jwk, "n"));
  const bn_ptr e = to_bignum(jwk_bytes(jwk, "e"));
  const param_bld_ptr bld{OSSL_PARAM_BLD_new()};
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1
      || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    throw_openssl("cannot build RSA parameters");
  }
  return public_key_from("RSA", bld.get());
}

pkey_ptr ec_from_jwk(const json& jwk) {
  if (jwk_string(jwk, "crv") != "P-256") {
    throw std::invalid_argument("\"crv\" must be P-256");
  }
  const std::string x = jwk_bytes(jwk, "x");
  const std::string y = jwk_bytes(jwk, "y");
  if (x.size() != es256_coordinate_bytes || y.size() != es256_coordinate_bytes) {
    throw std::invalid_argument("\"x\" and \"y\" must be 32 bytes each");
  }
  const std::string point = '\x04' + x + y; // uncompressed SEC1 point
  const param_bld_ptr bld{OSSL_PARAM_BLD_new()};
  if (!bld
      || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1,
                                         0)
             != 1
      || OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                          point.size())
             != 1) {
    throw_openssl("cannot build EC parameters");
  }
  return public_key_from("EC", bld.get());
}

/// A JWK meant for something other than signatures (e.g. "use": "enc") is not ours to use.
bool is_signing_jwk(const json& jwk) {
  const auto it = jwk.find("use");
  return it == jwk.end() || *it == "sig";
}

/// The key of one JWK; throws std::invalid_argument with the reason.
std::unique_ptr<jwt_key::impl> impl_from_jwk(const json& jwk) {
  auto k = std::make_unique<jwt_key::impl>();
  k->kid = jwk_string(jwk, "kid");
  if (k->kid.empty()) {
    throw std::invalid_argument("\"kid\" is empty");
  }
  const std::string& kty = jwk_string(jwk, "kty");
  if (kty != "RSA" && kty != "EC") {
    throw std::invalid_argument("\"kty\" must be RSA or EC");
  }
  k->alg = kty == "RSA" ? jwt_alg::rs256 : jwt_alg::es256;
  const auto alg = jwk.find("alg");
  if (alg != jwk.end() && *alg != std::string(to_string(k->alg))) {
    throw std::invalid_argument("\"alg\" does not match \"kty\" (RS256 for RSA, ES256 for EC)");
  }
  k->pkey = k->alg == jwt_alg::rs256 ? rsa_from_jwk(jwk) : ec_from_jwk(jwk);
  require_fit(k->alg, k->pkey.get());
  return k;
}

const jwt_key* find_exact(const std::vector<jwt_key>& keys, std::string_view kid) noexcept {
  const auto it
      = std::find_if(keys.begin(), keys.end(), [&](const jwt_key& k) { return k.kid() == kid; });
  return it == keys.end() ? nullptr : &*it;
}

} // namespace

void jwt_key_ring::add(jwt_key k) {
  if (find_exact(keys_, k.kid()) != nullptr) {
    throw std::invalid_argument("jwt_key_ring: kid \"" + k.kid() + "\" already present");
  }
  keys_.push_back(std::move(k));
}

void jwt_key_ring::add_jwks(std::string_view jwks_json) {
  const json doc = json::parse(jwks_json.begin(), jwks_json.end(), nullptr, false);
  const auto list = doc.is_object() ? doc.find("keys") : doc.end();
  if (list == doc.end() || !list->is_array()) {
    throw std::invalid_argument("add_jwks: not a JWKS (a JSON object with a \"keys\" array)");
  }
  std::vector<jwt_key> parsed;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& jwk = (*list)[i];
    auto p = with_context("add_jwks: key " + std::to_string(i), [&] {
      if (!jwk.is_object()) {
        throw std::invalid_argument("not a JSON object");
      }
      auto k = is_signing_jwk(jwk) ? impl_from_jwk(jwk) : nullptr;
      if (k && (find_exact(keys_, k->kid) != nullptr || find_exact(parsed, k->kid) != nullptr)) {
        throw std::invalid_argument("kid \"" + k->kid + "\" already present");
      }
      return k;
    });
    if (p) {
      parsed.push_back(jwt_key{std::move(p)});
    }
  }
  // Only a fully valid document changes the ring.
  std::move(parsed.begin(), parsed.end(), std::back_inserter(keys_));
}

const jwt_key* jwt_key_ring::find(std::string_view kid) const noexcept {
  if (const jwt_key* k = find_exact(keys_, kid)) {
    return k;
  }
  return kid.empty() && keys_.size() == 1 ? &keys_.front() : nullptr;
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
