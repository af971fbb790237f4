// Node configuration: defaults in code < config file < environment < command line, validated.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace aia::runtime {

/// The spec's privacy levels.
enum class privacy_level : std::uint8_t { standard, high, maximum };

/// Everything a node is configured with. Defaults are the spec's and PROTOCOL.md's.
struct node_config {
  // -- listener
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;
  std::string data_dir = "./data";
  bool dev = false;                       ///< development mode (AIA_DEV=1 or --dev)
  std::string log_level = "info";         ///< trace, debug, info, warn, error, off

  struct privacy_section {
    privacy_level level = privacy_level::standard;
    double epsilon = 1.0;                 ///< > 0
    double delta = 1e-5;                  ///< in [0, 1)
    bool enable_differential_privacy = true;
    /// implied | explicit; by default implied at Standard, explicit at High and Maximum.
    std::string consent_mode = "implied";
    std::string budget_reset = "daily";   ///< never | daily | weekly | monthly (30 days)
    double global_epsilon = 10;           ///< the global budget's ε per window
    double global_delta = 1e-4;           ///< the global budget's δ per window
    double retention_days = 90;           ///< raw events older than this are deleted, 0..3650
    double retention_sweep_interval = 600;  ///< seconds between retention sweeps
    double query_epsilon = 0.1;           ///< ε of an aggregate query that names none
    /// Sum state dimensions under Paillier for aggregates; by default on at HIGH and MAXIMUM.
    bool homomorphic_aggregates = false;
  } privacy;

  /// The HMAC-chained audit log of consent changes, erasures, exports and releases.
  struct audit_section {
    std::string file;                     ///< empty = <data_dir>/audit.log
    std::string key_file;                 ///< empty = <data_dir>/audit.key (keep it apart)
  } audit;

  struct real_time_section {
    double processing_interval = 0.1;     ///< seconds, max wait of a micro-batch, (0, 10]
    int batch_size = 16;                  ///< micro-batch size, 1..4096
    int max_queue_size = 500;             ///< interactions waiting for analysis, 1..1e6
  } real_time;

  struct features_section {
    bool enable_emotional_analysis = true;
    bool enable_cognitive_load_assessment = true;
    bool enable_adaptive_learning = true;
    bool enable_visual_adaptation = true;
  } features;

  /// The adaptive learning framework (model/learning/learner.hpp).
  struct learning_section {
    std::string catalog_file;             ///< JSON skills, prerequisites and items; empty = none
    double target_success_low = 0.70;     ///< band of predicted success for the next item
    double target_success_high = 0.85;
    double mastery_threshold = 0.95;      ///< p(known) at which a skill counts as mastered
    double target_recall = 0.9;           ///< reviews fall due below this predicted recall
    double bkt_init = 0.3;                ///< BKT p(L0), p(T), p(G), p(S), p(F) of every skill
    double bkt_learn = 0.1;
    double bkt_guess = 0.2;
    double bkt_slip = 0.1;
    double bkt_forget = 0;
  } learning;

  struct gateway_section {
    int threads = 1;                      ///< Beast io threads, 1..64
    std::size_t max_body_bytes = 1 << 20; ///< REST body limit (413 above)
    std::size_t max_ws_message_bytes = 1 << 20;
    std::size_t max_batch = 500;          ///< interactions per WebSocket batch
    double idle_timeout = 60;             ///< seconds an idle HTTP keep-alive connection lives
    std::string metrics_address;          ///< host:port of a metrics-only listener; empty = none
  } gateway;

  struct session_section {
    double idle_timeout = 300;            ///< seconds before an idle session is passivated
    int ring_capacity = 64;               ///< recent interactions kept per user, 8..4096
  } session;

  struct actors_section {
    int scheduler_threads = 2;            ///< CAF scheduler threads, 1..64
    std::string scheduler_policy = "stealing"; ///< stealing | sharing (see config/aia-node.conf)
    int analyzers = 2;                    ///< analyzer pool size, 1..64
  } actors;

  struct store_section {
    std::string sync = "normal";          ///< sqlite synchronous mode: normal | full
    int group_commit_max = 512;           ///< events per transaction at most, 1..100000
    int commit_delay_us = 500;            ///< wait for more writes under load, 0..100000 µs
    int outage_buffer = 100000;           ///< events held while Redis is away, 0..10000000
    std::string keyring_file;             ///< AES-256-GCM data keys; empty = <data_dir>/keyring
    int key_rotation_days = 90;           ///< a key seals new writes this long, 1..3650
  } store;

  std::string redis_url;                  ///< REDIS_URL: the Redis store; empty = SQLite

  /// Membership of a cluster of nodes sharing one Redis store (off while port is 0).
  struct cluster_section {
    int port = 0;                         ///< CAF middleman (BASP) port; 0 = no cluster
    std::string host = "127.0.0.1";       ///< address the cluster port binds and is reached at
    std::string seeds;                    ///< host:port,... of cluster ports to join
    std::string node_name;                ///< placement name; empty = host:port
    double heartbeat_interval = 0.5;      ///< seconds between heartbeats (BASP and Redis)
    double heartbeat_timeout = 2;         ///< seconds of silence before a node is declared down
  } cluster;

  /// Request rate limits (token buckets; a burst of the per-minute figure, then a steady rate).
  struct limits_section {
    double requests_per_minute = 100;     ///< REST, per token subject (the spec's 100/min)
    double ip_requests_per_minute = 100;  ///< per client address, requests without a valid token
    double ws_messages_per_minute = 1200; ///< per WebSocket, interaction batches and pings
    int connections_per_ip = 256;         ///< open connections per client address (0 = any)
  } limits;

  /// Which client addresses may connect (net/auth/ip_policy.hpp); blank lists are no rule.
  struct ip_section {
    std::string allow;                    ///< CIDRs; if set, only these
    std::string deny;                     ///< CIDRs refused (wins over allow)
    std::string country_db;               ///< MaxMind-format .mmdb country database
    std::string allow_countries;          ///< ISO codes; if set, only these
    std::string deny_countries;           ///< ISO codes refused
  } ip;

  /// HTTPS/WSS on the gateway's port when a certificate is set.
  struct tls_section {
    std::string cert_file;                ///< PEM chain; empty = plain HTTP
    std::string key_file;                 ///< PEM private key
    std::string min_version = "1.3";      ///< 1.3 | 1.2
  } tls;

  /// Token verification (see config/aia-node.conf). With no key, the node refuses to start
  /// unless in development mode.
  struct auth_section {
    std::string issuer = "aia-node";
    std::string audience = "aia-personalization";
    double leeway = 60;                   ///< seconds, 0..3600
    std::string role_claim = "role";
    std::string hs256_secret_file;
    std::string hs256_kid = "default";
    std::string pem_keys;                 ///< kid:ALG:/path.pem,...
    std::string jwks_file;
    std::string metrics = "open";         ///< open | token
  } auth;
};

/// A refused configuration: the key at fault and why.
struct config_error {
  std::string key;
  std::string message;
};

/// Outcome of load_config: run with a config, print help, or fail.
struct help_requested {};
using load_result = std::variant<node_config, help_requested, config_error>;

/// Builds the configuration from the layers. `args` are the command-line arguments without the
/// program name; `env` the process environment as name -> value.
[[nodiscard]] load_result load_config(const std::vector<std::string>& args,
                                      const std::map<std::string, std::string>& env);

/// The --help text: every option and config key with its default and meaning.
[[nodiscard]] std::string help_text();

/// Wire name of a privacy level: STANDARD, HIGH, MAXIMUM.
[[nodiscard]] const char* to_string(privacy_level x) noexcept;

} // namespace aia::runtime
