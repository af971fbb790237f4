// Keyed pseudonyms of user ids (HMAC-SHA256), so that logs and metrics never carry a raw id.
#pragma once

#include <array>
#include <cstdint>
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

private:
  std::array<std::uint8_t, 32> key_{};
};

} // namespace aia::privacy
