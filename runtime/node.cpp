// The composition root of aia-node: actor graph first, gateway in front, stopped in reverse.
#include "runtime/node.hpp"

#include "net/gateway.hpp"
#include "runtime/actor_graph.hpp"
#include "runtime/log.hpp"
#include "runtime/wall_clock.hpp"

#include <atomic>
#include <chrono>

namespace aia::runtime {

namespace {

net::gateway_options gateway_options_of(const node_config& cfg) {
  net::gateway_options o;
  o.host = cfg.host;
  o.port = cfg.port;
  o.threads = cfg.gateway.threads;
  o.max_body_bytes = cfg.gateway.max_body_bytes;
  o.max_ws_message_bytes = cfg.gateway.max_ws_message_bytes;
  o.idle_timeout = cfg.gateway.idle_timeout;
  o.limits.max_batch = cfg.gateway.max_batch;
  // With an operator listener for metrics, the public port serves them to tokens only.
  o.access.metrics_need_token =
    cfg.auth.metrics == "token" || !cfg.gateway.metrics_address.empty();
  o.metrics_address = cfg.gateway.metrics_address;
  o.access.requests_per_minute = cfg.limits.requests_per_minute;
  o.access.ip_requests_per_minute = cfg.limits.ip_requests_per_minute;
  o.ws_messages_per_minute = cfg.limits.ws_messages_per_minute;
  o.connections_per_ip = static_cast<std::size_t>(cfg.limits.connections_per_ip);
  o.tls = {cfg.tls.cert_file, cfg.tls.key_file, cfg.tls.min_version};
  o.ip = {cfg.ip.allow, cfg.ip.deny, cfg.ip.country_db, cfg.ip.allow_countries,
          cfg.ip.deny_countries};
  return o;
}

net::auth::auth_settings auth_settings_of(const node_config& cfg) {
  net::auth::auth_settings s;
  s.issuer = cfg.auth.issuer;
  s.audience = cfg.auth.audience;
  s.leeway_seconds = cfg.auth.leeway;
  s.role_claim = cfg.auth.role_claim;
  s.hs256_secret_file = cfg.auth.hs256_secret_file;
  s.hs256_kid = cfg.auth.hs256_kid;
  s.pem_keys = cfg.auth.pem_keys;
  s.jwks_file = cfg.auth.jwks_file;
  s.dev = cfg.dev;
  return s;
}

} // namespace

struct node::impl {
  node_config cfg;
  std::shared_ptr<const net::auth::authenticator> auth;
  std::unique_ptr<actor_graph> graph;
  std::unique_ptr<net::gateway> gateway;
  std::atomic<bool> ready{false};
};

node::node(node_config cfg) : impl_(std::make_unique<impl>()) {
  impl_->cfg = std::move(cfg);
}

node::~node() {
  shutdown();
}

std::uint16_t node::start() {
  auto& d = *impl_;
  // Keys first: a bad key setting is a configuration error, found before anything starts.
  d.auth = std::make_shared<const net::auth::authenticator>(auth_settings_of(d.cfg));
  d.graph = std::make_unique<actor_graph>(d.cfg);
  auto gopt = gateway_options_of(d.cfg);
  gopt.access.auth = d.auth;
  d.gateway = std::make_unique<net::gateway>(std::move(gopt), d.graph->port(),
                                             d.graph->metrics(), [&d] {
                                               return d.ready.load() && d.graph->store_available();
                                             });
  auto port = d.gateway->start();
  d.ready = true;
  log::info("node.started", {{"host", d.cfg.host},
                             {"port", static_cast<std::uint64_t>(port)},
                             {"privacy_level", std::string{to_string(d.cfg.privacy.level)}}});
  return port;
}

std::uint16_t node::metrics_port() const {
  return impl_->gateway ? impl_->gateway->metrics_port() : 0;
}

std::vector<std::pair<std::string, std::string>> node::dev_tokens() const {
  std::vector<std::pair<std::string, std::string>> out;
  if (impl_->auth) {
    for (auto& t : impl_->auth->dev_tokens(runtime::wall_seconds(), 24 * 3600.0)) {
      out.emplace_back(t.subject + " (role " + std::string{to_string(t.role)} + ")",
                       std::move(t.token));
    }
  }
  return out;
}

void node::shutdown() {
  auto& d = *impl_;
  if (!d.graph) {
    return;
  }
  d.ready = false;
  log::info("node.stopping");
  // Order matters: refuse new work, answer everything accepted, then drain the actors (every
  // session snapshots), then free the gateway's connections while the actor system still
  // runs, then the actor system.
  d.gateway->begin_shutdown();
  if (!d.gateway->wait_idle(std::chrono::seconds{10})) {
    log::warn("node.stop_unanswered", {{"reason", std::string{"requests still in flight"}}});
  }
  d.graph->drain();
  d.gateway->stop();
  d.gateway.reset();
  d.graph.reset();
  log::info("node.stopped");
}

} // namespace aia::runtime
