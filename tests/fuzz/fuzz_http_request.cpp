// libFuzzer harness: the HTTP request path without sockets. The bytes go through Beast's request
// parser with the gateway's limits, and every request that parses is dispatched as http_session
// does (WebSocket upgrade check, then net::router::handle) against a synchronous fake port.
#include "net/router.hpp"

#include "net/auth/authenticator.hpp"
#include "privacy/consent.hpp"
#include "runtime/metrics.hpp"
#include "tests/fuzz/fuzz_keys.hpp"

#include <boost/beast/core/error.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unistd.h>
#include <variant>

namespace {

namespace http = boost::beast::http;
using namespace aia;

/// The gateway's limits (net/gateway.hpp: max_header_bytes, max_body_bytes).
constexpr std::uint32_t header_limit = 16 << 10;
constexpr std::uint64_t body_limit = 1 << 20;
/// Requests read from one input, as keep-alive reads them from one connection.
constexpr int max_requests = 4;
constexpr std::string_view client_address = "192.0.2.1";

// -- a gateway_port that answers at once --------------------------------------------------------

/// Answers synchronously, echoing client strings into the replies so the JSON writer sees them.
/// Users ending in "-busy" are refused with 503; profiles of odd-length user ids are not found.
class fake_port final : public actors::gateway_port {
public:
  void submit(actors::interaction_batch b,
              std::function<void(actors::outcome<actors::batch_result>)> done) override {
    if (b.interactions.empty()) {
      return done(actors::port_error{"invalid_request", "empty batch", 400});
    }
    if (b.user_id.ends_with("-busy")) {
      return done(actors::port_error{"overloaded", "the node is busy", 503});
    }
    const auto& x = b.interactions.front();
    actors::batch_result r;
    r.ack.client_id = x.client_id;
    r.ack.seq = x.seq;
    r.ack.accepted = 1;
    r.ack.duplicates = x.seq % 2;
    r.state.interaction_count = 1;
    r.state.updated_at = x.timestamp;
    r.state.model_version = "fuzz";
    r.recommendations.push_back(recommendation_for(b.user_id, x.element_id));
    r.processing_ms = x.response_time; // NaN when absent: the writer must cope
    done(std::move(r));
  }

  void profile(std::string user,
               std::function<void(actors::outcome<model::user_profile>)> done) override {
    if (user.size() % 2 == 1) {
      return done(actors::port_error{"not_found", "no such user", 404});
    }
    model::user_profile p;
    p.recommendations.push_back(recommendation_for(user, user));
    p.user_id = std::move(user);
    p.interaction_count = 2;
    p.first_seen = fuzz::fixed_now - 60;
    p.last_seen = fuzz::fixed_now;
    done(std::move(p));
  }

  void feedback(std::string user, actors::feedback_update u,
                std::function<void(actors::outcome<actors::feedback_reply>)> done) override {
    actors::feedback_reply r;
    r.profile.user_id = std::move(user);
    r.profile.interaction_count = 1;
    r.dimension = std::move(u.dimension);
    r.model_value = 0.5;
    r.offset = u.value - 0.5;  // NaN-free: the parser refused non-finite values
    r.offset_std = 0.1;
    r.labels = 1;
    done(std::move(r));
  }

  void learning(std::string user, actors::learning_query q,
                std::function<void(actors::outcome<actors::learning_reply>)> done) override {
    if (q.what == "path" && q.arg.size() % 2 == 1) {
      return done(actors::port_error{"not_found", "unknown skill", 404});
    }
    actors::learning_reply r;
    r.user_id = std::move(user);
    r.what = q.what;
    r.goal = q.arg;
    r.kind = "practice";
    r.item_id = q.arg;
    r.skill = q.arg;
    r.skills.push_back({q.arg, 0.5, 3, 2, fuzz::fixed_now, {q.arg}});
    r.modality_scores.assign(5, 0.2);
    r.preferred_modality = "multimodal";
    done(std::move(r));
  }

  // Consent is kept for real (bounded), so PUT then GET walks the whole codec.
  void consent(std::string user,
               std::function<void(actors::outcome<actors::consent_reply>)> done) override {
    done(actors::consent_reply{user, consents_[user].encode(), 0});
  }

  void change_consent(std::string user, actors::consent_update change,
                      std::function<void(actors::outcome<actors::consent_reply>)> done) override {
    std::vector<std::pair<privacy::purpose, bool>> set;
    for (std::size_t i = 0; i < change.purposes.size() && i < change.granted.size(); ++i) {
      auto p = privacy::parse_purpose(change.purposes[i]);
      if (!p) {
        return done(actors::port_error{"invalid_field", "unknown purpose", 400});
      }
      set.emplace_back(*p, change.granted[i] != 0);
    }
    if (consents_.size() > 1000) {
      consents_.clear();
    }
    auto& c = consents_[user];
    try {
      c.apply(std::move(set), fuzz::fixed_now, change.source);
    } catch (const std::invalid_argument&) {
      return done(actors::port_error{"invalid_field", "a purpose named twice", 400});
    }
    done(actors::consent_reply{user, c.encode(), 1});
  }

  void privacy(std::function<void(actors::outcome<actors::privacy_status>)> done) override {
    actors::privacy_status s{{"STANDARD", 1.0, 1e-5, true, "implied", "daily"},
                             {false, 0.5, 0, 10, 1e-4, fuzz::fixed_now + 60, 3, "rdp"}};
    done(std::move(s));
  }

  void erase(std::string user, std::string,
             std::function<void(actors::outcome<actors::erasure_receipt>)> done) override {
    consents_.erase(user);
    actors::erasure_receipt r;
    r.user_id = user;
    r.requested_at = r.completed_at = fuzz::fixed_now;
    done(std::move(r));
  }

  void export_user(std::string user, std::string,
                   std::function<void(actors::outcome<actors::user_export>)> done) override {
    actors::user_export x;
    x.user_id = user;
    done(std::move(x));
  }

  void compliance(std::function<void(actors::outcome<actors::compliance_report>)> done) override {
    done(actors::compliance_report{fuzz::fixed_now, "STANDARD", "implied", {}});
  }

  void aggregate(actors::aggregate_query q,
                 std::function<void(actors::outcome<actors::aggregate_release>)> done) override {
    if (q.epsilon > 0.5) {
      return done(actors::port_error{"privacy_budget_exhausted", "spent", 429, 60});
    }
    actors::aggregate_release r;
    r.group_by = q.group_by;
    r.metrics = q.metrics;
    r.groups.push_back({"all", 3, std::vector<double>(q.metrics.size(), 0.5)});
    done(std::move(r));
  }

  void anonymize(actors::anonymize_query,
                 std::function<void(actors::outcome<actors::anonymized_release>)> done) override {
    done(actors::anonymized_release{});
  }

  std::unique_ptr<actors::connection> open(std::string, std::weak_ptr<actors::push_sink>) override {
    return nullptr; // the router never opens connections
  }

  [[nodiscard]] std::int64_t queue_length() const noexcept override { return 0; }

private:
  std::map<std::string, privacy::consent_state> consents_;
  static model::recommendation recommendation_for(const std::string& user,
                                                  const std::string& text) {
    model::recommendation rec;
    rec.id = user + ":fuzz";
    rec.reason = "echo " + text;
    rec.confidence = 0.5;
    rec.parameters.push_back({"element_id", model::parameter::kind::text, 0, text});
    rec.parameters.push_back({"animation_speed", model::parameter::kind::number, 0.5, {}});
    rec.parameters.push_back({"simplify", model::parameter::kind::flag, 1, {}});
    rec.expires_at = fuzz::fixed_now + 300;
    return rec;
  }
};

// -- the router, built once -----------------------------------------------------------------------

/// An authenticator trusting the fuzz HS256 key (auth.hs256_secret_file, read once at startup).
std::shared_ptr<const net::auth::authenticator> make_authenticator() {
  namespace fs = std::filesystem;
  auto dir = fs::temp_directory_path() / ("aia-fuzz-http-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto path = dir / "hs256.secret";
  std::ofstream{path} << fuzz::hs256_secret << "\n";
  net::auth::auth_settings s;
  s.hs256_secret_file = path.string();
  s.hs256_kid = std::string{fuzz::hs256_kid};
  auto auth = std::make_shared<const net::auth::authenticator>(s);
  fs::remove_all(dir);
  return auth;
}

/// The router of one gateway. Rate limits are off: a limit would make the outcome of an input
/// depend on the inputs before it.
struct fixture {
  fake_port port;
  runtime::metrics_registry metrics;
  net::router routes;

  fixture()
      : routes(
          port, metrics, net::codec_limits{}, [] { return true; },
          net::access_options{.auth = make_authenticator(),
                              .metrics_need_token = true,
                              .requests_per_minute = 0,
                              .ip_requests_per_minute = 0}) {}
};

fixture& the_fixture() {
  static fixture f;
  return f;
}

void require(bool ok) {
  if (!ok) {
    std::abort();
  }
}

/// Every reply has a real status, and a JSON body whenever it says so.
void check(const net::http_reply& r) {
  require(r.status >= 100 && r.status <= 599);
  if (r.content_type == "application/json") {
    require(nlohmann::json::accept(r.body));
  }
}

std::string_view view(boost::beast::string_view s) {
  return {s.data(), s.size()};
}

/// One request read from the input, or the error that ended the read.
struct parsed {
  bool complete = false;
  boost::beast::error_code ec;
  http::request<http::string_body> req;
};

/// Parses one request from the front of `input` (consuming it) as http::read does on a
/// connection whose peer sends `input` and closes.
parsed read_request(std::string_view& input) {
  http::request_parser<http::string_body> p;
  p.header_limit(header_limit);
  p.body_limit(body_limit);
  p.eager(true);
  parsed out;
  while (!p.is_done()) {
    auto n = p.put(boost::asio::buffer(input.data(), input.size()), out.ec);
    input.remove_prefix(n);
    if (out.ec == http::error::need_more) {
      out.ec = {};
    } else if (out.ec) {
      return out;
    }
    if (n == 0) {
      break; // the parser needs more than is left
    }
  }
  if (!p.is_done()) {
    // The connection closes: Beast reports a partial message, or end_of_stream before any byte.
    p.put_eof(out.ec);
    if (out.ec || !p.is_done()) {
      return out;
    }
  }
  out.complete = true;
  out.req = p.release();
  return out;
}

/// What http_session::on_read does with a parse failure.
net::http_reply refusal(const boost::beast::error_code& ec) {
  if (ec == http::error::body_limit) {
    return net::error_reply(413, {"payload_too_large", "the body is too large", ""});
  }
  if (ec == http::error::header_limit) {
    return net::error_reply(431, {"invalid_request", "request headers too large", ""});
  }
  return net::error_reply(400, {"invalid_request", "malformed HTTP request", ""});
}

/// What http_session::on_read does with a request: upgrade check, then the router.
net::http_reply dispatch(fixture& f, http::request<http::string_body>& req) {
  auto target = std::string{view(req.target())};
  auto route = net::router::route_of(target);
  std::optional<net::http_reply> reply;
  if (boost::beast::websocket::is_upgrade(req) && route == "/ws") {
    auto user = net::ws_user_of(target);
    if (!net::is_valid_user_id(user)) {
      reply = net::error_reply(400, {"invalid_field", "bad user", "user_id"});
    } else {
      auto token = net::auth::bearer_token(view(req[http::field::authorization]));
      if (!token) {
        token = net::auth::subprotocol_token(view(req[http::field::sec_websocket_protocol]));
      }
      if (!token) {
        token = net::auth::query_token(target);
      }
      auto who
          = f.routes.authorize_socket(token.value_or(std::string_view{}), user, client_address);
      if (auto* refused = std::get_if<net::http_reply>(&who)) {
        reply = std::move(*refused);
      } else {
        reply = net::http_reply{101, "", "", {}};
      }
    }
  } else {
    auto method = std::string{view(req.method_string())};
    auto authorization = std::string{view(req[http::field::authorization])};
    f.routes.handle(method, target, {authorization, client_address}, std::move(req.body()),
                    [&reply](net::http_reply r) {
                      require(!reply.has_value()); // done is called exactly once
                      reply = std::move(r);
                    });
    require(reply.has_value()); // the fake port answers synchronously
  }
  f.routes.count(route, *reply);
  return std::move(*reply);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& f = the_fixture();
  std::string_view input{reinterpret_cast<const char*>(data), size};
  for (int i = 0; i < max_requests && !input.empty(); ++i) {
    auto in = read_request(input);
    if (!in.complete) {
      if (in.ec && in.ec != http::error::partial_message && in.ec != http::error::end_of_stream) {
        auto r = refusal(in.ec);
        f.routes.count("other", r);
        check(r);
      }
      break;
    }
    bool keep_alive = in.req.keep_alive();
    check(dispatch(f, in.req));
    if (!keep_alive) {
      break;
    }
  }
  return 0;
}
