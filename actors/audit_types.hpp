// Plain data of the audit domain, free of CAF, so the gateway can build audit requests without
// actor headers.
#pragma once

#include <cstdint>
#include <string>

namespace aia::actors {

/// One privacy-relevant action to record in the audit log (see actors/audit_recorder.hpp).
struct audit_request {
  std::uint8_t kind = 0;  ///< privacy::audit_kind (consent_changed, erasure, export, ...)
  std::string actor;      ///< who acted: a token subject, "admin" or "system"; never empty
  /// The user concerned, or "" for none. Never written: the entry's subject is the user's
  /// keyed pseudonym (audit_subject), so the log holds no user id.
  std::string user;
  /// A flat JSON object of counts, ids, versions and reasons (`{"events_erased":12}`), or ""
  /// for none; nested values, raw data and payload-like keys are refused (privacy/audit_log.cpp).
  std::string details_json;
};

} // namespace aia::actors
