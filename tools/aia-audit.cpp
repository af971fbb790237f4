// aia-audit: verifies the HMAC chain and head anchor of an audit log and lists its entries.
// Prints seqs, kinds, actors, subjects and details; never the key.
#include "privacy/audit_log.hpp"

#include "tools/detail/cli.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace {

using aia::tools::parse_options;
using aia::tools::required;
using aia::tools::usage_error;

namespace fs = std::filesystem;
namespace privacy = aia::privacy;

constexpr const char* help = R"(usage: aia-audit <command> [options]

Reads the append-only audit log of consent changes, erasures, exports, budget spends and admin
actions. Each entry carries an HMAC-SHA256 of its bytes chained to the entry before it; the
head anchor (LOG.head) records the last seq, so cutting entries from the end shows too.

  verify --log FILE --key FILE
      Checks every entry and the anchor. Prints "ok: N entries, head <mac prefix>" (note the
      head somewhere else: an old anchor kept by an attacker cannot be told from a current one),
      or the first problem: the seq and whether the entry was altered, removed or reordered,
      the log truncated, a line unparsable or the anchor bad. Safe while the node appends.

  show --log FILE [--subject ID] [--kind KIND] [--from-seq N] [--json]
      Prints the entries, oldest first, optionally only those about user ID, of KIND
      (consent_changed, erasure, export, budget_spend, admin_action, retention_sweep) or from
      seq N on. --json prints the stored lines as they are. Does not check macs: verify first.

Exit status: 0 ok, 1 verification failed or a file could not be read, 2 bad usage.
)";

std::string utc_time(double t) {
  auto tt = static_cast<std::time_t>(std::floor(t));
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  auto ms = static_cast<int>((t - std::floor(t)) * 1000);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", std::clamp(ms, 0, 999));
  return std::string{buf} + frac;
}

/// `s` quoted, with control characters escaped, so a stored string cannot steer the terminal.
std::string printable(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      out += hex;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string value_text(const privacy::audit_value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    return printable(*s);
  }
  if (const auto* i = std::get_if<std::int64_t>(&v)) {
    return std::to_string(*i);
  }
  if (const auto* d = std::get_if<double>(&v)) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, *d);
    return std::string(buf, res.ptr);
  }
  return std::get<bool>(v) ? "true" : "false";
}

// -- commands -------------------------------------------------------------------------------------

int verify(const std::vector<std::string>& args) {
  auto opts = parse_options(args, {"--log", "--key"});
  fs::path log = required(opts, "log");
  fs::path key = required(opts, "key");
  auto r = privacy::verify_file(log, key);
  if (!r.ok()) {
    std::cout << "FAILED: " << log.string() << ": " << privacy::to_string(r.problem);
    if (r.seq > 0) {
      std::cout << " at seq " << r.seq;
    }
    std::cout << ": " << r.reason << "\n"
              << "  " << r.entries << (r.entries == 1 ? " entry" : " entries")
              << " verified before it\n";
    return 1;
  }
  std::cout << "ok: " << r.entries << (r.entries == 1 ? " entry" : " entries") << ", head "
            << (r.head_mac.empty() ? std::string{"(empty log)"} : r.head_mac.substr(0, 16));
  if (r.anchor_seq < r.entries) {
    std::cout << " (anchor at seq " << r.anchor_seq << ", behind the log: an append in flight)";
  }
  std::cout << "\n";
  if (r.torn_tail_bytes > 0) {
    std::cout << "note: an unterminated last line of " << r.torn_tail_bytes
              << " bytes was ignored (an append in flight, or a crash the node will clean up)\n";
  }
  return 0;
}

int show(const std::vector<std::string>& args) {
  auto opts = parse_options(args, {"--log", "--subject", "--kind", "--from-seq"}, {"--json"});
  fs::path log = required(opts, "log");
  privacy::audit_filter filter;
  if (auto it = opts.find("subject"); it != opts.end()) {
    filter.subject = it->second;
  }
  if (auto it = opts.find("kind"); it != opts.end()) {
    filter.kind = privacy::parse_audit_kind(it->second);
    if (!filter.kind) {
      throw usage_error("--kind must be one of consent_changed, erasure, export, budget_spend, "
                        "admin_action, retention_sweep");
    }
  }
  if (auto it = opts.find("from-seq"); it != opts.end()) {
    const auto& text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), filter.from_seq);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
      throw usage_error("--from-seq must be a number");
    }
  }
  auto json = opts.count("json") != 0;
  auto entries = privacy::read_file(log, filter);
  for (const auto& e : entries) {
    if (json) {
      std::cout << privacy::to_json(e) << "\n";
      continue;
    }
    std::cout << "seq " << e.seq << "  " << utc_time(e.time) << "  " << privacy::to_string(e.kind)
              << "  actor " << printable(e.actor) << "  subject " << printable(e.subject);
    for (const auto& [k, v] : e.details) {
      std::cout << "  " << k << "=" << value_text(v);
    }
    std::cout << "\n";
  }
  if (!json) {
    std::cout << entries.size() << (entries.size() == 1 ? " entry" : " entries")
              << " (macs not checked: run aia-audit verify)\n";
  }
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  return aia::tools::run_tool("aia-audit", help, argc, argv,
                              {{"verify", verify}, {"show", show}});
}
