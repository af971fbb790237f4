// Node configuration: one key table drives the file, environment and command-line layers, their
// validation and the --help text.
#include "runtime/config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <utility>

namespace aia::runtime {
namespace {

// -- text helpers -------------------------------------------------------------

std::string lower(std::string_view s) {
  std::string out{s};
  for (auto& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string upper(std::string_view s) {
  std::string out{s};
  for (auto& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string_view trim(std::string_view s) {
  constexpr std::string_view space = " \t\r\n";
  auto first = s.find_first_not_of(space);
  if (first == std::string_view::npos) {
    return {};
  }
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

/// Key spelling used for lookups: dashes may stand for underscores.
std::string normalize_key(std::string_view s) {
  std::string out{s};
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

std::string format_real(double x) {
  std::array<char, 32> buf{};
  auto res = std::to_chars(buf.data(), buf.data() + buf.size(), x);
  return {buf.data(), res.ptr};
}

template <class T>
std::optional<T> parse_number(std::string_view s) {
  T x{};
  auto end = s.data() + s.size();
  auto res = std::from_chars(s.data(), end, x);
  if (s.empty() || res.ec != std::errc{} || res.ptr != end) {
    return std::nullopt;
  }
  return x;
}

std::optional<bool> parse_bool(std::string_view s) {
  constexpr std::array<std::string_view, 4> yes{"true", "yes", "on", "1"};
  constexpr std::array<std::string_view, 4> no{"false", "no", "off", "0"};
  auto word = lower(s);
  if (std::find(yes.begin(), yes.end(), word) != yes.end()) {
    return true;
  }
  if (std::find(no.begin(), no.end(), word) != no.end()) {
    return false;
  }
  return std::nullopt;
}

// -- the key table ------------------------------------------------------------

/// A closed, open or half-open interval; `hi` infinite means no upper bound.
struct real_range {
  double lo = 0;
  bool lo_open = false;
  double hi = std::numeric_limits<double>::infinity();
  bool hi_open = false;

  bool contains(double x) const {
    bool above = lo_open ? x > lo : x >= lo;
    bool below = std::isinf(hi) || (hi_open ? x < hi : x <= hi);
    return std::isfinite(x) && above && below;
  }

  std::string describe() const {
    auto text = std::string{"a number "} + (lo_open ? "> " : ">= ") + format_real(lo);
    if (!std::isinf(hi)) {
      text += std::string{" and "} + (hi_open ? "< " : "<= ") + format_real(hi);
    }
    return text;
  }
};

/// One config key: how a value is checked and stored, shown and documented.
struct key_spec {
  std::string name;    ///< section path, e.g. "privacy.epsilon"
  std::string allowed; ///< what the value must be, e.g. "a number > 0 and <= 100"
  std::string help;
  bool is_flag = false;                                    ///< a boolean: `--key` alone means true
  std::function<bool(node_config&, std::string_view)> set; ///< false if the value is refused
  std::function<std::string(const node_config&)> show;
};

template <class Access>
using field_t = std::remove_cvref_t<std::invoke_result_t<Access, node_config&>>;

/// A key whose `parse` yields the field's value from text, or nothing if the text is refused.
template <class Access, class Parse, class Show>
key_spec make_key(std::string name, Access field, std::string allowed, std::string help,
                  Parse parse, Show show) {
  auto set = [field, parse](node_config& c, std::string_view v) {
    auto x = parse(v);
    if (x) {
      field(c) = *x;
    }
    return x.has_value();
  };
  auto get = [field, show](const node_config& c) { return show(field(c)); };
  return {std::move(name),
          std::move(allowed),
          std::move(help),
          std::is_same_v<field_t<Access>, bool>,
          set,
          get};
}

template <class Access>
key_spec flag_key(std::string name, Access field, std::string help) {
  auto show = [](bool x) { return std::string{x ? "true" : "false"}; };
  return make_key(std::move(name), field, "a boolean (true|false|yes|no|on|off|1|0)",
                  std::move(help), parse_bool, show);
}

template <class Access>
key_spec int_key(std::string name, Access field, long long lo, long long hi, std::string help) {
  using type = field_t<Access>;
  auto parse = [lo, hi](std::string_view v) -> std::optional<type> {
    auto n = parse_number<long long>(v);
    return n && *n >= lo && *n <= hi ? std::optional{static_cast<type>(*n)} : std::nullopt;
  };
  auto show = [](type x) { return std::to_string(x); };
  auto allowed = "an integer in " + std::to_string(lo) + ".." + std::to_string(hi);
  return make_key(std::move(name), field, std::move(allowed), std::move(help), parse, show);
}

template <class Access>
key_spec real_key(std::string name, Access field, real_range range, std::string help) {
  auto parse = [range](std::string_view v) {
    auto x = parse_number<double>(v);
    return x && range.contains(*x) ? x : std::nullopt;
  };
  return make_key(std::move(name), field, range.describe(), std::move(help), parse, format_real);
}

template <class Access>
key_spec text_key(std::string name, Access field, bool non_empty, std::string help) {
  auto parse = [non_empty](std::string_view v) {
    return non_empty && v.empty() ? std::nullopt : std::optional{std::string{v}};
  };
  auto show = [](const std::string& x) { return x.empty() ? std::string{"\"\""} : x; };
  return make_key(std::move(name), field, non_empty ? "a non-empty string" : "any string",
                  std::move(help), parse, show);
}

/// A key with named values, matched in any case; an enum field stores the name's index.
template <class Access>
key_spec choice_key(std::string name, Access field, std::vector<std::string> choices,
                    std::string help) {
  using type = field_t<Access>;
  constexpr bool is_text = std::is_same_v<type, std::string>;
  auto parse = [choices](std::string_view v) -> std::optional<type> {
    auto it = std::find(choices.begin(), choices.end(), lower(v));
    if (it == choices.end()) {
      return std::nullopt;
    }
    if constexpr (is_text) {
      return *it;
    } else {
      return static_cast<type>(it - choices.begin());
    }
  };
  auto show = [choices](const type& x) -> std::string {
    if constexpr (is_text) {
      return x;
    } else {
      return choices[static_cast<std::size_t>(x)];
    }
  };
  std::string allowed = "one of ";
  for (const auto& choice : choices) {
    allowed += (&choice == &choices.front() ? "" : "|") + choice;
  }
  return make_key(std::move(name), field, std::move(allowed), std::move(help), parse, show);
}

/// The spec's (epsilon, delta) of each privacy level, indexed by privacy_level.
constexpr std::array<std::pair<double, double>, 3> privacy_presets{
    {{1.0, 1e-5}, {0.5, 1e-6}, {0.1, 1e-7}}};

constexpr std::array<privacy_level, 3> all_privacy_levels{
    privacy_level::standard, privacy_level::high, privacy_level::maximum};

std::vector<std::string> privacy_level_names() {
  std::vector<std::string> names;
  for (auto level : all_privacy_levels) {
    names.push_back(lower(to_string(level)));
  }
  return names;
}

std::string privacy_level_help() {
  std::string text
      = "privacy preset; sets privacy.epsilon and privacy.delta unless they are given:";
  for (auto level : all_privacy_levels) {
    auto [epsilon, delta] = privacy_presets[static_cast<std::size_t>(level)];
    text += "\n        " + lower(to_string(level)) + ": epsilon " + format_real(epsilon)
            + ", delta " + format_real(delta);
  }
  return text;
}

// Names a key and the field it sets from one path, so the two cannot drift apart.
// clang-format off
#define AIA_CONFIG_FIELD(path) #path, [](auto& c) -> auto& { return c.path; }
// clang-format on

const std::vector<key_spec>& key_table() {
  constexpr long long mib = 1 << 20;
  static const std::vector<key_spec> table{
      text_key(AIA_CONFIG_FIELD(host), true, "listen address of the gateway"),
      int_key(AIA_CONFIG_FIELD(port), 0, 65535, "gateway port (0 = any free port, for tests)"),
      text_key(AIA_CONFIG_FIELD(data_dir), true, "directory of the event store"),
      flag_key(AIA_CONFIG_FIELD(dev), "development mode"),
      choice_key(AIA_CONFIG_FIELD(log_level), {"trace", "debug", "info", "warn", "error", "off"},
                 "lowest level written to the JSON log on stderr"),
      choice_key(AIA_CONFIG_FIELD(privacy.level), privacy_level_names(), privacy_level_help()),
      real_key(AIA_CONFIG_FIELD(privacy.epsilon), {.lo = 0, .lo_open = true, .hi = 100},
               "differential-privacy epsilon (lower = more private)"),
      real_key(AIA_CONFIG_FIELD(privacy.delta), {.lo = 0, .hi = 1, .hi_open = true},
               "differential-privacy delta"),
      flag_key(AIA_CONFIG_FIELD(privacy.enable_differential_privacy),
               "add calibrated noise to released statistics"),
      choice_key(AIA_CONFIG_FIELD(privacy.budget_reset), {"never", "daily", "weekly", "monthly"},
                 "when the privacy budgets (per user: privacy.epsilon and privacy.delta; "
                 "global: privacy.global_*) start afresh; monthly = 30 days"),
      real_key(AIA_CONFIG_FIELD(privacy.global_epsilon), {.lo = 0, .lo_open = true, .hi = 1000},
               "epsilon of the global privacy budget per window"),
      real_key(AIA_CONFIG_FIELD(privacy.global_delta), {.lo = 0, .hi = 1, .hi_open = true},
               "delta of the global privacy budget per window"),
      real_key(AIA_CONFIG_FIELD(privacy.retention_days), {.lo = 0, .hi = 3650},
               "days raw interaction events are kept (a sweeper deletes older ones once a "
               "snapshot holds their effect); 90 by default, none kept at MAXIMUM"),
      real_key(AIA_CONFIG_FIELD(privacy.retention_sweep_interval),
               {.lo = 1, .hi = 86400}, "seconds between retention sweeps"),
      real_key(AIA_CONFIG_FIELD(privacy.query_epsilon), {.lo = 0, .lo_open = true, .hi = 100},
               "epsilon an aggregate query spends when it names none"),
      flag_key(AIA_CONFIG_FIELD(privacy.homomorphic_aggregates),
               "sum state dimensions under Paillier encryption for aggregates; default on at "
               "HIGH and MAXIMUM"),
      text_key(AIA_CONFIG_FIELD(audit.file), false,
               "the audit log (HMAC-chained JSON lines); empty = <data_dir>/audit.log"),
      text_key(AIA_CONFIG_FIELD(audit.key_file), false,
               "the audit log's HMAC key, mode 0600, kept apart from the log (a secret mount); "
               "empty = <data_dir>/audit.key"),
      choice_key(AIA_CONFIG_FIELD(privacy.consent_mode), {"implied", "explicit"},
                 "implied: the application collected consent to personalization (a user counts "
                 "as consenting until withdrawn); explicit: nothing is processed before the "
                 "user's grant. Default: implied at STANDARD, explicit at HIGH and MAXIMUM"),
      real_key(AIA_CONFIG_FIELD(real_time.processing_interval),
               {.lo = 0, .lo_open = true, .hi = 10},
               "seconds a micro-batch waits at most before analysis"),
      int_key(AIA_CONFIG_FIELD(real_time.batch_size), 1, 4096, "interactions per micro-batch"),
      int_key(AIA_CONFIG_FIELD(real_time.max_queue_size), 1, 1000000,
              "interactions waiting for analysis at most"),
      flag_key(AIA_CONFIG_FIELD(features.enable_emotional_analysis), "estimate emotional state"),
      flag_key(AIA_CONFIG_FIELD(features.enable_cognitive_load_assessment),
               "estimate cognitive load"),
      flag_key(AIA_CONFIG_FIELD(features.enable_adaptive_learning),
               "the adaptive learning framework: learners follow graded answers, and the "
               "/learning routes answer (404 when off)"),
      text_key(AIA_CONFIG_FIELD(learning.catalog_file), false,
               "JSON file of skills, prerequisite edges and items to choose the next item from "
               "(see config/learning-catalog.example.json); empty = practise skills, no items"),
      real_key(AIA_CONFIG_FIELD(learning.target_success_low), {.lo = 0, .lo_open = true, .hi = 1},
               "lower end of the band of predicted success the next item is chosen in"),
      real_key(AIA_CONFIG_FIELD(learning.target_success_high),
               {.lo = 0, .lo_open = true, .hi = 1},
               "upper end of that band (above target_success_low)"),
      real_key(AIA_CONFIG_FIELD(learning.mastery_threshold), {.lo = 0.5, .hi = 1, .hi_open = true},
               "p(known) at which a skill counts as mastered (prerequisites, paths)"),
      real_key(AIA_CONFIG_FIELD(learning.target_recall), {.lo = 0.5, .hi = 0.99},
               "predicted recall below which an item is due for review (FSRS)"),
      real_key(AIA_CONFIG_FIELD(learning.bkt_init), {.lo = 0, .lo_open = true, .hi = 1,
                                                     .hi_open = true},
               "BKT p(L0): a skill known before its first answer"),
      real_key(AIA_CONFIG_FIELD(learning.bkt_learn), {.lo = 0, .hi = 1, .hi_open = true},
               "BKT p(T): unknown -> known after an answer"),
      real_key(AIA_CONFIG_FIELD(learning.bkt_guess), {.lo = 0, .lo_open = true, .hi = 0.5},
               "BKT p(G): right while unknown"),
      real_key(AIA_CONFIG_FIELD(learning.bkt_slip), {.lo = 0, .lo_open = true, .hi = 0.5},
               "BKT p(S): wrong while known"),
      real_key(AIA_CONFIG_FIELD(learning.bkt_forget), {.lo = 0, .hi = 0.5},
               "BKT p(F): known -> unknown after an answer (0 = classic BKT)"),
      flag_key(AIA_CONFIG_FIELD(features.enable_visual_adaptation), "recommend UI adaptations"),
      int_key(AIA_CONFIG_FIELD(gateway.threads), 1, 64, "Beast I/O threads"),
      int_key(AIA_CONFIG_FIELD(gateway.max_body_bytes), 1024, 64 * mib,
              "largest REST request body in bytes (413 above)"),
      int_key(AIA_CONFIG_FIELD(gateway.max_ws_message_bytes), 1024, 64 * mib,
              "largest WebSocket message in bytes"),
      int_key(AIA_CONFIG_FIELD(gateway.max_batch), 1, 10000,
              "interactions per WebSocket batch at most"),
      real_key(AIA_CONFIG_FIELD(gateway.idle_timeout), {.lo = 0, .lo_open = true},
               "seconds an idle HTTP keep-alive connection lives (and at most to send a request)"),
      text_key(AIA_CONFIG_FIELD(gateway.metrics_address), false,
               "host:port of a plain-HTTP listener with open /metrics, /healthz, /readyz "
               "(then /metrics on the main port needs a token); empty = none"),
      real_key(AIA_CONFIG_FIELD(session.idle_timeout), {.lo = 0, .lo_open = true},
               "seconds before an idle session is passivated"),
      int_key(AIA_CONFIG_FIELD(session.ring_capacity), 8, 4096,
              "recent interactions kept per user"),
      int_key(AIA_CONFIG_FIELD(actors.scheduler_threads), 1, 64, "CAF scheduler threads"),
      choice_key(AIA_CONFIG_FIELD(actors.scheduler_policy), {"sharing", "stealing"},
                 "CAF scheduling: stealing polls (default), sharing waits on a condition"),
      int_key(AIA_CONFIG_FIELD(actors.analyzers), 1, 64, "analyzer pool size"),
      choice_key(AIA_CONFIG_FIELD(store.sync), {"normal", "full"}, "SQLite synchronous mode"),
      int_key(AIA_CONFIG_FIELD(store.group_commit_max), 1, 100000,
              "events per store transaction at most"),
      int_key(AIA_CONFIG_FIELD(store.commit_delay_us), 0, 100000,
              "microseconds a commit waits for more writes under steady load (0 = never)"),
      int_key(AIA_CONFIG_FIELD(store.outage_buffer), 0, 10000000,
              "events held unacknowledged while the store (Redis) is away; more are refused"),
      text_key(AIA_CONFIG_FIELD(store.keyring_file), false,
               "key ring sealing stored user data (empty = <data_dir>/keyring)"),
      int_key(AIA_CONFIG_FIELD(store.key_rotation_days), 1, 3650,
              "days a data key seals new writes before a new key is made"),
      text_key(AIA_CONFIG_FIELD(redis_url), false,
               "Redis store redis://[:password@]host[:port][/db]; empty = embedded SQLite"),
      int_key(AIA_CONFIG_FIELD(cluster.port), 0, 65535,
              "cluster port (CAF middleman); 0 = a single node, no cluster (needs REDIS_URL)"),
      text_key(AIA_CONFIG_FIELD(cluster.host), true,
               "address the cluster port binds to and other nodes reach it at"),
      text_key(AIA_CONFIG_FIELD(cluster.seeds), false,
               "cluster ports of other nodes to join, host:port,... (Redis finds the rest)"),
      text_key(AIA_CONFIG_FIELD(cluster.node_name), false,
               "this node's name in placement (empty = cluster.host:cluster.port)"),
      real_key(AIA_CONFIG_FIELD(cluster.heartbeat_interval), {.lo = 0.05, .hi = 60},
               "seconds between heartbeats to the other nodes and to Redis"),
      real_key(AIA_CONFIG_FIELD(cluster.heartbeat_timeout), {.lo = 0.2, .hi = 600},
               "seconds without a heartbeat before a node is declared down"),
      real_key(AIA_CONFIG_FIELD(limits.requests_per_minute), {.lo = 0},
               "REST requests per minute per token subject (0 = no limit)"),
      real_key(AIA_CONFIG_FIELD(limits.ip_requests_per_minute), {.lo = 0},
               "requests per minute per client address without a valid token (0 = no limit)"),
      real_key(AIA_CONFIG_FIELD(limits.ws_messages_per_minute), {.lo = 0},
               "WebSocket messages per minute per socket (0 = no limit)"),
      int_key(AIA_CONFIG_FIELD(limits.connections_per_ip), 0, 1000000,
              "open connections per client address (0 = no limit)"),
      text_key(AIA_CONFIG_FIELD(ip.allow), false,
               "client address ranges allowed, as CIDRs a,b,... (empty = all)"),
      text_key(AIA_CONFIG_FIELD(ip.deny), false,
               "client address ranges refused, as CIDRs a,b,... (wins over ip.allow)"),
      text_key(AIA_CONFIG_FIELD(ip.country_db), false,
               "MaxMind-format (.mmdb) country database for the country rules"),
      text_key(AIA_CONFIG_FIELD(ip.allow_countries), false,
               "ISO country codes allowed, e.g. DE,FR (needs ip.country_db; unknown = refused)"),
      text_key(AIA_CONFIG_FIELD(ip.deny_countries), false,
               "ISO country codes refused (needs ip.country_db)"),
      text_key(AIA_CONFIG_FIELD(tls.cert_file), false,
               "PEM certificate chain: the port speaks HTTPS and WSS (empty = plain HTTP)"),
      text_key(AIA_CONFIG_FIELD(tls.key_file), false, "PEM private key of tls.cert_file"),
      choice_key(AIA_CONFIG_FIELD(tls.min_version), {"1.3", "1.2"},
                 "lowest TLS version accepted (1.2 only by explicit choice)"),
      text_key(AIA_CONFIG_FIELD(auth.issuer), false, "required token issuer (\"iss\"), empty = any"),
      text_key(AIA_CONFIG_FIELD(auth.audience), false,
               "required token audience (in \"aud\"), empty = any"),
      real_key(AIA_CONFIG_FIELD(auth.leeway), {.lo = 0, .hi = 3600},
               "seconds of clock skew allowed on exp and nbf"),
      text_key(AIA_CONFIG_FIELD(auth.role_claim), true, "token claim holding the role"),
      text_key(AIA_CONFIG_FIELD(auth.hs256_secret_file), false,
               "file holding the HS256 secret (>= 32 bytes)"),
      text_key(AIA_CONFIG_FIELD(auth.hs256_kid), true, "kid of the HS256 key"),
      text_key(AIA_CONFIG_FIELD(auth.pem_keys), false,
               "RS256/ES256 keys as kid:ALG:/path.pem,..."),
      text_key(AIA_CONFIG_FIELD(auth.jwks_file), false, "JWKS file of RS256/ES256 public keys"),
      choice_key(AIA_CONFIG_FIELD(auth.metrics), {"open", "token"},
                 "GET /metrics open, or for analyst and admin tokens only"),
  };
  return table;
}

#undef AIA_CONFIG_FIELD

const key_spec* find_key(std::string_view name) {
  for (const auto& spec : key_table()) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

bool is_section(std::string_view name) {
  for (const auto& spec : key_table()) {
    auto dot = spec.name.find('.');
    if (dot != std::string::npos && spec.name.substr(0, dot) == name) {
      return true;
    }
  }
  return false;
}

/// AIA_ + the key in upper case, '.' -> '_': privacy.epsilon -> AIA_PRIVACY_EPSILON.
std::string env_name(const key_spec& spec) {
  auto name = upper(spec.name);
  std::replace(name.begin(), name.end(), '.', '_');
  return "AIA_" + name;
}

/// Variables of the spec's deployment examples, read before (so below) the AIA_ ones.
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> env_aliases{
    {{"PRIVACY_LEVEL", "privacy.level"}, {"REDIS_URL", "redis_url"}}};

// -- layers -------------------------------------------------------------------

/// One value for one key, and where it came from (for error messages).
struct assignment {
  const key_spec* spec;
  std::string value;
  std::string origin;
};

template <class T>
using outcome = std::variant<T, config_error>;

std::vector<assignment> env_layer(const std::map<std::string, std::string>& env) {
  std::vector<assignment> out;
  for (auto [var, key] : env_aliases) {
    if (auto it = env.find(std::string{var}); it != env.end()) {
      out.push_back({find_key(key), it->second, "environment " + it->first});
    }
  }
  for (const auto& spec : key_table()) {
    if (auto it = env.find(env_name(spec)); it != env.end()) {
      out.push_back({&spec, it->second, "environment " + it->first});
    }
  }
  return out;
}

/// Reads an INI-like file: comments, [section] headers, key = value lines.
class file_reader {
public:
  explicit file_reader(std::string path) : path_(std::move(path)) {}

  outcome<std::vector<assignment>> read() {
    std::ifstream in{path_};
    std::error_code ec;
    if (!in || std::filesystem::is_directory(path_, ec)) {
      return config_error{"config", "cannot read config file '" + path_ + "'"};
    }
    for (std::string line; std::getline(in, line);) {
      ++line_;
      if (auto err = read_line(trim(line))) {
        return *err;
      }
    }
    if (in.bad()) {
      return config_error{"config", "cannot read config file '" + path_ + "'"};
    }
    return std::move(out_);
  }

private:
  std::string where() const { return "in " + path_ + " line " + std::to_string(line_); }

  config_error malformed() const {
    return {"config", "expected '[section]', 'key = value' or a # comment " + where()};
  }

  std::optional<config_error> read_line(std::string_view text) {
    if (text.empty() || text.front() == '#' || text.front() == ';') {
      return std::nullopt;
    }
    return text.front() == '[' ? read_section(text) : read_setting(text);
  }

  std::optional<config_error> read_section(std::string_view text) {
    if (text.back() != ']' || text.size() < 3) {
      return malformed();
    }
    section_ = normalize_key(trim(text.substr(1, text.size() - 2)));
    if (!is_section(section_)) {
      return config_error{section_, "unknown section " + where()};
    }
    return std::nullopt;
  }

  std::optional<config_error> read_setting(std::string_view text) {
    auto eq = text.find('=');
    auto value = eq == std::string_view::npos ? std::nullopt : unquote(trim(text.substr(eq + 1)));
    auto name = normalize_key(trim(text.substr(0, eq == std::string_view::npos ? 0 : eq)));
    if (name.empty() || !value) {
      return malformed();
    }
    auto key = section_.empty() ? name : section_ + "." + name;
    auto spec = find_key(key);
    if (spec == nullptr) {
      return config_error{key, "unknown key " + where()};
    }
    out_.push_back({spec, std::move(*value), where()});
    return std::nullopt;
  }

  /// Where a # comment starts in an unquoted value: at its start or after a blank.
  static std::size_t comment_start(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t')) {
        return i;
      }
    }
    return std::string_view::npos;
  }

  /// A value, without its quotes ("..." with \" and \\) or a trailing # comment.
  static std::optional<std::string> unquote(std::string_view text) {
    if (text.empty() || text.front() != '"') {
      return std::string{trim(text.substr(0, comment_start(text)))};
    }
    std::string out;
    for (std::size_t i = 1; i < text.size(); ++i) {
      if (text[i] == '"') {
        auto rest = trim(text.substr(i + 1));
        return rest.empty() || rest.front() == '#' ? std::optional{out} : std::nullopt;
      }
      if (text[i] == '\\' && i + 1 < text.size()) {
        ++i;
      }
      out += text[i];
    }
    return std::nullopt;
  }

  std::string path_;
  int line_ = 0;
  std::string section_;
  std::vector<assignment> out_;
};

/// The command line, split into settings and the config file it names.
struct cli_layer {
  std::vector<assignment> settings;
  std::optional<std::string> config_file;
};

/// The value of `--name` given without '=': the next argument, or true for a flag.
std::optional<std::string> next_value(const std::vector<std::string>& args, std::size_t& i,
                                      bool is_flag) {
  bool has_next = i + 1 < args.size() && !args[i + 1].starts_with("--");
  if (is_flag) {
    return has_next && parse_bool(args[i + 1]) ? args[++i] : std::string{"true"};
  }
  return has_next ? std::optional{args[++i]} : std::nullopt;
}

outcome<cli_layer> cli_parse(const std::vector<std::string>& args) {
  cli_layer out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (!arg.starts_with("--")) {
      return config_error{std::string{arg},
                          "unexpected argument; options start with -- (see --help)"};
    }
    auto eq = arg.find('=');
    auto option = std::string{arg.substr(0, eq)};
    auto name = normalize_key(option.substr(2));
    auto spec = find_key(name);
    if (spec == nullptr && name != "config") {
      return config_error{option, "unknown option (see --help)"};
    }
    auto value = eq != std::string_view::npos ? std::optional{std::string{arg.substr(eq + 1)}}
                                              : next_value(args, i, spec && spec->is_flag);
    if (!value) {
      return config_error{spec ? spec->name : name, "missing value after " + option};
    }
    if (spec == nullptr) {
      out.config_file = std::move(value);
    } else {
      out.settings.push_back({spec, std::move(*value), "command line " + option});
    }
  }
  return out;
}

bool wants_help(const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(),
                     [](const std::string& a) { return a == "--help" || a == "-h"; });
}

/// Applies one layer's settings, remembering which keys were given at all.
std::optional<config_error> apply(node_config& cfg, std::set<std::string>& given,
                                  const std::vector<assignment>& layer) {
  for (const auto& a : layer) {
    if (!a.spec->set(cfg, a.value)) {
      return config_error{a.spec->name, "must be " + a.spec->allowed + ", got '" + a.value + "' ("
                                            + a.origin + ")"};
    }
    given.insert(a.spec->name);
  }
  return std::nullopt;
}

void apply_privacy_preset(node_config& cfg, const std::set<std::string>& given) {
  auto [epsilon, delta] = privacy_presets[static_cast<std::size_t>(cfg.privacy.level)];
  if (!given.contains("privacy.epsilon")) {
    cfg.privacy.epsilon = epsilon;
  }
  if (!given.contains("privacy.delta")) {
    cfg.privacy.delta = delta;
  }
  if (!given.contains("privacy.consent_mode")) {
    cfg.privacy.consent_mode = cfg.privacy.level == privacy_level::standard ? "implied"
                                                                            : "explicit";
  }
  if (!given.contains("privacy.homomorphic_aggregates")) {
    cfg.privacy.homomorphic_aggregates = cfg.privacy.level != privacy_level::standard;
  }
  if (!given.contains("privacy.retention_days") && cfg.privacy.level == privacy_level::maximum) {
    cfg.privacy.retention_days = 0;
  }
}

} // namespace

load_result load_config(const std::vector<std::string>& args,
                        const std::map<std::string, std::string>& env) {
  if (wants_help(args)) {
    return help_requested{};
  }
  auto cli = cli_parse(args);
  if (auto* err = std::get_if<config_error>(&cli)) {
    return *err;
  }
  auto& cli_ok = std::get<cli_layer>(cli);
  auto config_env = env.find("AIA_CONFIG");
  if (!cli_ok.config_file && config_env != env.end()) {
    cli_ok.config_file = config_env->second;
  }
  std::vector<assignment> file;
  if (cli_ok.config_file) {
    auto read = file_reader{*cli_ok.config_file}.read();
    if (auto* err = std::get_if<config_error>(&read)) {
      return *err;
    }
    file = std::move(std::get<0>(read));
  }
  auto env_settings = env_layer(env);
  node_config cfg;
  std::set<std::string> given;
  for (const auto* layer : {&file, &env_settings, &cli_ok.settings}) {
    if (auto err = apply(cfg, given, *layer)) {
      return *err;
    }
  }
  apply_privacy_preset(cfg, given);
  if (cfg.tls.cert_file.empty() != cfg.tls.key_file.empty()) {
    auto missing = cfg.tls.cert_file.empty() ? "tls.cert_file" : "tls.key_file";
    return config_error{missing, "TLS needs both tls.cert_file and tls.key_file"};
  }
  if (cfg.learning.target_success_low >= cfg.learning.target_success_high) {
    return config_error{"learning.target_success_high",
                        "must be above learning.target_success_low"};
  }
  if (cfg.cluster.port != 0 && cfg.redis_url.empty()) {
    return config_error{"cluster.port", "a cluster needs the shared Redis store: set REDIS_URL"};
  }
  if (cfg.cluster.port != 0
      && cfg.cluster.heartbeat_timeout < 2 * cfg.cluster.heartbeat_interval) {
    return config_error{"cluster.heartbeat_timeout",
                        "must be at least twice cluster.heartbeat_interval"};
  }
  return cfg;
}

std::string help_text() {
  std::ostringstream out;
  out << "Usage: aia-node [options]\n\n"
         "Options:\n"
         "  -h, --help          print this text and exit\n"
         "  --config FILE       read settings from FILE ([section] headers, key = value lines)\n"
         "  --host HOST         listen address (same as --host=HOST)\n"
         "  --port PORT         listen port\n"
         "  --data-dir DIR      data directory\n"
         "  --dev               development mode\n"
         "  --KEY=VALUE, --KEY VALUE\n"
         "                      set any key below; '-' may stand for '_'; a boolean key alone\n"
         "                      means true\n\n"
         "Keys (shown with their defaults):\n";
  node_config defaults;
  for (const auto& spec : key_table()) {
    out << "  " << spec.name << " = " << spec.show(defaults) << "\n      " << spec.help
        << "\n      " << spec.allowed << "; env " << env_name(spec) << "\n";
  }
  out << "\nEnvironment:\n"
         "  Each key can be set as AIA_ + the key in upper case with '.' as '_'.\n"
         "  AIA_CONFIG names the config file (--config wins); other AIA_ variables are ignored.\n";
  for (auto [var, key] : env_aliases) {
    out << "  " << var << " sets " << key << " (the AIA_ variable wins).\n";
  }
  out << "\nLayers, lowest first: defaults, config file, environment, command line.\n"
         "privacy.level sets privacy.epsilon and privacy.delta unless they are given at any "
         "layer.\n";
  return out.str();
}

const char* to_string(privacy_level x) noexcept {
  switch (x) {
  case privacy_level::standard:
    return "STANDARD";
  case privacy_level::high:
    return "HIGH";
  case privacy_level::maximum:
    return "MAXIMUM";
  }
  return "STANDARD";
}

} // namespace aia::runtime
