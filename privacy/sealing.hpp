// Sealing user data at rest: AES-256-GCM under a versioned key ring, bound to user and purpose.
#pragma once

#include "privacy/key_ring.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

struct evp_cipher_st;  // OpenSSL's EVP_CIPHER, kept out of this header

namespace aia::privacy {

/// Why a sealed value did not open. Callers match on the code; no code comes with any bytes.
enum class sealing_errc : std::uint8_t {
  too_short = 1,   ///< shorter than a header, a nonce and a tag
  unknown_format,  ///< the format byte is not one this build writes
  unknown_key,     ///< sealed under a key version the ring does not hold
  tampered,        ///< authentication failed: bytes, user or purpose differ from the seal
};

/// The code's name, e.g. "tampered".
[[nodiscard]] const char* to_string(sealing_errc code) noexcept;

/// The plaintext of a sealed value, or why there is none (never a partial plaintext).
using open_result = std::variant<std::vector<std::uint8_t>, sealing_errc>;

/// Seals and opens values with the keys of one ring.
///
/// Sealed format (`format_byte` 0xA1 = AES-256-GCM, this layout):
///
///     format (1) | key version (4, big-endian) | nonce (12, random) | ciphertext | tag (16)
///
/// The associated data is the 5-byte header, then the purpose, a zero byte and the user id:
/// a value copied to another user's row, another column, or relabelled with another key
/// version fails to open as `tampered`. The purpose names where the value lives, as
/// "events.payload"; a later consent table seals under its own ("consent.record").
///
/// Random 96-bit nonces keep within NIST's bound (SP 800-38D, 8.3) for 2^32 seals per key:
/// 90 days at about 550 writes/s. A node writing more should rotate sooner (until rotation by
/// count exists, through store.key_rotation_days).
///
/// A sealer never changes after construction: share it between threads freely (each call uses
/// its own OpenSSL context; RAND_bytes is thread-safe).
class sealer {
public:
  /// The format byte this build writes.
  static constexpr std::uint8_t format_byte = 0xA1;
  static constexpr std::size_t header_size = 5;
  static constexpr std::size_t nonce_size = 12;
  static constexpr std::size_t tag_size = 16;
  /// Bytes a sealed value has beyond its plaintext.
  static constexpr std::size_t overhead = header_size + nonce_size + tag_size;

  /// Seals with the keys of `ring`; its newest key seals.
  explicit sealer(key_ring ring);
  ~sealer();
  sealer(const sealer&) = delete;
  sealer& operator=(const sealer&) = delete;

  /// Seals `plaintext` for `user_id` under the newest key. Throws std::runtime_error only if
  /// OpenSSL fails (no randomness); the message carries no data.
  [[nodiscard]] std::vector<std::uint8_t> seal(std::string_view purpose, std::string_view user_id,
                                               std::span<const std::uint8_t> plaintext) const;

  /// Opens what seal() returned for the same purpose and user. Any input gives a plaintext or a
  /// code; only an internal OpenSSL failure throws (std::runtime_error, carrying no data).
  [[nodiscard]] open_result open(std::string_view purpose, std::string_view user_id,
                                 std::span<const std::uint8_t> sealed) const;

  /// The key version a sealed value names, or nullopt if it is too short or of another format.
  [[nodiscard]] static std::optional<std::uint32_t>
  key_version(std::span<const std::uint8_t> sealed) noexcept;

  /// The version of the key that seals new values.
  [[nodiscard]] std::uint32_t sealing_version() const noexcept { return ring_.newest().version; }

  /// The ring (versions and ages for status output; its key bytes stay inside privacy/).
  [[nodiscard]] const key_ring& ring() const noexcept { return ring_; }

private:
  struct cipher_deleter {
    void operator()(evp_cipher_st* c) const noexcept;
  };

  key_ring ring_;
  std::unique_ptr<evp_cipher_st, cipher_deleter> cipher_;  ///< EVP_CIPHER fetched once (no fetch per call)
};

} // namespace aia::privacy
