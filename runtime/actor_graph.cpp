// Builds the node's actors in dependency order and stops them in reverse.
#include "runtime/actor_graph.hpp"

#include "actors/actor_port.hpp"
#include "actors/analytics.hpp"
#include "actors/analyzer.hpp"
#include "actors/audit_recorder.hpp"
#include "actors/messages/audit.hpp"
#include "actors/messages/session.hpp"
#include "actors/messages/store.hpp"
#include "actors/privacy_accountant.hpp"
#include "actors/privacy_officer.hpp"
#include "actors/retention_sweeper.hpp"
#include "actors/session_supervisor.hpp"
#include "actors/store_writer.hpp"
#include "runtime/cluster_node.hpp"
#include "runtime/pseudonymous_store.hpp"
#include "runtime/redis_store.hpp"
#include "model/state_model.hpp"
#include "privacy/audit_log.hpp"
#include "privacy/sealing.hpp"
#include "runtime/learning_catalog.hpp"
#include "runtime/log.hpp"
#include "runtime/type_ids.hpp"

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

namespace aia::runtime {

namespace {

caf::actor_system_config make_caf_config(const node_config& cfg) {
  caf::actor_system_config c;
  c.set("scheduler.max-threads", static_cast<std::size_t>(cfg.actors.scheduler_threads));
  c.set("scheduler.policy", cfg.actors.scheduler_policy == "stealing" ? caf::atom("stealing")
                                                                      : caf::atom("sharing"));
  // An idle stealing worker polls, then sleeps 10 ms between polls by default: work arriving
  // from the gateway then waits up to 10 ms, which dominated the latency tail. 1 ms bounds it
  // at a cost of about 1000 wake-ups per second per idle worker.
  c.set("work-stealing.relaxed-sleep-duration", caf::timespan{std::chrono::milliseconds{1}});
  c.set("logger.verbosity", caf::atom("quiet"));
  register_message_types(c);
  if (cfg.cluster.port != 0) {
    // BASP heartbeats find a hung peer (a killed one drops its connection at once).
    c.load<caf::io::middleman>();
    auto ms = [](double s) {
      return caf::timespan{std::chrono::milliseconds{static_cast<std::int64_t>(s * 1000)}};
    };
    c.set("middleman.heartbeat-interval", ms(cfg.cluster.heartbeat_interval));
    c.set("middleman.connection-timeout", ms(cfg.cluster.heartbeat_timeout));
  }
  return c;
}

/// Resident set size of this process in bytes (Linux /proc), 0 if unknown.
double resident_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  long pages_total = 0;
  long pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) {
    return 0;
  }
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

actors::session_options session_options_of(const node_config& cfg) {
  actors::session_options o;
  o.ring_capacity = static_cast<std::size_t>(cfg.session.ring_capacity);
  o.idle_timeout = std::chrono::milliseconds(
    static_cast<std::int64_t>(cfg.session.idle_timeout * 1000));
  // Maximum privacy keeps no raw data: interactions are processed in memory only.
  o.persist_events = cfg.privacy.level != privacy_level::maximum;
  o.keep_element_id = cfg.privacy.level == privacy_level::standard;
  o.recommender.visual_adaptation = cfg.features.enable_visual_adaptation;
  o.consent_mode = cfg.privacy.consent_mode == "explicit" ? privacy::consent_mode::explicit_grant
                                                          : privacy::consent_mode::implied;
  return o;
}

double reset_seconds(const std::string& policy) {
  constexpr double day = 86400;
  if (policy == "daily") {
    return day;
  }
  if (policy == "weekly") {
    return 7 * day;
  }
  return policy == "monthly" ? 30 * day : 0;
}

actors::accountant_options accountant_options_of(const node_config& cfg) {
  auto window = reset_seconds(cfg.privacy.budget_reset);
  actors::accountant_options o{{cfg.privacy.epsilon, cfg.privacy.delta, window},
                               {cfg.privacy.global_epsilon, cfg.privacy.global_delta, window}};
  o.level = to_string(cfg.privacy.level);
  return o;
}

const char* to_string(privacy::key_ring::change c) {
  switch (c) {
    case privacy::key_ring::change::created:
      return "created";
    case privacy::key_ring::change::rotated:
      return "rotated";
    case privacy::key_ring::change::none:
      break;
  }
  return "none";
}

/// Opens the key ring that seals the store `db` (creating or rotating it as due). Throws with
/// the reason, which never holds a key.
std::filesystem::path keyring_file(const node_config& cfg) {
  return cfg.store.keyring_file.empty() ? std::filesystem::path{cfg.data_dir} / "keyring"
                                        : std::filesystem::path{cfg.store.keyring_file};
}

std::shared_ptr<const privacy::sealer> open_sealer(const node_config& cfg,
                                                   const std::filesystem::path& db) {
  auto file = keyring_file(cfg);
  // A fresh ring cannot open what an earlier one sealed: refuse rather than start with a store
  // whose every user fails to load (a wrong keyring_file, a ring not restored from backup).
  std::error_code ec;
  if (!std::filesystem::exists(file, ec) && std::filesystem::exists(db, ec)) {
    throw std::runtime_error("key ring " + file.string() + " is missing but the store "
                             + db.string() + " exists: restore the key ring (the stored data "
                             + "cannot be read without it) or move the store away");
  }
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  if (cfg.cluster.port != 0 && std::filesystem::exists(file, ec)) {
    // Nodes of a cluster share the ring: one rotating it at its start would seal with a key
    // the others, running, do not have. Rotation is then an operator's step (aia-keys rotate,
    // then a rolling restart); the node only says when it is due.
    auto ring = privacy::key_ring::load(file);
    auto age_days = (static_cast<std::int64_t>(now) - ring.newest().created) / 86400;
    if (age_days >= cfg.store.key_rotation_days) {
      log::warn("keyring.rotation_due", {{"file", file.string()},
                                         {"age_days", static_cast<std::uint64_t>(age_days)}});
    }
    return std::make_shared<const privacy::sealer>(std::move(ring));
  }
  auto opened = privacy::key_ring::open_or_create(file, cfg.store.key_rotation_days,
                                                  static_cast<std::int64_t>(now));
  log::info("keyring.opened",
            {{"file", file.string()},
             {"keys", static_cast<std::uint64_t>(opened.ring.describe().size())},
             {"sealing_version", opened.ring.newest().version},
             {"change", to_string(opened.what)}});
  return std::make_shared<const privacy::sealer>(std::move(opened.ring));
}

/// The store of the node: Redis when REDIS_URL is set (every node of a cluster then shares it,
/// and must share the key ring too: store.keyring_file), else SQLite in the data directory.
/// Throws std::invalid_argument for a bad REDIS_URL, std::runtime_error if the store cannot be
/// opened.
std::unique_ptr<store> open_backend(const node_config& cfg) {
  if (!cfg.redis_url.empty()) {
    auto opt = parse_redis_url(cfg.redis_url);
    // Nodes sharing a Redis must share the key ring (store.keyring_file). A ring made now
    // cannot open what Redis already holds: refuse it (and leave no such ring behind) rather
    // than start a node whose every stored user fails to load.
    auto ring = keyring_file(cfg);
    bool had_ring = std::filesystem::exists(ring);
    auto sealer = open_sealer(cfg, std::filesystem::path{cfg.data_dir} / "no-local-store");
    auto st = open_redis_store(opt, std::move(sealer));
    if (auto users = st->user_count(); !had_ring && users > 0) {
      std::filesystem::remove(ring);
      throw std::runtime_error("key ring " + ring.string() + " is missing but Redis already "
                               "holds " + std::to_string(users) + " users: give this node the "
                               "ring the other nodes use (store.keyring_file)");
    }
    return st;
  }
  auto path = std::filesystem::path{cfg.data_dir} / "aia.db";
  return open_sqlite_store(path.string(),
                           cfg.store.sync == "full" ? sqlite_sync::full : sqlite_sync::normal,
                           open_sealer(cfg, path));
}

/// The node's store; at Maximum every user's data is kept under a keyed pseudonym (the key in
/// `<key ring>.pseudonym`, shared by a cluster as the ring is), so the store holds no user id.
std::shared_ptr<store> open_store(const node_config& cfg) {
  auto backend = open_backend(cfg);
  if (cfg.privacy.level != privacy_level::maximum) {
    return backend;
  }
  auto key = keyring_file(cfg);
  key += ".pseudonym";
  return make_pseudonymous_store(std::move(backend), privacy::pseudonymizer::from_key_file(key));
}

/// The retention sweeper of the level, or none when no raw event is kept (Maximum).
caf::actor spawn_sweeper(caf::actor_system& sys, const node_config& cfg, caf::actor writer,
                         caf::actor audit, metrics_registry& metrics) {
  if (cfg.privacy.level == privacy_level::maximum || cfg.privacy.retention_days <= 0) {
    return {};
  }
  actors::retention_options o;
  o.retention_seconds = cfg.privacy.retention_days * 86400;
  o.interval = std::chrono::milliseconds{
    static_cast<std::int64_t>(cfg.privacy.retention_sweep_interval * 1000)};
  o.on_swept = [audit](const actors::sweep_report& r) {
    caf::anon_send(audit, actors::audit_atom::value,
                   actors::audit_request{
                     static_cast<std::uint8_t>(privacy::audit_kind::retention_sweep), "system",
                     "", "{\"removed\":" + std::to_string(r.removed) + "}"});
  };
  return actors::spawn_retention_sweeper(sys, std::move(writer), std::move(o), metrics);
}

actors::audit_options audit_options_of(const node_config& cfg) {
  auto dir = std::filesystem::path{cfg.data_dir};
  return actors::audit_options{
    cfg.audit.file.empty() ? dir / "audit.log" : std::filesystem::path{cfg.audit.file},
    cfg.audit.key_file.empty() ? dir / "audit.key" : std::filesystem::path{cfg.audit.key_file}};
}

} // namespace

struct actor_graph::impl {
  explicit impl(const node_config& cfg)
    : caf_cfg(make_caf_config(cfg)), sys(caf_cfg),
      queue(std::make_shared<actors::admission_queue>(cfg.real_time.max_queue_size)) {
    writer_opt.group_commit_max = static_cast<std::size_t>(cfg.store.group_commit_max);
    writer_opt.commit_delay = std::chrono::microseconds{cfg.store.commit_delay_us};
    writer_opt.outage_buffer = static_cast<std::size_t>(cfg.store.outage_buffer);
  }

  actors::store_writer_options writer_opt;
  metrics_registry metrics;
  caf::actor_system_config caf_cfg;
  caf::actor_system sys;
  std::shared_ptr<actors::admission_queue> queue;
  caf::actor writer;
  std::vector<caf::actor> analyzers;
  caf::actor supervisor;
  caf::actor accountant;
  caf::actor audit;
  caf::actor officer;
  caf::actor sweeper;
  caf::actor analytics;
  std::unique_ptr<cluster_node> cluster;  ///< set when the node is part of a cluster
  std::unique_ptr<actors::gateway_port> port;
  bool drained = false;
};

actor_graph::actor_graph(const node_config& cfg) : impl_(std::make_unique<impl>(cfg)) {
  auto& d = *impl_;
  // Read before any actor is spawned: a bad catalogue refuses the start (exit code 2).
  auto learning = make_learning_engine(cfg);
  std::filesystem::create_directories(cfg.data_dir);
  auto backend = open_store(cfg);
  log::info("store.opened", {{"backend", std::string{backend->backend()}},
                             {"users", backend->user_count()}});
  std::string backend_name = backend->backend();
  d.writer = actors::spawn_store_writer(d.sys, std::move(backend), d.writer_opt, d.metrics);
  // Opened before anything else acts: a log that fails its check stops the node here.
  d.audit = actors::spawn_audit_recorder(d.sys, audit_options_of(cfg), d.metrics);

  std::shared_ptr<const model::state_model> m = model::make_baseline_model(
    {cfg.features.enable_emotional_analysis, cfg.features.enable_cognitive_load_assessment});
  actors::analyzer_options aopt{
    static_cast<std::size_t>(cfg.real_time.batch_size),
    std::chrono::microseconds(static_cast<std::int64_t>(cfg.real_time.processing_interval * 1e6))};
  for (int i = 0; i < cfg.actors.analyzers; ++i) {
    d.analyzers.push_back(actors::spawn_analyzer(d.sys, m, aopt, d.metrics));
  }

  auto opt = session_options_of(cfg);
  actors::session_deps deps{d.writer, d.analyzers, d.queue, m,
                            std::make_shared<actors::session_metrics>(
                              actors::session_metrics::make(d.metrics)),
                            opt, std::move(learning)};
  // Budgets are spent through the supervisor (through the router, when clustered), so each
  // has one keeper: the owner of its user, or of "#global" for the global one.
  d.accountant = actors::spawn_privacy_accountant(d.sys, d.writer, accountant_options_of(cfg),
                                                  d.metrics);
  actors::supervisor_options sopt;
  sopt.accountant = d.accountant;
  sopt.node_name = cfg.cluster.port != 0 ? cfg.cluster.node_name : "local";
  d.supervisor = actors::spawn_session_supervisor(d.sys, std::move(deps), sopt, d.metrics);
  // Clustered, the gateway talks to the router, which speaks the supervisor's protocol and
  // hands each user to its owner's supervisor, here or on another node.
  const caf::actor* entry = &d.supervisor;
  if (cfg.cluster.port != 0) {
    d.cluster = std::make_unique<cluster_node>(d.sys, cfg, d.supervisor, d.metrics);
    entry = &d.cluster->router();
  }
  // The edge timeout: a client waits at most this long for an answer before getting `overloaded`.
  actors::privacy_settings privacy{to_string(cfg.privacy.level), cfg.privacy.epsilon,
                                   cfg.privacy.delta, cfg.privacy.enable_differential_privacy,
                                   cfg.privacy.consent_mode, cfg.privacy.budget_reset};
  actors::officer_deps rights{*entry, d.writer, d.audit, privacy,
                              cfg.privacy.retention_days * 86400,
                              cfg.privacy.retention_sweep_interval, opt.persist_events,
                              backend_name};
  d.officer = actors::spawn_privacy_officer(d.sys, std::move(rights), d.metrics);
  d.sweeper = spawn_sweeper(d.sys, cfg, d.writer, d.audit, d.metrics);
  actors::analytics_deps adeps;
  adeps.store_writer = d.writer;
  adeps.accountant = *entry;  // spends reach the keeper of the global budget, here or remote
  adeps.model = m;
  adeps.mode = opt.consent_mode;
  adeps.homomorphic = cfg.privacy.homomorphic_aggregates;
  adeps.max_epsilon = cfg.privacy.epsilon;
  adeps.default_epsilon = std::min(cfg.privacy.query_epsilon, cfg.privacy.epsilon);
  adeps.max_delta = cfg.privacy.delta;
  adeps.default_delta = cfg.privacy.delta / 10;
  adeps.audit = d.audit;
  d.analytics = actors::spawn_analytics(d.sys, std::move(adeps), d.metrics);
  d.port = actors::make_gateway_port(d.sys, actors::port_actors{*entry, d.officer, d.analytics},
                                     std::move(privacy), d.queue, std::chrono::seconds{10});

  auto queue = d.queue;
  d.metrics.add_callback_gauge("processing_queue_length",
                               "Interactions admitted and waiting for analysis",
                               [queue] { return static_cast<double>(queue->length()); });
  d.metrics.get_gauge("processing_queue_capacity", "The bound on processing_queue_length")
    .set(static_cast<double>(cfg.real_time.max_queue_size));
  d.metrics.add_callback_gauge("process_resident_memory_bytes", "Resident memory of the node",
                               resident_bytes);
  auto& sessions = d.metrics.get_gauge("sessions_active", "User sessions live on this node");
  d.metrics.add_callback_gauge("memory_per_active_user_bytes",
                               "Resident memory divided by the active sessions",
                               [&sessions] {
                                 return resident_bytes() / std::max(1.0, sessions.value());
                               });
}

actor_graph::~actor_graph() {
  drain();
}

actors::gateway_port& actor_graph::port() noexcept {
  return *impl_->port;
}

metrics_registry& actor_graph::metrics() noexcept {
  return impl_->metrics;
}

bool actor_graph::store_available() const noexcept {
  return impl_->writer_opt.available->load();
}

caf::actor_system& actor_graph::system() noexcept {
  return impl_->sys;
}

const caf::actor& actor_graph::supervisor() const noexcept {
  return impl_->supervisor;
}

void actor_graph::drain() {
  auto& d = *impl_;
  if (d.drained) {
    return;
  }
  d.drained = true;
  if (d.cluster) {
    // First let the other nodes take our users, so their clients retry there while we drain.
    d.cluster->leave();
  }
  {
    caf::scoped_actor self{d.sys};
    self->request(d.supervisor, std::chrono::seconds{30}, actors::drain_atom::value)
      .receive([](bool) {},
               [](caf::error& err) {
                 log::error("node.drain_failed", {{"errc", caf::to_string(err)}});
               });
    self->send_exit(d.supervisor, caf::exit_reason::user_shutdown);
    for (auto& a : d.analyzers) {
      self->send_exit(a, caf::exit_reason::user_shutdown);
    }
    self->send_exit(d.accountant, caf::exit_reason::user_shutdown);
    self->send_exit(d.officer, caf::exit_reason::user_shutdown);
    self->send_exit(d.analytics, caf::exit_reason::user_shutdown);
    if (d.sweeper) {
      self->send_exit(d.sweeper, caf::exit_reason::user_shutdown);
    }
    self->send_exit(d.audit, caf::exit_reason::user_shutdown);
    self->send_exit(d.writer, caf::exit_reason::user_shutdown);
  }
  if (d.cluster) {
    d.cluster->stop();
  }
  d.sys.await_all_actors_done();
}

} // namespace aia::runtime
