// Consent JSON: a flat object in, the view out (field names are the purposes' wire names).
#include "net/consent_codec.hpp"

#include "net/detail/json_writer.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace aia::net {

namespace {

using json = nlohmann::json;
using detail::json_writer;
using detail::spelling;

void write_purposes(json_writer& w, const privacy::consent_state& c, bool recorded_only,
                    privacy::consent_mode mode) {
  w.begin_object();
  for (auto p : privacy::all_purposes) {
    if (recorded_only) {
      if (auto v = c.choice(p)) {
        w.name_key(privacy::to_string(p)).value(*v);
      }
    } else {
      w.name_key(privacy::to_string(p)).value(c.granted(p, mode));
    }
  }
  w.end_object();
}

} // namespace

parse_result<consent_change_body> parse_consent_change(std::string_view body) {
  json doc;
  try {
    doc = json::parse(body.begin(), body.end());
  } catch (const json::exception&) {
    return wire_error{"invalid_json", "the body is not valid JSON", {}};
  }
  if (!doc.is_object()) {
    return wire_error{"invalid_field",
                      "the body must be an object of purposes to true or false", {}};
  }
  consent_change_body out;
  for (auto& [key, value] : doc.items()) {
    if (!privacy::parse_purpose(key)) {
      return wire_error{"invalid_field",
                        "unknown purpose; known: personalization, analytics, experimentation, "
                        "federated_learning, marketing",
                        key};
    }
    if (!value.is_boolean()) {
      return wire_error{"invalid_field", "must be true or false", key};
    }
    out.emplace_back(key, value.get<bool>());
  }
  if (out.empty()) {
    return wire_error{"invalid_field", "name at least one purpose to grant or withdraw", {}};
  }
  return out;
}

std::string rest_consent(std::string_view user_id, const privacy::consent_state& c,
                         privacy::consent_mode mode) {
  json_writer w{spelling::snake, 512 + 160 * c.history().size()};
  w.begin_object()
    .name_key("user_id").value(user_id)
    .name_key("version").value(c.version())
    .name_key("mode").value(privacy::to_string(mode))
    .name_key("consent");
  write_purposes(w, c, false, mode);
  w.name_key("recorded");
  write_purposes(w, c, true, mode);
  w.name_key("updated_at");
  if (c.history().empty()) {
    w.null();
  } else {
    w.value(c.history().back().at);
  }
  w.name_key("history").begin_array();
  for (const auto& change : c.history()) {
    w.begin_object()
      .name_key("version").value(change.version)
      .name_key("at").value(change.at)
      .name_key("source").value(change.source)
      .name_key("changes").begin_object();
    for (auto& [p, v] : change.set) {
      w.name_key(privacy::to_string(p)).value(v);
    }
    w.end_object().end_object();
  }
  w.end_array().end_object();
  return w.take();
}

std::string rest_privacy_status(const actors::privacy_status& s) {
  const auto& g = s.global;
  json_writer w{spelling::snake, 512};
  w.begin_object()
    .name_key("privacy_level").value(s.settings.level)
    .name_key("epsilon").value(s.settings.epsilon)
    .name_key("delta").value(s.settings.delta)
    .name_key("differential_privacy").value(s.settings.differential_privacy)
    .name_key("consent_mode").value(s.settings.consent_mode)
    .name_key("budget_reset").value(s.settings.budget_reset)
    .name_key("global_budget").begin_object()
    .name_key("epsilon").value(g.limit_epsilon)
    .name_key("delta").value(g.limit_delta)
    .name_key("spent_epsilon").value(g.spent_epsilon)
    .name_key("spent_delta").value(g.spent_delta)
    .name_key("remaining_epsilon").value(std::max(0.0, g.limit_epsilon - g.spent_epsilon))
    .name_key("remaining_delta").value(std::max(0.0, g.limit_delta - g.spent_delta))
    .name_key("releases").value(g.releases)
    .name_key("composition").value(g.method)
    .name_key("resets_at");
  if (g.resets_at > 0) {
    w.value(g.resets_at);
  } else {
    w.null();
  }
  w.end_object().end_object();
  return w.take();
}

} // namespace aia::net
