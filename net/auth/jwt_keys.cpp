// JWT keys with OpenSSL 3: HS256 secrets, RS256/ES256 keys from PEM or a JWKS document, their
// signatures in JWS form, and the key ring that selects them by kid.
#include "net/auth/detail/jwt_key_impl.hpp"
#include "net/auth/detail/openssl.hpp"
#include "net/auth/jwt.hpp"

#include <nlohmann/json.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <new>
#include <stdexcept>
#include <utility>

namespace aia::net::auth {

using namespace detail; // OpenSSL ownership: the *_ptr aliases, bytes(), throw_openssl()

// -- keys ----------------------------------------------------------------------------------------

namespace {

using nlohmann::json;

constexpr std::size_t min_hs256_secret_bytes = 32;
constexpr int min_rsa_bits = 2048;
constexpr int es256_coordinate_bytes = 32; // one of R, S, x, y on P-256
constexpr std::size_t max_pem_bytes = 64 * 1024;

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

} // namespace aia::net::auth
