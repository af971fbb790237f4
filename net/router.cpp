// REST routes of the node: interaction, profile, health, readiness and metrics.
#include "net/router.hpp"

#include "net/consent_codec.hpp"

#include "runtime/metrics.hpp"
#include "runtime/wall_clock.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <cmath>

namespace aia::net {

namespace {

constexpr std::string_view interaction_path = "/interaction";
constexpr std::string_view profile_prefix = "/profile/";
constexpr std::string_view ws_prefix = "/ws/";
constexpr std::string_view consent_prefix = "/consent/";
constexpr std::string_view feedback_path = "/feedback";

std::string_view strip_query(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

std::string_view query_of(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

/// The part of `path` after the API base, or nullopt-like empty with ok=false.
bool api_rest(std::string_view path, std::string_view& rest) {
  if (path.substr(0, api_base.size()) != api_base) {
    return false;
  }
  rest = path.substr(api_base.size());
  return true;
}

http_reply unauthorized(std::string reason) {
  auto r = error_reply(401, {"unauthorized", std::move(reason), ""});
  r.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="aia-node")");
  return r;
}

http_reply rate_limited(double wait_seconds, std::string_view who) {
  auto seconds = std::max(1.0, std::ceil(wait_seconds));
  auto r = error_reply(429, {"rate_limited", "too many requests " + std::string{who}
                                               + "; retry after the Retry-After seconds", ""});
  for (auto& [k, v] : r.headers) {
    if (k == "Retry-After") {
      v = std::to_string(static_cast<long long>(seconds));
    }
  }
  return r;
}

} // namespace

std::string ws_user_of(std::string_view target) {
  std::string_view rest;
  if (!api_rest(strip_query(target), rest) || rest.substr(0, ws_prefix.size()) != ws_prefix) {
    return {};
  }
  return std::string{rest.substr(ws_prefix.size())};
}

http_reply method_not_allowed(std::string_view allow) {
  auto r = error_reply(405, {"method_not_allowed", "use " + std::string{allow}, ""});
  r.headers.emplace_back("Allow", std::string{allow});
  return r;
}

http_reply from_port_error(const actors::port_error& e) {
  auto r = error_reply(e.http_status, {e.code, e.message, ""});
  if (e.retry_after > 0 || e.code == "privacy_budget_exhausted") {
    std::erase_if(r.headers, [](const auto& h) { return h.first == "Retry-After"; });
    if (e.retry_after > 0) {
      r.headers.emplace_back("Retry-After",
                             std::to_string(static_cast<long long>(std::ceil(e.retry_after))));
    }
  }
  return r;
}

http_reply forbidden(std::string reason) {
  return error_reply(403, {"forbidden", std::move(reason), ""});
}

http_reply invalid_user_id() {
  return error_reply(400, {"invalid_field", "user_id must be 1-128 characters of [A-Za-z0-9._:@-]",
                           "user_id"});
}

http_reply error_reply(int status, wire_error e) {
  http_reply r;
  r.status = status;
  r.body = rest_error(e);
  if (status == 429 || status == 503) {
    r.headers.emplace_back("Retry-After", "1");
  }
  return r;
}

router::router(actors::gateway_port& port, runtime::metrics_registry& metrics,
               codec_limits limits, std::function<bool()> ready, access_options access)
  : port_(port), metrics_(metrics), limits_(limits), ready_(std::move(ready)),
    access_(std::move(access)), per_subject_(access_.requests_per_minute),
    per_address_(access_.ip_requests_per_minute), privacy_(port), learning_(port, limits) {}

access_result router::authenticate(std::string_view token, std::string_view address) {
  auto now = runtime::wall_seconds();
  std::variant<auth::principal, auth::auth_failure> who =
    token.empty() ? auth::auth_failure{401, "a bearer token is required (Authorization: Bearer "
                                            "<JWT>)"}
                  : access_.auth->verify(token, now);
  if (auto* f = std::get_if<auth::auth_failure>(&who)) {
    if (auto wait = per_address_.take(address, now); wait > 0) {
      return rate_limited(wait, "without a valid token from this address");
    }
    return f->status == 403 ? forbidden(std::move(f->reason)) : unauthorized(std::move(f->reason));
  }
  auto& p = std::get<auth::principal>(who);
  if (auto wait = per_subject_.take(p.subject, now); wait > 0) {
    return rate_limited(wait, "for this token's subject");
  }
  return std::move(p);
}

access_result router::authorize_socket(std::string_view token, std::string_view user,
                                       std::string_view address) {
  auto who = authenticate(token, address);
  if (auto* p = std::get_if<auth::principal>(&who);
      p != nullptr && !auth::allowed(*p, auth::operation::open_socket, user)) {
    return forbidden("this token may not open another user's socket");
  }
  return who;
}

std::string_view router::route_of(std::string_view target) {
  auto path = strip_query(target);
  std::string_view rest;
  if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    return path;
  }
  if (!api_rest(path, rest)) {
    return "other";
  }
  if (rest == interaction_path) {
    return "/interaction";
  }
  if (rest == feedback_path) {
    return "/feedback";
  }
  if (rest.substr(0, profile_prefix.size()) == profile_prefix) {
    return "/profile";
  }
  if (rest.substr(0, ws_prefix.size()) == ws_prefix) {
    return "/ws";
  }
  if (rest.substr(0, consent_prefix.size()) == consent_prefix) {
    return "/consent";
  }
  if (auto r = privacy_routes::route_of(rest); !r.empty()) {
    return r;
  }
  if (auto r = learning_routes::route_of(rest); !r.empty()) {
    return r;
  }
  return "other";
}

void router::count(std::string_view route, const http_reply& reply) {
  metrics_
    .get_counter("http_requests_total", "HTTP requests answered, by route and status",
                 {{"route", std::string{route}}, {"status", std::to_string(reply.status)}})
    .inc();
  if (reply.status >= 400 && reply.content_type == "application/json") {
    // The error code is the body's "error" field; the table of codes is small and fixed.
    auto p = reply.body.find("\"error\":\"");
    if (p != std::string::npos) {
      auto start = p + 9;
      auto code = reply.body.substr(start, reply.body.find('"', start) - start);
      metrics_.get_counter("errors_total", "Requests refused, by reason", {{"reason", code}})
        .inc();
    }
  }
}

void router::handle(std::string_view method, std::string_view target, caller_info from,
                    std::string body, std::function<void(http_reply)> done) {
  auto path = strip_query(target);
  auto token = auth::bearer_token(from.authorization).value_or(std::string_view{});
  if (path == "/healthz" || path == "/readyz" || path == "/metrics") {
    if (method != "GET" && method != "HEAD") {
      return done(method_not_allowed("GET"));
    }
    http_reply r;
    if (path == "/healthz") {
      r.body = rest_status("ok");
    } else if (path == "/readyz") {
      bool ok = ready_();
      r.status = ok ? 200 : 503;
      r.body = rest_status(ok ? "ready" : "not_ready");
    } else {
      if (access_.metrics_need_token && !from.operator_port) {
        auto who = authenticate(token, from.address);
        if (auto* refused = std::get_if<http_reply>(&who)) {
          return done(std::move(*refused));
        }
        if (!auth::allowed(std::get<auth::principal>(who), auth::operation::read_metrics, "")) {
          return done(forbidden("metrics are for analyst and admin tokens"));
        }
      }
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.body = metrics_.render();
    }
    return done(std::move(r));
  }
  std::string_view rest;
  if (from.operator_port || !api_rest(path, rest)) {
    return done(error_reply(404, {"not_found", "no such route", ""}));
  }
  // Everything under the API base needs a valid token, unknown routes included.
  auto who = authenticate(token, from.address);
  if (auto* refused = std::get_if<http_reply>(&who)) {
    return done(std::move(*refused));
  }
  const auto& caller = std::get<auth::principal>(who);
  if (rest == interaction_path) {
    if (method != "POST") {
      return done(method_not_allowed("POST"));
    }
    return post_interaction(caller, std::move(body), std::move(done));
  }
  if (rest == feedback_path) {
    if (method != "POST") {
      return done(method_not_allowed("POST"));
    }
    return post_feedback(caller, std::move(body), std::move(done));
  }
  if (rest.substr(0, profile_prefix.size()) == profile_prefix) {
    if (method != "GET") {
      return done(method_not_allowed("GET"));
    }
    return get_profile(caller, std::string{rest.substr(profile_prefix.size())}, std::move(done));
  }
  if (privacy_.handle(method, rest, query_of(target), caller, body, done)) {
    return;
  }
  if (learning_.handle(method, rest, query_of(target), caller, body, done)) {
    return;
  }
  if (rest.substr(0, consent_prefix.size()) == consent_prefix) {
    if (method != "GET" && method != "PUT") {
      return done(method_not_allowed("GET, PUT"));
    }
    return consent(caller, method == "PUT", std::string{rest.substr(consent_prefix.size())},
                   std::move(body), std::move(done));
  }
  if (rest.substr(0, ws_prefix.size()) == ws_prefix) {
    if (method != "GET") {
      return done(method_not_allowed("GET"));
    }
    auto r = error_reply(426, {"upgrade_required", "this route is a WebSocket endpoint", ""});
    r.headers.emplace_back("Upgrade", "websocket");
    return done(std::move(r));
  }
  done(error_reply(404, {"not_found", "no such route", ""}));
}

void router::post_interaction(const auth::principal& who, std::string body,
                              std::function<void(http_reply)> done) {
  auto received = std::chrono::steady_clock::now().time_since_epoch().count();
  auto parsed = parse_interaction(body, limits_, runtime::wall_seconds());
  if (auto* err = std::get_if<wire_error>(&parsed)) {
    return done(error_reply(400, std::move(*err)));
  }
  auto& x = std::get<model::interaction>(parsed);
  if (!auth::allowed(who, auth::operation::write_interaction, x.user_id)) {
    return done(forbidden("this token may not write interactions of another user"));
  }
  actors::interaction_batch b;
  b.user_id = x.user_id;
  b.received_ns = received;
  b.interactions.push_back(std::move(x));
  auto user = b.user_id;
  port_.submit(std::move(b), [user, done = std::move(done)](
                               actors::outcome<actors::batch_result> out) {
    if (auto* err = std::get_if<actors::port_error>(&out)) {
      return done(from_port_error(*err));
    }
    auto& r = std::get<actors::batch_result>(out);
    http_reply reply;
    reply.body = rest_interaction_response(user, r.ack.seq, r.ack.duplicates > 0, r.state,
                                           r.recommendations, r.processing_ms);
    done(std::move(reply));
  });
}

void router::post_feedback(const auth::principal& who, std::string body,
                           std::function<void(http_reply)> done) {
  auto parsed = parse_feedback(body, limits_, runtime::wall_seconds());
  if (auto* err = std::get_if<wire_error>(&parsed)) {
    return done(error_reply(400, std::move(*err)));
  }
  auto& f = std::get<feedback_body>(parsed);
  if (!auth::allowed(who, auth::operation::write_interaction, f.user_id)) {
    return done(forbidden("this token may not give feedback for another user"));
  }
  port_.feedback(std::move(f.user_id), std::move(f.update),
                 reply_with<actors::feedback_reply>(std::move(done), [](const auto& r) {
                   return rest_feedback(r);
                 }));
}

void router::consent(const auth::principal& who, bool change, std::string user,
                     std::string body, std::function<void(http_reply)> done) {
  if (!is_valid_user_id(user)) {
    return done(invalid_user_id());
  }
  if (!auth::allowed(who, auth::operation::manage_consent, user)) {
    return done(forbidden("this token may not see or change another user's consent"));
  }
  std::optional<consent_change_body> parsed;
  if (change) {
    auto p = parse_consent_change(body);
    if (auto* err = std::get_if<wire_error>(&p)) {
      return done(error_reply(400, std::move(*err)));
    }
    parsed = std::move(std::get<consent_change_body>(p));
  }
  auto reply_with = [done = std::move(done)](actors::outcome<actors::consent_reply> out) {
    done(consent_view(out));
  };
  if (!change) {
    return port_.consent(std::move(user), std::move(reply_with));
  }
  actors::consent_update u;
  for (auto& [purpose, granted] : *parsed) {
    u.purposes.push_back(purpose);
    u.granted.push_back(granted ? 1 : 0);
  }
  // Who made the change: the user through the API, or an operator on the user's behalf.
  u.source = who.subject == user ? "user" : std::string{"admin:"} + who.subject;
  port_.change_consent(std::move(user), std::move(u), std::move(reply_with));
}

void router::get_profile(const auth::principal& who, std::string user,
                         std::function<void(http_reply)> done) {
  if (!is_valid_user_id(user)) {
    return done(invalid_user_id());
  }
  if (!auth::allowed(who, auth::operation::read_profile, user)) {
    return done(forbidden("this token may not read another user's profile"));
  }
  port_.profile(std::move(user), [done = std::move(done)](actors::outcome<model::user_profile> out) {
    if (auto* err = std::get_if<actors::port_error>(&out)) {
      return done(from_port_error(*err));
    }
    http_reply reply;
    reply.body = rest_profile(std::get<model::user_profile>(out));
    done(std::move(reply));
  });
}

} // namespace aia::net
