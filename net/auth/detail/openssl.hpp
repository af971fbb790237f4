// OpenSSL ownership for the auth code and its tests: unique_ptr aliases that free OpenSSL objects,
// byte views of strings, and the exceptions OpenSSL failures become.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace aia::net::auth::detail {

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

inline const unsigned char* bytes(std::string_view s) noexcept {
  return reinterpret_cast<const unsigned char*>(s.data());
}

inline unsigned char* bytes(std::string& s) noexcept {
  return reinterpret_cast<unsigned char*>(s.data());
}

/// Throws for a failure that only a broken OpenSSL or exhausted memory can cause. The error
/// queue is cleared so that it does not leak into unrelated OpenSSL users on this thread (TLS).
[[noreturn]] inline void throw_openssl(const char* what) {
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

} // namespace aia::net::auth::detail
