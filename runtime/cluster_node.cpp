// Wires the cluster actors of one node and publishes its manager through the middleman.
#include "runtime/cluster_node.hpp"

#include "actors/messages/cluster.hpp"
#include "actors/node_manager.hpp"
#include "actors/registry_heartbeat.hpp"
#include "actors/session_router.hpp"
#include "runtime/cluster_registry.hpp"
#include "runtime/log.hpp"
#include "runtime/redis_store.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include <sstream>
#include <stdexcept>

namespace aia::runtime {

namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in{text};
  std::string item;
  while (std::getline(in, item, ',')) {
    auto b = item.find_first_not_of(" \t");
    auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos) {
      out.push_back(item.substr(b, e - b + 1));
    }
  }
  return out;
}

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds{static_cast<std::int64_t>(seconds * 1000)};
}

} // namespace

std::string cluster_node_name(const node_config& cfg) {
  return cfg.cluster.node_name.empty()
           ? cfg.cluster.host + ":" + std::to_string(cfg.cluster.port)
           : cfg.cluster.node_name;
}

struct cluster_node::impl {
  caf::actor_system& sys;
  caf::actor router;
  caf::actor manager;
  caf::actor heartbeat;
  bool left = false;
  bool stopped = false;
};

cluster_node::cluster_node(caf::actor_system& sys, const node_config& cfg,
                           caf::actor supervisor, metrics_registry& metrics)
  : impl_(std::make_unique<impl>(impl{sys, {}, {}, {}})) {
  auto& d = *impl_;
  auto name = cluster_node_name(cfg);
  auto port = static_cast<std::uint16_t>(cfg.cluster.port);
  d.router = actors::spawn_session_router(sys, name, supervisor);
  actors::node_manager_options mopt;
  mopt.name = name;
  mopt.host = cfg.cluster.host;
  mopt.port = port;
  mopt.seeds = split_list(cfg.cluster.seeds);
  d.manager = actors::spawn_node_manager(sys, mopt, supervisor, d.router, metrics);
  auto published = sys.middleman().publish(d.manager, port, cfg.cluster.host.c_str(), true);
  if (!published) {
    stop();
    throw std::runtime_error("cluster.port " + std::to_string(port) + " on " + cfg.cluster.host
                             + " cannot be opened: " + sys.render(published.error()));
  }
  auto registry = std::make_shared<cluster_registry>(parse_redis_url(cfg.redis_url));
  actors::heartbeat_options hopt{name, cfg.cluster.host + ":" + std::to_string(port),
                                 millis(cfg.cluster.heartbeat_interval),
                                 millis(cfg.cluster.heartbeat_timeout)};
  d.heartbeat = actors::spawn_registry_heartbeat(sys, std::move(registry), hopt, d.manager);
  log::info("cluster.listening", {{"node", name},
                                  {"port", static_cast<std::uint64_t>(port)},
                                  {"seeds", static_cast<std::uint64_t>(mopt.seeds.size())}});
}

cluster_node::~cluster_node() {
  stop();
}

const caf::actor& cluster_node::router() const noexcept {
  return impl_->router;
}

const caf::actor& cluster_node::manager() const noexcept {
  return impl_->manager;
}

void cluster_node::leave() {
  auto& d = *impl_;
  if (d.left || d.stopped) {
    return;
  }
  d.left = true;
  caf::scoped_actor self{d.sys};
  auto ignore = [](caf::error&) {};
  if (d.heartbeat) {
    self->request(d.heartbeat, std::chrono::seconds{3}, actors::leave_atom::value)
      .receive([](bool) {}, ignore);
  }
  self->request(d.manager, std::chrono::seconds{3}, actors::leave_atom::value)
    .receive([](bool) {}, ignore);
  log::info("cluster.left");
}

void cluster_node::stop() {
  auto& d = *impl_;
  if (d.stopped) {
    return;
  }
  d.stopped = true;
  for (auto* a : {&d.heartbeat, &d.manager, &d.router}) {
    if (*a) {
      caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
    }
  }
}

} // namespace aia::runtime
