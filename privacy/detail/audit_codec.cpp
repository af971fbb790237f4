// Audit entries as canonical JSON: serialization, parsing, kind names and the details guard.
#include "privacy/detail/audit_codec.hpp"

#include "privacy/detail/audit_json.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace aia::privacy::detail {

namespace {

constexpr std::string_view mac_field = R"(,"mac":")";
constexpr std::size_t mac_suffix_size = mac_field.size() + 64 + 2;  // ,"mac":"<64 hex>"}
constexpr std::size_t max_details = 32;
constexpr std::size_t max_key_name = 64;
constexpr std::size_t max_text = 256;

void put_value(std::string& out, const audit_value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    put_string(out, *s);
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    put_number(out, *i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    auto start = out.size();
    put_number(out, *d);
    // Keep it a double when read back: "3" would come back as an integer.
    if (out.find_first_of(".e", start) == std::string::npos) {
      out += ".0";
    }
  } else {
    out += std::get<bool>(v) ? "true" : "false";
  }
}

std::string details_json(const audit_details& details) {
  std::string out = "{";
  for (const auto& [key, value] : details) {
    if (out.size() > 1) {
      out += ',';
    }
    put_string(out, key);
    out += ':';
    put_value(out, value);
  }
  out += '}';
  return out;
}

/// A key fit for details, for quoting in an error message.
bool valid_key_name(std::string_view k) noexcept {
  return !k.empty() && k.size() <= max_key_name && std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
  });
}

std::string key_label(std::string_view k) {
  return valid_key_name(k) ? "\"" + std::string{k} + "\"" : std::string{"(a malformed key)"};
}

/// Parses `{...}` of scalar values; nested objects, arrays and null throw.
audit_details parse_details_object(json_cursor& c) {
  audit_details out;
  c.skip_ws();
  if (!c.consume('{')) {
    c.bad("details must be a JSON object");
  }
  c.skip_ws();
  if (c.consume('}')) {
    return out;
  }
  while (true) {
    c.skip_ws();
    auto key = c.string();
    c.skip_ws();
    c.expect(":");
    c.skip_ws();
    audit_value value;
    switch (c.peek()) {
    case '"':
      value = c.string();
      break;
    case 't':
      c.expect("true");
      value = true;
      break;
    case 'f':
      c.expect("false");
      value = false;
      break;
    case '{':
    case '[':
      throw std::invalid_argument("details must be flat: " + key_label(key) + " holds "
                                  + (c.peek() == '{' ? "an object" : "an array"));
    case 'n':
      throw std::invalid_argument("details must not hold null: " + key_label(key));
    default: {
      json_cursor probe = c;
      auto text = probe.number();
      if (text.find_first_of(".eE") == std::string_view::npos) {
        value = c.number_as<std::int64_t>();
      } else {
        value = c.number_as<double>();
      }
    }
    }
    if (!out.emplace(std::move(key), std::move(value)).second) {
      c.bad("a duplicate key");
    }
    c.skip_ws();
    if (c.consume(',')) {
      continue;
    }
    if (c.consume('}')) {
      return out;
    }
    c.bad("expected ',' or '}'");
  }
}

/// True for a key that names raw interaction data.
bool forbidden_key(std::string_view key) {
  std::string lower{key};
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  if (lower.find("payload") != std::string::npos
      || lower.find("interaction") != std::string::npos) {
    return true;
  }
  std::string_view rest = lower;
  while (!rest.empty()) {
    auto cut = rest.find_first_of("_.-");
    auto word = rest.substr(0, cut);
    if (word.starts_with("raw") || word == "body") {
      return true;
    }
    rest = cut == std::string_view::npos ? std::string_view{} : rest.substr(cut + 1);
  }
  return false;
}

} // namespace

void check_text(std::string_view what, std::string_view s, bool may_be_empty) {
  if (s.empty() && !may_be_empty) {
    throw std::invalid_argument("audit entry: the " + std::string{what} + " is empty");
  }
  if (s.size() > max_text) {
    throw std::invalid_argument("audit entry: the " + std::string{what} + " exceeds 256 bytes");
  }
  if (!valid_utf8(s)) {
    throw std::invalid_argument("audit entry: the " + std::string{what} + " is not UTF-8");
  }
}

void check_details(const audit_details& details) {
  if (details.size() > max_details) {
    throw std::invalid_argument("audit details: more than 32 keys");
  }
  for (const auto& [key, value] : details) {
    if (!valid_key_name(key)) {
      throw std::invalid_argument("audit details: a key is not [A-Za-z0-9_.-]{1,64}");
    }
    if (forbidden_key(key)) {
      throw std::invalid_argument("audit details: key \"" + key
                                  + "\" names raw data (payload, interaction, raw, body); "
                                    "log counts and ids, never the data");
    }
    if (const auto* s = std::get_if<std::string>(&value)) {
      check_text("value of \"" + key + "\"", *s, true);
    } else if (const auto* d = std::get_if<double>(&value); d != nullptr && !std::isfinite(*d)) {
      throw std::invalid_argument("audit details: \"" + key + "\" is not a finite number");
    }
  }
}

audit_entry parse_entry(std::string_view body) {
  json_cursor c{body};
  audit_entry e;
  c.expect(R"({"seq":)");
  e.seq = c.number_as<std::uint64_t>();
  c.expect(R"(,"time":)");
  e.time = c.number_as<double>();
  c.expect(R"(,"kind":)");
  auto kind = parse_audit_kind(c.string());
  if (!kind) {
    c.bad("an unknown kind (written by a newer version?)");
  }
  e.kind = *kind;
  c.expect(R"(,"actor":)");
  e.actor = c.string();
  c.expect(R"(,"subject":)");
  e.subject = c.string();
  c.expect(R"(,"details":)");
  e.details = parse_details_object(c);
  c.expect(R"(,"prev":)");
  e.prev = c.string();
  c.expect("}");
  if (!c.at_end()) {
    c.bad("trailing bytes");
  }
  if (!is_mac_hex(e.prev)) {
    throw std::invalid_argument("prev is not 64 hex digits");
  }
  if (canonical_bytes(e) != body) {
    throw std::invalid_argument("not in canonical form");
  }
  return e;
}

std::optional<split_line> split(std::string_view line) {
  if (line.size() <= mac_suffix_size) {
    return std::nullopt;
  }
  auto suffix = line.substr(line.size() - mac_suffix_size);
  auto mac = suffix.substr(mac_field.size(), 64);
  if (!suffix.starts_with(mac_field) || !suffix.ends_with("\"}") || !is_mac_hex(mac)) {
    return std::nullopt;
  }
  return split_line{line.substr(0, line.size() - mac_suffix_size), mac};
}

audit_entry parse_line(std::string_view line) {
  auto parts = split(line);
  if (!parts) {
    throw std::invalid_argument("no mac at the end");
  }
  std::string body{parts->body_head};
  body += '}';
  auto e = parse_entry(body);
  e.mac = parts->mac;
  return e;
}

bool matches(const audit_entry& e, const audit_filter& f) {
  return e.seq >= f.from_seq && (!f.subject || e.subject == *f.subject)
         && (!f.kind || e.kind == *f.kind);
}

} // namespace aia::privacy::detail

namespace aia::privacy {

using detail::check_details;
using detail::details_json;
using detail::json_cursor;
using detail::parse_details_object;
using detail::put_number;
using detail::put_string;
using detail::with_hex_field;

std::string_view to_string(audit_kind k) noexcept {
  switch (k) {
  case audit_kind::consent_changed:
    return "consent_changed";
  case audit_kind::erasure:
    return "erasure";
  case audit_kind::export_data:
    return "export";
  case audit_kind::budget_spend:
    return "budget_spend";
  case audit_kind::admin_action:
    return "admin_action";
  case audit_kind::retention_sweep:
    return "retention_sweep";
  }
  return "";
}

std::optional<audit_kind> parse_audit_kind(std::string_view name) noexcept {
  for (auto k : {audit_kind::consent_changed, audit_kind::erasure, audit_kind::export_data,
                 audit_kind::budget_spend, audit_kind::admin_action, audit_kind::retention_sweep}) {
    if (to_string(k) == name) {
      return k;
    }
  }
  return std::nullopt;
}

std::string_view to_string(audit_problem p) noexcept {
  switch (p) {
  case audit_problem::none:
    return "ok";
  case audit_problem::bad_line:
    return "bad line";
  case audit_problem::altered:
    return "altered";
  case audit_problem::removed_or_reordered:
    return "removed or reordered";
  case audit_problem::truncated:
    return "truncated";
  case audit_problem::bad_anchor:
    return "bad head anchor";
  }
  return "";
}

std::string canonical_bytes(const audit_entry& e) {
  std::string out;
  out.reserve(256);
  out += R"({"seq":)";
  put_number(out, e.seq);
  out += R"(,"time":)";
  put_number(out, e.time, std::chars_format::fixed, 6);
  out += R"(,"kind":)";
  put_string(out, to_string(e.kind));
  out += R"(,"actor":)";
  put_string(out, e.actor);
  out += R"(,"subject":)";
  put_string(out, e.subject);
  out += R"(,"details":)";
  out += details_json(e.details);
  out += R"(,"prev":)";
  put_string(out, e.prev);
  out += '}';
  return out;
}

std::string to_json(const audit_entry& e) {
  return with_hex_field(canonical_bytes(e), "mac", e.mac);
}

audit_details parse_audit_details(std::string_view json) {
  json_cursor c{json};
  auto details = parse_details_object(c);
  c.skip_ws();
  if (!c.at_end()) {
    c.bad("trailing bytes after the details object");
  }
  check_details(details);
  return details;
}

} // namespace aia::privacy
