// HMAC-SHA256 pseudonyms with OpenSSL.
#include "privacy/pseudonym.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace aia::privacy {

pseudonymizer::pseudonymizer() {
  if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1) {
    throw std::runtime_error("pseudonymizer: no randomness available");
  }
}

pseudonymizer::pseudonymizer(std::string_view key) {
  // Derive a fixed-size key, so short and long secrets behave alike.
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), key_.data(), &len, EVP_sha256(), nullptr);
}

std::string pseudonymizer::operator()(std::string_view user_id) const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(user_id.data()), user_id.size(), mac.data(), &len);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "u_";
  for (int i = 0; i < 8; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 0xF];
  }
  return out;
}

} // namespace aia::privacy
