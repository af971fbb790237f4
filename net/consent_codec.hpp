// The consent routes' JSON: the PUT body `{"personalization": true, "analytics": false, ...}` and
// the consent view GET and PUT answer with. No Beast, no CAF.
#pragma once

#include "actors/privacy_types.hpp"
#include "net/json_codec.hpp"
#include "privacy/consent.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aia::net {

/// A consent change: purposes by wire name and the value each is set to, in body order.
using consent_change_body = std::vector<std::pair<std::string, bool>>;

/// Parses a PUT /consent body: a JSON object of known purposes to booleans, at least one.
/// Unknown purposes, non-boolean values and anything else get a wire_error naming the field.
[[nodiscard]] parse_result<consent_change_body> parse_consent_change(std::string_view body);

/// The consent view: the effective value of every purpose under `mode`, the recorded choices,
/// the version and the history of changes.
[[nodiscard]] std::string rest_consent(std::string_view user_id,
                                       const privacy::consent_state& consent,
                                       privacy::consent_mode mode);

/// GET /privacy/status: the level, its settings and the global budget.
[[nodiscard]] std::string rest_privacy_status(const actors::privacy_status& s);

} // namespace aia::net
