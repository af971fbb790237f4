// The append-only audit log of privacy-relevant actions (consent, erasure, export, budget spends,
// admin actions), each entry HMAC-chained to the one before, and its verification.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace aia::privacy {

/// What an entry records. New kinds go at the end; an older reader rejects a name it lacks.
enum class audit_kind : std::uint8_t {
  consent_changed,
  erasure,
  export_data,  ///< written as "export"
  budget_spend,
  admin_action,
  retention_sweep,
};

/// The entry's name of a kind: "consent_changed", "erasure", "export", ...
[[nodiscard]] std::string_view to_string(audit_kind k) noexcept;

/// The kind named `name`, or nullopt.
[[nodiscard]] std::optional<audit_kind> parse_audit_kind(std::string_view name) noexcept;

/// One value of an entry's details: never an object, array or null.
using audit_value = std::variant<std::string, std::int64_t, double, bool>;

/// An entry's details: a flat object. The map orders keys, so the serialized form is canonical.
using audit_details = std::map<std::string, audit_value>;

/// One entry as stored. `prev` and `mac` are 64 lowercase hex digits of HMAC-SHA256.
struct audit_entry {
  std::uint64_t seq = 0;  ///< 1, 2, 3, ... without gaps
  double time = 0;        ///< unix seconds, written with 6 decimals
  audit_kind kind = audit_kind::admin_action;
  std::string actor;    ///< who acted: a token subject, or "system"
  std::string subject;  ///< the user concerned (pseudonymous where the level asks), or ""
  audit_details details;
  std::string prev;  ///< mac of the previous entry; 64 zeros for seq 1
  std::string mac;   ///< HMAC-SHA256(key, canonical bytes of this entry without mac)
};

/// Which entries `read` returns; an empty field matches all.
struct audit_filter {
  std::optional<std::string> subject;
  std::optional<audit_kind> kind;
  std::uint64_t from_seq = 0;
};

/// What verification found first. Everything but `none` makes `aia-audit verify` exit 1.
enum class audit_problem : std::uint8_t {
  none,
  bad_line,              ///< a line does not parse as an entry, or is not in canonical form
  altered,               ///< the mac does not match the entry's bytes (or the key is wrong)
  removed_or_reordered,  ///< seq is not the next one, or prev is not the previous mac
  truncated,             ///< the head anchor records more entries than the log holds
  bad_anchor,            ///< the head anchor is missing, unparsable, forged or off the chain
};

/// The problem's name: "ok", "bad line", "altered", "removed or reordered", ...
[[nodiscard]] std::string_view to_string(audit_problem p) noexcept;

/// The outcome of verifying a log against its key and head anchor.
struct verify_result {
  audit_problem problem = audit_problem::none;
  std::uint64_t seq = 0;              ///< first bad seq = its line (0: ok, or the anchor itself)
  std::uint64_t entries = 0;          ///< entries verified good before the problem (all, if ok)
  std::string head_mac;               ///< mac of the last good entry ("" if none)
  std::uint64_t anchor_seq = 0;       ///< seq the head anchor records
  std::uint64_t torn_tail_bytes = 0;  ///< an unterminated last line, ignored (never acknowledged)
  std::string reason;                 ///< one line for people; never key material or a whole entry

  [[nodiscard]] bool ok() const noexcept { return problem == audit_problem::none; }
};

/// An append-only, HMAC-chained audit log file with a head anchor beside it.
///
/// Files: `<log>` (JSON lines), `<log>.head` (last seq and mac, HMAC'd; replaced atomically after
/// each durable append) and `<log>.lock` (flock held while open), all created with mode 0600.
/// The key file must not be accessible by group or others; open() creates a missing one (32
/// random bytes as 64 hex digits). Keep it apart from the log (a secret mount): whoever holds
/// the key can rewrite the whole log and its anchor undetectably. See privacy/audit_log.cpp for
/// the canonical form, the anchor and crash recovery.
class audit_log {
public:
  /// Opens `log` (creating it and its anchor if missing) with the key in `key_file`, takes the
  /// lock, drops an unterminated last line (see dropped_tail_bytes) and verifies the chain.
  /// Throws std::runtime_error if locked by another process, the key file is loose or short,
  /// the key file is missing beside an existing log, or verification finds a problem (naming
  /// its seq); nothing is written then.
  [[nodiscard]] static audit_log open(const std::filesystem::path& log,
                                      const std::filesystem::path& key_file);

  audit_log(audit_log&&) noexcept;
  audit_log& operator=(audit_log&&) noexcept;
  /// Releases the lock and wipes the key from memory.
  ~audit_log();

  /// Appends an entry stamped now and returns it once it is durable (fsynced, anchor updated).
  /// Thread-safe: concurrent appends share one fsync (group commit). Throws
  /// std::invalid_argument for details that could carry raw data (see audit_log.cpp) and
  /// std::runtime_error if writing fails; after that the log refuses appends until reopened.
  audit_entry append(audit_kind kind, std::string_view actor, std::string_view subject,
                     const audit_details& details = {});

  /// As append, with details given as a JSON object text; nested values are refused.
  audit_entry append_json(audit_kind kind, std::string_view actor, std::string_view subject,
                          std::string_view details_json);

  /// Verifies the log and anchor as verify_file does, with the key already loaded (an append
  /// in flight shows as an ignored unterminated tail).
  [[nodiscard]] verify_result verify() const;

  /// The durable entries matching `filter`, oldest first; macs are not checked (verify first).
  [[nodiscard]] std::vector<audit_entry> read(const audit_filter& filter = {}) const;

  /// The seq of the last durable entry (0 for an empty log).
  [[nodiscard]] std::uint64_t last_seq() const;

  /// Bytes of an unterminated last line that open() cut away; the caller logs a warning.
  [[nodiscard]] std::uint64_t dropped_tail_bytes() const noexcept;

private:
  struct state;
  explicit audit_log(std::unique_ptr<state> s);
  std::unique_ptr<state> s_;
};

/// Verifies `log` and its `<log>.head` under the key in `key_file`, without taking the lock (a
/// running writer is fine). Throws std::runtime_error if the key file is loose or short, or a
/// file cannot be read; every problem in the log itself is in the result.
[[nodiscard]] verify_result verify_file(const std::filesystem::path& log,
                                        const std::filesystem::path& key_file);

/// The entries of `log` matching `filter`; no key needed, macs not checked. Throws
/// std::runtime_error naming the first line that does not parse.
[[nodiscard]] std::vector<audit_entry> read_file(const std::filesystem::path& log,
                                                 const audit_filter& filter = {});

/// The bytes an entry's mac covers: its JSON without `mac`, fields in the order of audit_entry,
/// details keys sorted, no spaces (see privacy/audit_log.cpp). `mac` is ignored.
[[nodiscard]] std::string canonical_bytes(const audit_entry& e);

/// The entry as one stored line (without the newline): canonical_bytes with `"mac"` last.
[[nodiscard]] std::string to_json(const audit_entry& e);

/// Parses a details object (`{"k":"v","n":3,"b":true}`) as append_json does. Throws
/// std::invalid_argument for nested objects or arrays, null, forbidden keys or oversize values.
[[nodiscard]] audit_details parse_audit_details(std::string_view json);

} // namespace aia::privacy
