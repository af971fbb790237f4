// The audit recorder: a detached actor that owns the audit log and records privacy-relevant
// actions (consent changes, erasures, exports, budget spends, admin actions) in it.
#pragma once

#include "privacy/pseudonym.hpp"

#include <caf/fwd.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace aia::runtime {
class metrics_registry;
} // namespace aia::runtime

namespace aia::actors {

/// Where the audit log and its key live. Keep the key apart from the log (a secret mount):
/// whoever holds it can rewrite the log undetectably, and can test a guessed user id against
/// the subjects.
struct audit_options {
  std::filesystem::path log;       ///< the log; `<log>.head` and `<log>.lock` go beside it
  std::filesystem::path key_file;  ///< mode 0600 or stricter; created with a new log
};

/// The keyed pseudonymizer giving audit subjects. Its key is derived from the audit key
/// (SHA-256 of a domain tag and the key), so it needs no second secret, stays stable across
/// restarts and nodes sharing the key, and differs from the logs' pseudonyms. Throws
/// std::runtime_error if the key file is missing, loose (group or others may access it) or short.
[[nodiscard]] privacy::pseudonymizer audit_pseudonymizer(const std::filesystem::path& key_file);

/// The subject that entries about `user` carry ("" for ""), e.g. to filter a read of the log for
/// one user (privacy::audit_filter::subject). Reads the key file; throws as audit_pseudonymizer.
[[nodiscard]] std::string audit_subject(const audit_options& opt, std::string_view user);

/// Opens the audit log (creating log and key if both are missing) and spawns its recorder on
/// its own thread (appends block on fsync). Throws std::runtime_error with the reason (log
/// locked by another process, key loose or short, chain broken) before spawning anything, so the
/// node refuses to start with a clear message.
///
/// Each request is written as one entry, answered with its seq once durable. The user id is
/// never written: the entry's subject is its keyed pseudonym (audit_subject). So the log holds
/// no user id, and after an erasure only this pseudonymous tombstone of the user remains: it
/// cannot be turned back into the id without the key, and with the key only by testing a known
/// id (GDPR pseudonymization, not anonymization). A failed write answers store_failed and the
/// next request reopens the log first; failures count in `audit_failures_total{reason}`,
/// entries in `audit_entries_total{kind}`. Stops on an exit message. Protocol:
/// actors/messages/audit.hpp.
caf::actor spawn_audit_recorder(caf::actor_system& sys, audit_options opt,
                                runtime::metrics_registry& metrics);

} // namespace aia::actors
