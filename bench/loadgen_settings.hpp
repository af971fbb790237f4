// ws_loadgen's command line: the modes, every knob with its default, and their parsing.
#pragma once

#include "bench/bench_common.hpp"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace aia::bench {

/// What ws_loadgen does: open loop at a fixed rate, closed loop at full speed, or hold sockets.
enum class load_mode { open, max, hold };

/// The command line of ws_loadgen, resolved.
struct load_settings {
  load_mode mode = load_mode::open;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string path = "/api/v1/ml-personalization/ws/";  ///< followed by `user-<i>`
  double rate = 0;            ///< events/s over all connections (open loop)
  double duration = 10;       ///< seconds measured
  double warmup = 0;          ///< seconds run before the measured window
  int connections = 100;
  int window = 1;             ///< batches in flight per connection (closed loop)
  int batch = 1;              ///< interactions per batch
  int threads = 1;            ///< io threads
  int user_offset = 0;        ///< connection i is user `user-<offset + i>`
  double hold_seconds = 10;   ///< how long `--hold` keeps the sockets open
  int connect_parallel = 256; ///< handshakes in progress at most
  double connect_timeout = 10;  ///< seconds per connection attempt
  double drain_timeout = 5;   ///< seconds to wait for answers after the window
  std::string token;          ///< sent as "Authorization: Bearer <token>" (an admin token)
  bool echo = false;          ///< the target echoes: any message answers the oldest batch
  bool json = false;
  /// `--nodes a,b,c --avoid-owner a`: skip user ids whose owner (runtime::placement over
  /// `nodes`) is `avoid_owner`, so that every socket's user lives on another node.
  std::vector<std::string> nodes;
  std::string avoid_owner;
  /// `--kill-pid P --kill-after S`: SIGKILL process P S seconds into the measured window and
  /// report how long the batches outstanding at that moment took to be answered.
  int kill_pid = 0;
  double kill_after = 0;
  /// `--dump FILE`: one line per measured batch, "<scheduled send, steady_clock ns> <latency
  /// ms>", to find out whether a tail is a few stalls or spread over the run.
  std::string dump;
};

/// Splits "a,b,c" at the commas, dropping empty items and surrounding blanks.
inline std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) {
      end = text.size();
    }
    auto item = text.substr(start, end - start);
    auto b = item.find_first_not_of(" \t");
    if (b != std::string::npos) {
      out.push_back(item.substr(b, item.find_last_not_of(" \t") - b + 1));
    }
    start = end + 1;
  }
  return out;
}

/// The mode's name, as the report prints it.
inline const char* to_string(load_mode m) {
  switch (m) {
    case load_mode::open:
      return "open";
    case load_mode::max:
      return "max";
    case load_mode::hold:
      return "hold";
  }
  return "?";
}

// -- command line ------------------------------------------------------------------------------

/// The usage text printed on a bad command line.
inline constexpr const char* usage =
  "usage: ws_loadgen --port N [--echo] [--json] [--threads N] [--batch B] [--connections C]\n"
  "         (--rate R --duration S | --max --duration S --window W | --hold C [--hold-seconds S])\n"
  "         [--warmup S] [--user-offset N] [--connect-parallel N] [--connect-timeout S]\n"
  "         [--drain-timeout S] [--host IP] [--path /prefix/] [--token JWT]\n"
  "         [--nodes a,b,c --avoid-owner a] [--kill-pid PID --kill-after S] [--dump FILE]\n";

/// Reads the command line; nothing (after printing why) if it is not usable.
inline std::optional<load_settings> parse_settings(int argc, char** argv) {
  load_settings s;
  options opt{argc, argv};
  opt.allow_only({"port", "host", "path", "rate", "duration", "warmup", "connections", "window",
                  "batch", "threads", "user-offset", "hold", "hold-seconds", "max", "echo",
                  "json", "connect-parallel", "connect-timeout", "drain-timeout", "token",
                  "nodes", "avoid-owner", "kill-pid", "kill-after", "dump"});
  s.port = opt.number<std::uint16_t>("port", 0);
  s.host = opt.get("host", s.host);
  s.echo = opt.has("echo");
  s.path = opt.get("path", s.echo ? "/" : s.path);
  s.json = opt.has("json");
  s.token = opt.get("token", s.token);
  s.rate = opt.number<double>("rate", 0);
  s.duration = opt.number<double>("duration", s.duration);
  s.warmup = opt.number<double>("warmup", s.warmup);
  s.connections = opt.number<int>("connections", s.connections);
  s.window = opt.number<int>("window", s.window);
  s.batch = opt.number<int>("batch", s.batch);
  s.threads = opt.number<int>("threads", s.threads);
  s.user_offset = opt.number<int>("user-offset", s.user_offset);
  s.hold_seconds = opt.number<double>("hold-seconds", s.hold_seconds);
  s.connect_parallel = opt.number<int>("connect-parallel", s.connect_parallel);
  s.connect_timeout = opt.number<double>("connect-timeout", s.connect_timeout);
  s.drain_timeout = opt.number<double>("drain-timeout", s.drain_timeout);
  s.nodes = split_names(opt.get("nodes", ""));
  s.avoid_owner = opt.get("avoid-owner", "");
  s.kill_pid = opt.number<int>("kill-pid", 0);
  s.kill_after = opt.number<double>("kill-after", 0);
  s.dump = opt.get("dump", "");
  if (opt.has("hold")) {
    s.mode = load_mode::hold;
    s.connections = opt.number<int>("hold", s.connections);
    s.duration = 0;
  } else if (opt.has("max")) {
    s.mode = load_mode::max;
  }
  bool ok = opt.report_errors("ws_loadgen");
  bool sane = s.port != 0 && s.connections >= 1 && s.window >= 1 && s.batch >= 1
              && s.threads >= 1 && s.connect_parallel >= 1 && s.duration >= 0 && s.warmup >= 0
              && (s.mode != load_mode::open || (s.rate > 0 && s.duration > 0));
  // --avoid-owner needs --nodes holding that name, and a node other than it to own users.
  if (!s.avoid_owner.empty() || !s.nodes.empty()) {
    bool listed = false;
    for (const auto& n : s.nodes) {
      listed = listed || n == s.avoid_owner;
    }
    if (s.echo || s.avoid_owner.empty() || !listed || s.nodes.size() < 2) {
      std::fprintf(stderr, "ws_loadgen: --avoid-owner NAME needs --nodes with NAME and at least "
                           "one other node (and no --echo)\n");
      sane = false;
    }
  }
  // --kill-pid: a load with a measured window (not --hold), and a time inside it.
  if (opt.has("kill-pid") || opt.has("kill-after")) {
    if (s.kill_pid <= 1 || s.mode == load_mode::hold || s.kill_after < 0
        || s.kill_after >= s.duration) {
      std::fprintf(stderr, "ws_loadgen: --kill-pid PID (> 1) needs --kill-after S inside the "
                           "measured --duration, and --rate or --max\n");
      sane = false;
    }
  }
  if (!ok || !sane) {
    std::fprintf(stderr, "%s", usage);
    return std::nullopt;
  }
  return s;
}

} // namespace aia::bench
