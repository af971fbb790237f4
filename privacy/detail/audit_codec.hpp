// Audit entries as text: the stored line split into canonical bytes and mac, parsing that checks
// the canonical form, and the guard on what an entry may hold. The format is described at the
// top of privacy/audit_log.cpp; canonical_bytes and to_json are declared in audit_log.hpp.
#pragma once

#include "privacy/audit_log.hpp"

#include <optional>
#include <string_view>

namespace aia::privacy::detail {

/// Refuses (std::invalid_argument) an empty text unless `may_be_empty`, one over 256 bytes or
/// not UTF-8; `what` names it ("actor", "subject", ...).
void check_text(std::string_view what, std::string_view s, bool may_be_empty);

/// The guard on details described at the top of privacy/audit_log.cpp.
void check_details(const audit_details& details);

/// Parses the canonical bytes of an entry (mac excluded) and checks they are canonical; throws
/// std::invalid_argument.
[[nodiscard]] audit_entry parse_entry(std::string_view body);

/// A stored line split into its canonical bytes less the final '}', and its mac.
struct split_line {
  std::string_view body_head;
  std::string_view mac;
};

/// `line` split at its `,"mac":"<64 hex>"}` suffix, or nullopt if it has none.
[[nodiscard]] std::optional<split_line> split(std::string_view line);

/// Parses a stored line into an entry with its mac; throws std::invalid_argument.
[[nodiscard]] audit_entry parse_line(std::string_view line);

[[nodiscard]] bool matches(const audit_entry& e, const audit_filter& f);

} // namespace aia::privacy::detail
