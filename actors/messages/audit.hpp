// The audit domain's protocol: the audit recorder in front of the HMAC-chained audit log.
//
//   (audit_atom, audit_request) -> uint64_t seq   once the entry is durable (fsynced, anchored)
//                                | error store_failed (session domain) if writing failed
//                                | error audit_errc::invalid_entry if the entry was refused
//   (audit_atom, audit_request)      sent, not requested: recorded, nothing answered (failures
//                                    are logged and counted only), so no sender can be killed
//                                    by an error reply
//   (audit_subject_atom, std::string user) -> std::string   the subject entries of `user` carry
#pragma once

#include "actors/audit_types.hpp"

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>

namespace aia::actors {

using audit_atom = caf::atom_constant<caf::atom("audit")>;
using audit_subject_atom = caf::atom_constant<caf::atom("auditsubj")>;

/// Errors of the audit domain (category atom "audit"); a failed write is store_failed instead.
enum class audit_errc : std::uint8_t {
  invalid_entry = 1,  ///< unknown kind, empty actor, or details the log refuses: do not retry
};

/// Category atom of audit_errc errors.
inline constexpr caf::atom_value audit_category = caf::atom("audit");

/// Builds a CAF error of the audit domain.
inline caf::error make_error(audit_errc x) {
  return caf::error{static_cast<std::uint8_t>(x), audit_category};
}

/// Wire code of an audit error (`invalid_audit_entry`).
inline const char* to_string(audit_errc x) noexcept {
  switch (x) {
    case audit_errc::invalid_entry:
      return "invalid_audit_entry";
  }
  return "unknown";
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, audit_request& x) {
  return f(caf::meta::type_name("audit_request"), x.kind, x.actor, x.user, x.details_json);
}

} // namespace aia::actors
