// The store contract: a per-user event log and session snapshots. Backends: SQLite (embedded
// default, runtime/sqlite_store) and Redis (cluster issue). All calls block: use from one thread.
//
// Encryption at rest: a backend seals every user-data value it writes (event payloads, snapshot
// data, user records such as consent) with privacy::sealer, bound to the user id and the column. The
// index columns stay in clear: user ids, sequence numbers, client ids and timestamps. User ids
// are meant to be pseudonymous ids the application gives the node, not names or e-mail
// addresses; they are never logged either way.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace aia::privacy {
class sealer;
} // namespace aia::privacy

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

/// A per-user document beside the log, replaced whole at each version: the user's consent
/// history (`kind` "consent"), later experiment memberships. Unlike events it is kept at every
/// privacy level (it holds no interaction data) and survives erasure only as the caller's
/// tombstone.
struct user_record {
  std::string user_id;
  std::string kind;              ///< [a-z_]{1,32}
  std::uint64_t version = 0;     ///< 1, 2, ...: a write must name the next version
  std::vector<std::uint8_t> data;
  double updated_at = 0;
};

/// A failed store operation.
struct store_error {
  std::string message;
};

/// What erase_user removed.
struct erase_counts {
  std::uint64_t events = 0;
  std::uint64_t snapshots = 0;
  std::uint64_t records = 0;
};

/// What a session needs to rehydrate: its newest snapshot and the events after it.
struct user_history {
  std::optional<snapshot_record> snapshot;
  std::vector<stored_event> events;
  std::vector<user_record> records;  ///< every record kind of the user, newest version each
  /// Set if a stored value failed to open (tampered, or sealed under a key the ring lacks); the
  /// backend has logged it. The value's record stays in the history with empty bytes, which no
  /// decoder accepts, so a caller that misses this field still fails instead of skipping data.
  /// Never rehydrate from a history with this set.
  std::optional<store_error> unreadable;
};

/// One user as a scan sees it: the newest snapshot, every record kind's newest version, and the
/// events still held (how many, the oldest one's stored_at).
struct user_summary {
  std::string user_id;
  std::optional<snapshot_record> snapshot;
  std::vector<user_record> records;  ///< in kind order
  std::uint64_t events = 0;          ///< every event held, covered by the snapshot or not
  double oldest_event_at = 0;        ///< the least stored_at of the events held; 0 if none
};

/// A page of a scan over every user (store::scan_users).
struct user_page {
  std::vector<user_summary> users;
  /// Set if a value of the page failed to open, as in user_history::unreadable; that value is in
  /// the page with empty bytes.
  std::optional<store_error> unreadable;
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

  /// The user's events after log position `after_seq`, in seq order, at most `limit` (every
  /// event still held, covered by a snapshot or not: GDPR exports). A value that fails to open
  /// is an error naming the user's seq.
  [[nodiscard]] virtual std::variant<std::vector<stored_event>, store_error>
  read_events(const std::string& user_id, std::uint64_t after_seq, std::uint64_t limit) = 0;

  /// Number of distinct users with any event or snapshot.
  [[nodiscard]] virtual std::uint64_t user_count() = 0;

  /// Stores `r` as the user's record of its kind, durably, if the stored version is
  /// r.version - 1 (none stored counts as 0); otherwise an error naming the stored version, and
  /// nothing changes (compare-and-set: two writers cannot both win). A kind other than
  /// [a-z_]{1,32} or a version 0 is an error too. Records alone do not count in user_count.
  [[nodiscard]] virtual std::optional<store_error> put_record(const user_record& r) = 0;

  /// Removes, durably and at once, every event, snapshot and record of the user (GDPR Art. 17),
  /// and the user from user_count. What was removed (all zero for an unknown user), or why
  /// nothing was.
  [[nodiscard]] virtual std::variant<erase_counts, store_error>
  erase_user(const std::string& user_id) = 0;

  /// Retention: removes events stored (stored_at) before `cutoff` (seconds since the epoch) that
  /// the user's newest snapshot already covers (seq <= its seq; the state keeps their effect),
  /// at most `limit` per call, oldest first; how many were removed. Events no snapshot covers
  /// yet stay until one does. Snapshots and records stay.
  [[nodiscard]] virtual std::variant<std::uint64_t, store_error>
  expire_events(double cutoff, std::uint64_t limit) = 0;

  /// A page of users in user-id order (bytewise), the ids after `after` ("" = from the start),
  /// at most `limit` (1 or more; a backend may give fewer, Redis at most 1000): every user with
  /// any event, snapshot or record, records alone included (unlike user_count); an erased user
  /// is gone. Only an empty page means the end. Values are opened as load() opens them. Costs
  /// about a load() of each user of the page (every event of it is read, for the count and the
  /// oldest stored_at), not of the whole store.
  [[nodiscard]] virtual std::variant<user_page, store_error>
  scan_users(const std::string& after, std::uint64_t limit) = 0;

  /// Backend name for logs and metrics ("sqlite", "redis").
  [[nodiscard]] virtual const char* backend() const noexcept = 0;

  /// Whether the backend answers now (Redis: a PING, re-connecting if due); the embedded store
  /// always does. The node is not ready while it does not.
  [[nodiscard]] virtual std::optional<store_error> check() { return std::nullopt; }
};

/// Sync mode of the SQLite backend: `normal` survives a killed process, `full` also power loss.
enum class sqlite_sync : std::uint8_t { normal, full };

/// WAL frames (pages) past which the SQLite backend restarts its write-ahead log even though
/// that holds commits back for a few milliseconds; bounds the log file (about 130 MiB).
inline constexpr int sqlite_wal_restart_frames = 131072;

/// Opens (creating if needed) the SQLite store `path` in WAL mode, sealing values with `sealer`.
/// The store holds an exclusive lock on `<path>.lock` while open: one process at a time (a
/// second node on the same data directory, or aia-keys reencrypt while the node runs, is
/// refused). Throws std::runtime_error with the reason when the file cannot be opened, is in
/// use, or cannot be initialised.
[[nodiscard]] std::unique_ptr<store>
open_sqlite_store(const std::string& path, sqlite_sync sync,
                  std::shared_ptr<const privacy::sealer> sealer,
                  int wal_restart_frames = sqlite_wal_restart_frames);

/// As above, sealing under one random key kept in memory for the life of this process (tests):
/// what it writes cannot be read by any other process. The node never uses this.
[[nodiscard]] std::unique_ptr<store> open_sqlite_store(
  const std::string& path, sqlite_sync sync, int wal_restart_frames = sqlite_wal_restart_frames);

/// What reseal_sqlite_store did.
struct reseal_counts {
  std::uint64_t events = 0;      ///< event payloads sealed again under the newest key
  std::uint64_t snapshots = 0;   ///< snapshots sealed again under the newest key
  std::uint64_t records = 0;     ///< user records sealed again under the newest key
  std::uint64_t current = 0;     ///< values already under the newest key, left alone
  std::uint64_t unreadable = 0;  ///< values that failed to open, left as they are
  std::vector<std::string> unreadable_rows;  ///< the first 100 of those: column, user, seq, code
};

/// Seals every value of the SQLite store `path` that is not under the sealer's newest key again
/// under it, `batch` rows per transaction; what is done stays done if it stops half-way. Run it
/// while the node is stopped (the store lock refuses otherwise). Throws std::runtime_error as
/// open_sqlite_store does, or if a write fails.
[[nodiscard]] reseal_counts reseal_sqlite_store(const std::string& path,
                                                std::shared_ptr<const privacy::sealer> sealer,
                                                std::size_t batch = 1000);

} // namespace aia::runtime
