// The privacy routes: status, compliance and the users' rights.
#include "net/privacy_routes.hpp"

#include "net/analytics_codec.hpp"
#include "net/consent_codec.hpp"
#include "net/rights_codec.hpp"
#include "privacy/random.hpp"

#include <array>
#include <cstdio>

namespace aia::net {

namespace {

constexpr std::string_view status_path = "/privacy/status";
constexpr std::string_view compliance_path = "/privacy/compliance";
constexpr std::string_view user_prefix = "/user/";
constexpr std::string_view aggregate_path = "/analytics/aggregate";
constexpr std::string_view anonymized_path = "/analytics/export";

/// 128 random bits as hex: names one erasure in its receipt (and nothing else).
std::string receipt_id() {
  privacy::system_random rng;
  std::array<char, 33> out{};
  std::snprintf(out.data(), out.size(), "%016llx%016llx",
                static_cast<unsigned long long>(rng.next_u64()),
                static_cast<unsigned long long>(rng.next_u64()));
  return std::string{out.data(), 32};
}

} // namespace

http_reply consent_view(const actors::outcome<actors::consent_reply>& out) {
  if (const auto* err = std::get_if<actors::port_error>(&out)) {
    return from_port_error(*err);
  }
  const auto& r = std::get<actors::consent_reply>(out);
  auto state = privacy::consent_state::decode(r.state.data(), r.state.size());
  if (!state) {
    return error_reply(500, {"internal_error", "the consent record is unreadable", ""});
  }
  http_reply reply;
  reply.body = rest_consent(r.user_id, *state, static_cast<privacy::consent_mode>(r.mode));
  return reply;
}

std::string_view privacy_routes::route_of(std::string_view rest) {
  if (rest == status_path) {
    return "/privacy/status";
  }
  if (rest == compliance_path) {
    return "/privacy/compliance";
  }
  if (rest == aggregate_path) {
    return "/analytics/aggregate";
  }
  if (rest == anonymized_path) {
    return "/analytics/export";
  }
  if (rest.substr(0, user_prefix.size()) == user_prefix) {
    auto tail = rest.substr(user_prefix.size());
    auto slash = tail.find('/');
    if (slash == std::string_view::npos) {
      return "/user";
    }
    auto action = tail.substr(slash);
    return action == "/export" ? "/user/export" : action == "/opt-out" ? "/user/opt-out" : "";
  }
  return "";
}

bool privacy_routes::handle(std::string_view method, std::string_view rest,
                            std::string_view query, const auth::principal& who,
                            const std::string& /*body*/, std::function<void(http_reply)>& done) {
  if (rest == status_path || rest == compliance_path) {
    if (method != "GET") {
      done(method_not_allowed("GET"));
      return true;
    }
    if (!auth::allowed(who, auth::operation::read_aggregate, "")) {
      done(forbidden("privacy status and compliance are for analyst and admin tokens"));
      return true;
    }
    if (rest == status_path) {
      port_.privacy(reply_with<actors::privacy_status>(
        std::move(done), [](const actors::privacy_status& s) { return rest_privacy_status(s); }));
    } else {
      port_.compliance(reply_with<actors::compliance_report>(
        std::move(done), [](const actors::compliance_report& r) { return rest_compliance(r); }));
    }
    return true;
  }
  if (rest == aggregate_path || rest == anonymized_path) {
    analytics(method, rest == aggregate_path, query, who, std::move(done));
    return true;
  }
  if (rest.substr(0, user_prefix.size()) != user_prefix) {
    return false;
  }
  auto tail = rest.substr(user_prefix.size());
  auto slash = tail.find('/');
  auto user = std::string{tail.substr(0, slash)};
  auto action = slash == std::string_view::npos ? std::string_view{} : tail.substr(slash);
  if (!action.empty() && action != "/export" && action != "/opt-out") {
    return false;
  }
  user_route(method, std::move(user), action, who, std::move(done));
  return true;
}

void privacy_routes::analytics(std::string_view method, bool aggregate, std::string_view query,
                               const auth::principal& who, std::function<void(http_reply)> done) {
  if (method != "GET") {
    return done(method_not_allowed("GET"));
  }
  if (!auth::allowed(who, auth::operation::read_aggregate, "")) {
    return done(forbidden("analytics are for analyst and admin tokens"));
  }
  if (aggregate) {
    auto q = parse_aggregate_query(query);
    if (auto* err = std::get_if<wire_error>(&q)) {
      return done(error_reply(400, std::move(*err)));
    }
    auto& aq = std::get<actors::aggregate_query>(q);
    aq.requested_by = who.subject;
    return port_.aggregate(std::move(aq), reply_with<actors::aggregate_release>(
                                            std::move(done), [](const actors::aggregate_release& r) {
                                              return rest_aggregate_release(r);
                                            }));
  }
  auto q = parse_anonymize_query(query);
  if (auto* err = std::get_if<wire_error>(&q)) {
    return done(error_reply(400, std::move(*err)));
  }
  auto& aq = std::get<actors::anonymize_query>(q);
  aq.requested_by = who.subject;
  port_.anonymize(std::move(aq), reply_with<actors::anonymized_release>(
                                   std::move(done), [](const actors::anonymized_release& r) {
                                     return rest_anonymized_release(r);
                                   }));
}

void privacy_routes::user_route(std::string_view method, std::string user,
                                std::string_view action, const auth::principal& who,
                                std::function<void(http_reply)> done) {
  std::string_view allow = action.empty() ? "DELETE" : action == "/export" ? "GET" : "POST";
  if (method != allow) {
    return done(method_not_allowed(allow));
  }
  if (!is_valid_user_id(user)) {
    return done(invalid_user_id());
  }
  auto op = action == "/opt-out" ? auth::operation::manage_consent
                                 : auth::operation::exercise_rights;
  if (!auth::allowed(who, op, user)) {
    return done(forbidden("this token may only exercise its own user's rights"));
  }
  if (action.empty()) {
    return port_.erase(std::move(user), who.subject,
                       reply_with<actors::erasure_receipt>(
                         std::move(done), [](const actors::erasure_receipt& r) {
                           return rest_erasure_receipt(r, receipt_id());
                         }));
  }
  if (action == "/export") {
    return port_.export_user(std::move(user), who.subject,
                             reply_with<actors::user_export>(
                               std::move(done), [](const actors::user_export& x) {
                                 return rest_user_export(x);
                               }));
  }
  // CCPA "Do Not Sell or Share My Personal Information": recorded as the marketing purpose.
  actors::consent_update u;
  u.purposes.emplace_back("marketing");
  u.granted.push_back(0);
  u.source = who.subject == user ? "user" : std::string{"admin:"} + who.subject;
  port_.change_consent(user, std::move(u),
                       [done = std::move(done)](actors::outcome<actors::consent_reply> out) {
                         done(consent_view(out));
                       });
}

} // namespace aia::net
