// The analytics routes' wire format: the query strings of GET /analytics/aggregate and
// GET /analytics/export, and their JSON releases. No Beast, no CAF.
#pragma once

#include "actors/analytics_types.hpp"
#include "net/json_codec.hpp"

#include <string>
#include <string_view>

namespace aia::net {

/// `group_by=device_type&metrics=focus_level,fatigue_level&epsilon=0.1&mechanism=gaussian&delta=1e-6`:
/// every parameter optional; an unknown parameter, a malformed number or a value out of its
/// domain is a wire_error naming it. The actor checks ε and δ against the level's limits.
[[nodiscard]] parse_result<actors::aggregate_query> parse_aggregate_query(std::string_view query);

/// `k=5&l=2`: both optional (the configured minimums), whole numbers.
[[nodiscard]] parse_result<actors::anonymize_query> parse_anonymize_query(std::string_view query);

/// The aggregate release: groups with noisy counts and means, the cost and the budget after it.
[[nodiscard]] std::string rest_aggregate_release(const actors::aggregate_release& r);

/// The anonymized export: the quasi-identifier names, the rows, and k, l, information loss.
[[nodiscard]] std::string rest_anonymized_release(const actors::anonymized_release& r);

} // namespace aia::net
