// The data-rights routes' JSON: the erasure receipt, the user's export (GDPR Art. 15/20) and the
// compliance report. No Beast, no CAF.
#pragma once

#include "actors/rights_types.hpp"
#include "actors/session_types.hpp"
#include "privacy/consent.hpp"

#include <string>
#include <string_view>

namespace aia::net {

/// DELETE /user/{id}: what was deleted, where and when, with a receipt id.
[[nodiscard]] std::string rest_erasure_receipt(const actors::erasure_receipt& r,
                                               std::string_view receipt_id);

/// GET /user/{id}/export: the profile, every raw event held, the consent history and the
/// privacy-budget ledger, and the snapshot's metadata.
[[nodiscard]] std::string rest_user_export(const actors::user_export& x);

/// GET /privacy/compliance: each duty, whether it holds, and a score per regulation.
[[nodiscard]] std::string rest_compliance(const actors::compliance_report& r);

} // namespace aia::net
