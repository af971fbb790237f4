// HMAC-SHA256 pseudonyms with OpenSSL.
#include "privacy/pseudonym.hpp"

#include "privacy/detail/secret_file.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <openssl/crypto.h>

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

namespace {

/// `prefix` and the first `bytes` bytes of HMAC-SHA256(key, id) in hex.
std::string mac_hex(const std::array<std::uint8_t, 32>& key, std::string_view id,
                    std::string_view prefix, int bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(id.data()), id.size(), mac.data(), &len);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out{prefix};
  for (int i = 0; i < bytes; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 0xF];
  }
  return out;
}

} // namespace

std::string pseudonymizer::operator()(std::string_view user_id) const {
  return mac_hex(key_, user_id, "u_", 8);
}

std::string pseudonymizer::stored_id(std::string_view user_id) const {
  return mac_hex(key_, user_id, "p_", 16);
}

pseudonymizer pseudonymizer::from_key_file(const std::filesystem::path& key_file) {
  constexpr std::string_view what = "pseudonym key";
  std::array<unsigned char, 32> fresh{};
  if (RAND_bytes(fresh.data(), static_cast<int>(fresh.size())) != 1) {
    throw std::runtime_error("pseudonymizer: no randomness available");
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string text;
  for (auto b : fresh) {
    text += hex[b >> 4];
    text += hex[b & 0xF];
  }
  text += '\n';
  OPENSSL_cleanse(fresh.data(), fresh.size());
  try {
    detail::create_file_exclusively(key_file, text, 0600);
  } catch (const std::runtime_error& e) {
    detail::fail_file(what, key_file, e.what());
  }
  OPENSSL_cleanse(text.data(), text.size());
  auto key = detail::read_secret_file(key_file, what, 4096);
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) {
    key.pop_back();
  }
  if (key.size() < 32) {
    OPENSSL_cleanse(key.data(), key.size());
    detail::fail_file(what, key_file, "holds fewer than 32 characters");
  }
  pseudonymizer p{key};
  OPENSSL_cleanse(key.data(), key.size());
  return p;
}

} // namespace aia::privacy
