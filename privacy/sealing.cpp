// AES-256-GCM sealing with OpenSSL EVP: random nonces, header + purpose + user as associated data.
#include "privacy/sealing.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

namespace aia::privacy {

namespace {

using context = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

context new_context() {
  context ctx{EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free};
  if (!ctx) {
    throw std::bad_alloc{};
  }
  return ctx;
}

void put_header(std::uint8_t* out, std::uint32_t version) {
  out[0] = sealer::format_byte;
  for (int i = 0; i < 4; ++i) {
    out[1 + i] = static_cast<std::uint8_t>(version >> (24 - 8 * i));
  }
}

/// Feeds the associated data: header, purpose, a zero byte, user id. The purpose is one of the
/// callers' fixed names (no zero byte), so the encoding is unambiguous for any user id.
bool add_associated_data(EVP_CIPHER_CTX* ctx, const std::uint8_t* header, std::string_view purpose,
                         std::string_view user_id) {
  static constexpr unsigned char separator = 0;
  auto feed = [ctx](const void* p, std::size_t n) {
    int len = 0;
    return EVP_CipherUpdate(ctx, nullptr, &len, static_cast<const unsigned char*>(p),
                            static_cast<int>(n))
           == 1;
  };
  return feed(header, sealer::header_size) && feed(purpose.data(), purpose.size())
         && feed(&separator, 1) && feed(user_id.data(), user_id.size());
}

[[noreturn]] void openssl_failed(const char* what) {
  throw std::runtime_error(std::string{what} + " failed inside OpenSSL");
}

/// A random nonce, drawn from a per-thread pool filled 341 nonces at a time: one RAND_bytes
/// call each was most of a seal's cost (it locks the DRBG). The same CSPRNG output, only fetched
/// in bulk. A forked child refills first, so parent and child never hand out the same bytes.
void draw_nonce(std::uint8_t* nonce) {
  constexpr std::size_t n = sealer::nonce_size;
  thread_local std::array<std::uint8_t, 341 * n> pool{};
  thread_local std::size_t used = pool.size();
  thread_local pid_t owner = 0;
  if (used + n > pool.size() || owner != getpid()) {
    if (RAND_bytes(pool.data(), static_cast<int>(pool.size())) != 1) {
      openssl_failed("drawing a nonce");
    }
    used = 0;
    owner = getpid();
  }
  std::memcpy(nonce, pool.data() + used, n);
  OPENSSL_cleanse(pool.data() + used, n);  // each nonce leaves the pool once
  used += n;
}

} // namespace

const char* to_string(sealing_errc code) noexcept {
  switch (code) {
    case sealing_errc::too_short:
      return "too_short";
    case sealing_errc::unknown_format:
      return "unknown_format";
    case sealing_errc::unknown_key:
      return "unknown_key";
    case sealing_errc::tampered:
      return "tampered";
  }
  return "unknown";
}

void sealer::cipher_deleter::operator()(evp_cipher_st* c) const noexcept {
  EVP_CIPHER_free(c);
}

sealer::sealer(key_ring ring)
  : ring_(std::move(ring)), cipher_(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr)) {
  if (!cipher_) {
    throw std::runtime_error("sealer: OpenSSL offers no AES-256-GCM");
  }
}

sealer::~sealer() = default;

std::vector<std::uint8_t> sealer::seal(std::string_view purpose, std::string_view user_id,
                                       std::span<const std::uint8_t> plaintext) const {
  const auto& key = ring_.newest();
  std::vector<std::uint8_t> out(overhead + plaintext.size());
  auto* header = out.data();
  auto* nonce = header + header_size;
  auto* body = nonce + nonce_size;
  put_header(header, key.version);
  draw_nonce(nonce);
  auto ctx = new_context();
  int len = 0;
  bool ok = EVP_EncryptInit_ex2(ctx.get(), cipher_.get(), key.bytes.data(), nonce, nullptr) == 1
            && add_associated_data(ctx.get(), header, purpose, user_id)
            && EVP_EncryptUpdate(ctx.get(), body, &len, plaintext.data(),
                                 static_cast<int>(plaintext.size()))
                 == 1
            && EVP_EncryptFinal_ex(ctx.get(), body + len, &len) == 1
            && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_size),
                                   body + plaintext.size())
                 == 1;
  if (!ok) {
    openssl_failed("sealing");
  }
  return out;
}

open_result sealer::open(std::string_view purpose, std::string_view user_id,
                         std::span<const std::uint8_t> sealed) const {
  if (sealed.size() < overhead) {
    return sealing_errc::too_short;
  }
  auto version = key_version(sealed);
  if (!version) {
    return sealing_errc::unknown_format;
  }
  const auto* key = ring_.find(*version);
  if (key == nullptr) {
    return sealing_errc::unknown_key;
  }
  const auto* nonce = sealed.data() + header_size;
  const auto* body = nonce + nonce_size;
  auto body_size = sealed.size() - overhead;
  std::array<std::uint8_t, tag_size> tag{};
  std::copy_n(body + body_size, tag_size, tag.begin());  // the ctrl call wants it writable

  std::vector<std::uint8_t> plain(body_size);
  auto ctx = new_context();
  int len = 0;
  bool set_up = EVP_DecryptInit_ex2(ctx.get(), cipher_.get(), key->bytes.data(), nonce, nullptr) == 1
                && add_associated_data(ctx.get(), sealed.data(), purpose, user_id)
                && EVP_DecryptUpdate(ctx.get(), plain.data(), &len, body,
                                     static_cast<int>(body_size))
                     == 1
                && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG,
                                       static_cast<int>(tag_size), tag.data())
                     == 1;
  if (!set_up) {
    OPENSSL_cleanse(plain.data(), plain.size());
    openssl_failed("opening");
  }
  // The tag is checked only here: until then `plain` is unauthenticated and must not leave.
  if (EVP_DecryptFinal_ex(ctx.get(), plain.data() + len, &len) != 1) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return sealing_errc::tampered;
  }
  return plain;
}

std::optional<std::uint32_t> sealer::key_version(std::span<const std::uint8_t> sealed) noexcept {
  if (sealed.size() < overhead || sealed[0] != format_byte) {
    return std::nullopt;
  }
  std::uint32_t v = 0;
  for (std::size_t i = 1; i < header_size; ++i) {
    v = (v << 8) | sealed[i];
  }
  return v;
}

} // namespace aia::privacy
