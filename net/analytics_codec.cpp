// Query strings in, releases out.
#include "net/analytics_codec.hpp"

#include "net/detail/json_writer.hpp"
#include "net/detail/query_string.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace aia::net {

namespace {

using detail::json_writer;
using detail::spelling;

using detail::each_parameter;

std::optional<double> to_real(const std::string& s) {
  double x = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(x)) {
    return std::nullopt;
  }
  return x;
}

std::optional<std::uint64_t> to_count(const std::string& s) {
  std::uint64_t x = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec != std::errc{} || end != s.data() + s.size()) {
    return std::nullopt;
  }
  return x;
}

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& names, std::string_view x) {
  return std::find(names.begin(), names.end(), x) != names.end();
}

std::string joined(const auto& names) {
  std::string out;
  for (auto n : names) {
    out += out.empty() ? "" : ", ";
    out += n;
  }
  return out;
}

void write_budget(json_writer& w, const actors::budget_report& b) {
  w.begin_object()
    .name_key("spent_epsilon").value(b.spent_epsilon)
    .name_key("spent_delta").value(b.spent_delta)
    .name_key("limit_epsilon").value(b.limit_epsilon)
    .name_key("limit_delta").value(b.limit_delta)
    .name_key("remaining_epsilon").value(std::max(0.0, b.limit_epsilon - b.spent_epsilon))
    .name_key("releases").value(b.releases)
    .name_key("composition").value(b.method)
    .name_key("resets_at");
  if (b.resets_at > 0) {
    w.value(b.resets_at);
  } else {
    w.null();
  }
  w.end_object();
}

} // namespace

parse_result<actors::aggregate_query> parse_aggregate_query(std::string_view query) {
  actors::aggregate_query q;
  auto err = each_parameter(query, [&q](const std::string& k,
                                        const std::string& v) -> std::optional<wire_error> {
    if (k == "group_by") {
      if (!one_of(actors::analytics_group_bys, v)) {
        return wire_error{"invalid_field", "group_by is one of " + joined(actors::analytics_group_bys),
                          "group_by"};
      }
      q.group_by = v;
    } else if (k == "metrics") {
      q.metrics.clear();
      std::string_view rest = v;
      while (!rest.empty()) {
        auto comma = rest.find(',');
        auto m = std::string{rest.substr(0, comma)};
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        if (!one_of(actors::analytics_metrics, m)
            || std::count(q.metrics.begin(), q.metrics.end(), m) > 0) {
          return wire_error{"invalid_field", "metrics is a comma-separated list without repeats "
                                             "of " + joined(actors::analytics_metrics),
                            "metrics"};
        }
        q.metrics.push_back(std::move(m));
      }
    } else if (k == "epsilon" || k == "delta") {
      auto x = to_real(v);
      if (!x || *x <= 0 || (k == "delta" && *x >= 1)) {
        return wire_error{"invalid_field", k == "epsilon" ? "epsilon must be a number above 0"
                                                          : "delta must be a number in (0, 1)",
                          k};
      }
      (k == "epsilon" ? q.epsilon : q.delta) = *x;
    } else if (k == "mechanism") {
      if (v != "laplace" && v != "gaussian") {
        return wire_error{"invalid_field", "mechanism is laplace or gaussian", "mechanism"};
      }
      q.mechanism = v;
    } else {
      return wire_error{"invalid_field", "unknown parameter; known: group_by, metrics, epsilon, "
                                         "mechanism, delta", k};
    }
    return std::nullopt;
  });
  if (err) {
    return *err;
  }
  if (q.mechanism == "laplace" && q.delta > 0) {
    return wire_error{"invalid_field", "delta is for mechanism=gaussian only", "delta"};
  }
  return q;
}

parse_result<actors::anonymize_query> parse_anonymize_query(std::string_view query) {
  actors::anonymize_query q;
  auto err = each_parameter(query, [&q](const std::string& k,
                                        const std::string& v) -> std::optional<wire_error> {
    if (k != "k" && k != "l") {
      return wire_error{"invalid_field", "unknown parameter; known: k, l", k};
    }
    auto x = to_count(v);
    if (!x || *x == 0 || *x > 1000000) {
      return wire_error{"invalid_field", k + " must be a whole number from 1 to 1000000", k};
    }
    (k == "k" ? q.k : q.l) = *x;
    return std::nullopt;
  });
  if (err) {
    return *err;
  }
  return q;
}

std::string rest_aggregate_release(const actors::aggregate_release& r) {
  json_writer w{spelling::snake, 1024 + 256 * r.groups.size() * (1 + r.metrics.size())};
  w.begin_object()
    .name_key("group_by").value(r.group_by)
    .name_key("metrics").begin_array();
  for (const auto& m : r.metrics) {
    w.value(m);
  }
  w.end_array().name_key("groups").begin_array();
  for (const auto& g : r.groups) {
    w.begin_object().name_key("key").value(g.key).name_key("count").value(g.count)
      .name_key("means").begin_object();
    for (std::size_t i = 0; i < g.means.size() && i < r.metrics.size(); ++i) {
      w.name_key(r.metrics[i]).value(g.means[i]);
    }
    w.end_object().end_object();
  }
  w.end_array()
    .name_key("privacy").begin_object()
    .name_key("mechanism").value(r.mechanism)
    .name_key("epsilon").value(r.epsilon)
    .name_key("delta").value(r.delta)
    .name_key("homomorphic_sums").value(r.homomorphic)
    .end_object()
    .name_key("users_included").value(r.users_included)
    .name_key("users_excluded_no_consent").value(r.users_excluded_no_consent)
    .name_key("global_budget");
  write_budget(w, r.budget);
  w.name_key("released_at").value(r.released_at).end_object();
  return w.take();
}

std::string rest_anonymized_release(const actors::anonymized_release& r) {
  json_writer w{spelling::snake, 1024 + 160 * r.rows.size() * (1 + r.quasi_identifiers.size())};
  w.begin_object()
    .name_key("k").value(r.k)
    .name_key("l").value(r.l)
    .name_key("achieved_k").value(r.achieved_k)
    .name_key("achieved_l").value(r.achieved_l)
    .name_key("information_loss").value(r.information_loss)
    .name_key("records").value(r.records)
    .name_key("suppressed").value(r.suppressed)
    .name_key("users_excluded_no_consent").value(r.users_excluded_no_consent)
    .name_key("quasi_identifiers").begin_array();
  for (const auto& q : r.quasi_identifiers) {
    w.value(q);
  }
  w.end_array().name_key("sensitive_attribute").value("cognitive_load_level")
    .name_key("rows").begin_array();
  for (const auto& row : r.rows) {
    w.begin_object();
    for (std::size_t i = 0; i < row.quasi.size() && i < r.quasi_identifiers.size(); ++i) {
      w.name_key(r.quasi_identifiers[i]).value(row.quasi[i]);
    }
    w.name_key("cognitive_load_level").value(row.cognitive_load_level).end_object();
  }
  w.end_array().name_key("released_at").value(r.released_at).end_object();
  return w.take();
}

} // namespace aia::net
