// The audit log's HMAC chain and its head anchor `<log>.head`: the keyed mac, the anchor's bytes,
// and the verifier that checks lines against the chain and then against the anchor.
#pragma once

#include "privacy/audit_log.hpp"

#include <openssl/types.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace aia::privacy::detail {

/// The prev of seq 1, and the mac the anchor of an empty log records.
inline constexpr std::string_view genesis_mac
    = "0000000000000000000000000000000000000000000000000000000000000000";

/// HMAC-SHA256 under one key, set up once. Not thread-safe: one per thread or under a lock.
class hmac_sha256 {
public:
  explicit hmac_sha256(std::string_view key);
  hmac_sha256(const hmac_sha256&) = delete;
  hmac_sha256& operator=(const hmac_sha256&) = delete;
  ~hmac_sha256() { release(); }

  /// Lowercase hex of the HMAC of the concatenated `parts`.
  std::string hex(std::initializer_list<std::string_view> parts);

private:
  void release() noexcept;

  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;
};

/// What `<log>.head` records.
struct head_anchor {
  std::uint64_t seq = 0;
  std::string mac;
  std::string anchor;
};

/// `<log>.head`.
[[nodiscard]] std::filesystem::path head_path_of(const std::filesystem::path& log);

/// The anchor file's text (with its newline) for the entry `seq` whose mac is `last_mac`.
[[nodiscard]] std::string head_file_text(hmac_sha256& mac, std::uint64_t seq,
                                         std::string_view last_mac);

/// Checks lines one by one against the chain, then the head anchor read before them.
class chain_verifier {
public:
  /// `head_text` is the anchor file's content, nullopt if it is missing.
  chain_verifier(std::string_view key, const std::optional<std::string>& head_text);

  /// Checks the next line; false once a problem is found.
  bool feed(std::string_view line);

  /// The result, after the head anchor's checks; `torn_tail` bytes were left unread.
  verify_result finish(std::uint64_t torn_tail);

private:
  hmac_sha256 mac_;
  std::optional<head_anchor> head_;
  bool head_unparsable_ = false;
  std::string head_entry_mac_;
  std::string prev_{genesis_mac};
  verify_result r_;
};

} // namespace aia::privacy::detail
