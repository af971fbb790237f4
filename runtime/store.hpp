// The store contract: a per-user event log and session snapshots. Backends: SQLite (embedded
// default, runtime/sqlite_store) and Redis (cluster issue). All calls block: use from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace aia::runtime {

/// One durable interaction of a user's log. `seq` is the user's log position (1, 2, ...).
struct stored_event {
  std::string user_id;
  std::uint64_t seq = 0;
  std::string client_id;       ///< idempotency key with client_seq; empty if none
  std::uint64_t client_seq = 0;
  double timestamp = 0;        ///< seconds since the epoch, the client's
  double stored_at = 0;        ///< seconds since the epoch, the server's, when appended
  std::vector<std::uint8_t> payload;
};

/// A session snapshot covering the user's log up to and including `seq`.
struct snapshot_record {
  std::string user_id;
  std::uint64_t seq = 0;
  std::vector<std::uint8_t> data;
  double updated_at = 0;
};

/// What a session needs to rehydrate: its newest snapshot and the events after it.
struct user_history {
  std::optional<snapshot_record> snapshot;
  std::vector<stored_event> events;
};

/// A failed store operation.
struct store_error {
  std::string message;
};

/// The store interface. Implementations are used from one thread at a time.
class store {
public:
  virtual ~store() = default;

  /// Appends events and upserts snapshots in one durable transaction. A snapshot never replaces
  /// a newer one (higher seq). Appending an event whose (user_id, seq) exists is an error and
  /// rolls back the whole call.
  [[nodiscard]] virtual std::optional<store_error>
  write(const std::vector<stored_event>& events, const std::vector<snapshot_record>& snapshots)
    = 0;

  /// The newest snapshot of a user and every event after it, in seq order.
  [[nodiscard]] virtual user_history load(const std::string& user_id) = 0;

  /// Number of distinct users with any event or snapshot.
  [[nodiscard]] virtual std::uint64_t user_count() = 0;

  /// Backend name for logs and metrics ("sqlite", "redis").
  [[nodiscard]] virtual const char* backend() const noexcept = 0;
};

/// Sync mode of the SQLite backend: `normal` survives a killed process, `full` also power loss.
enum class sqlite_sync : std::uint8_t { normal, full };

/// WAL frames (pages) past which the SQLite backend restarts its write-ahead log even though
/// that holds commits back for a few milliseconds; bounds the log file (about 130 MiB).
inline constexpr int sqlite_wal_restart_frames = 131072;

/// Opens (creating if needed) the SQLite store `path` in WAL mode. Throws std::runtime_error
/// with the reason when the file cannot be opened or initialised.
[[nodiscard]] std::unique_ptr<store> open_sqlite_store(
  const std::string& path, sqlite_sync sync, int wal_restart_frames = sqlite_wal_restart_frames);

} // namespace aia::runtime
