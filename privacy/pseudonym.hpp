// Keyed pseudonyms of user ids (HMAC-SHA256), so that logs and metrics never carry a raw id.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace aia::privacy {

/// Maps a user id to a stable, non-reversible pseudonym under a secret key.
class pseudonymizer {
public:
  /// Uses a fresh random key (pseudonyms are stable for the life of the process).
  pseudonymizer();

  /// Uses the given key (e.g. from config, so pseudonyms are stable across restarts and nodes).
  explicit pseudonymizer(std::string_view key);

  /// 16 hex characters of HMAC-SHA256(key, user_id), prefixed `u_`.
  [[nodiscard]] std::string operator()(std::string_view user_id) const;

  /// 32 hex characters (128 bits) of the same MAC, prefixed `p_`: a pseudonym to store data
  /// under in place of the id, long enough that two users never share one.
  [[nodiscard]] std::string stored_id(std::string_view user_id) const;

  /// The pseudonymizer keyed by the secret in `key_file`, created (32 random bytes as hex, mode
  /// 0600) if it does not exist. Throws std::runtime_error naming the file if it cannot be made
  /// or read, or if group or others may access it.
  [[nodiscard]] static pseudonymizer from_key_file(const std::filesystem::path& key_file);

private:
  std::array<std::uint8_t, 32> key_{};
};

} // namespace aia::privacy
