// The versioned ring of data keys that seal user data at rest, and its file on disk.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace aia::privacy {

/// One 256-bit data key. Versions start at 1 and only grow; the newest key seals new writes.
struct data_key {
  std::uint32_t version = 0;
  std::int64_t created = 0;  ///< unix seconds
  std::array<std::uint8_t, 32> bytes{};
};

/// What a key ring holds, without the key bytes (for status output and logs).
struct key_info {
  std::uint32_t version = 0;
  std::int64_t created = 0;
};

/// Versioned data keys. Keys are never removed: an old key keeps opening what it sealed.
///
/// File format (text, one key per line; `#` comments and blank lines are skipped):
///
///     v<version> <created, unix seconds> <base64 of the 32 key bytes>
///
/// The file is written atomically (temporary file, fsync, rename) with mode 0600. Loading
/// refuses a file that group or others may access at all, as ssh refuses a loose private key:
/// whoever reads the ring reads every user's data. Errors throw std::runtime_error naming the
/// file (and line), never a key. A key_ring is a value: not safe to modify from two threads.
class key_ring {
public:
  /// How open_or_create found the file.
  enum class change : std::uint8_t { none, created, rotated };

  /// A ring and what opening it changed.
  struct opened;

  /// A ring with one fresh random key, kept in memory only (tests, throwaway stores).
  [[nodiscard]] static key_ring ephemeral(std::int64_t now);

  /// Loads the ring `file`. Throws std::runtime_error if it is missing, accessible by group or
  /// others, malformed (naming the line) or holds no key.
  [[nodiscard]] static key_ring load(const std::filesystem::path& file);

  /// Loads the ring `file`, creating it with one fresh key if missing, and adds a fresh key if
  /// the newest is `rotation_days` old or older, so that new writes use it. Changes are written
  /// before this returns, under an exclusive lock on `<file>.lock` (aia-keys takes it too).
  [[nodiscard]] static opened open_or_create(const std::filesystem::path& file, int rotation_days,
                                             std::int64_t now);

  /// Adds a fresh key `now` under the lock and saves: what `aia-keys rotate` does. Throws as
  /// load does, or if the file cannot be written.
  [[nodiscard]] static key_ring rotate_file(const std::filesystem::path& file, std::int64_t now);

  key_ring(const key_ring&) = default;
  key_ring(key_ring&&) noexcept = default;
  key_ring& operator=(const key_ring&) = default;
  key_ring& operator=(key_ring&&) noexcept = default;
  /// Wipes the key bytes from memory.
  ~key_ring();

  /// Adds a fresh random key, one version above the newest, created `now`.
  const data_key& add_key(std::int64_t now);

  /// Writes the ring to `file` atomically with mode 0600.
  void save(const std::filesystem::path& file) const;

  /// The key sealing new writes (the highest version).
  [[nodiscard]] const data_key& newest() const noexcept { return keys_.back(); }

  /// The key of `version`, or nullptr if the ring has none.
  [[nodiscard]] const data_key* find(std::uint32_t version) const noexcept;

  /// Versions and creation times, oldest first; never the key bytes.
  [[nodiscard]] std::vector<key_info> describe() const;

  /// True if the newest key is `rotation_days` old or older at `now`.
  [[nodiscard]] bool rotation_due(int rotation_days, std::int64_t now) const noexcept;

private:
  key_ring() = default;

  std::vector<data_key> keys_;  ///< sorted by version, never empty
};

struct key_ring::opened {
  key_ring ring;
  change what = change::none;
};

} // namespace aia::privacy
