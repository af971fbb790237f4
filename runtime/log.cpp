// Structured logging: JSON lines on stderr through one spdlog logger with a plain stderr sink.
#include "runtime/log.hpp"

#include "privacy/utf8.hpp"

#include <fmt/format.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>

namespace aia::log {
namespace {

// -- JSON text ----------------------------------------------------------------

/// Appends `s` as a JSON string; bytes that are not UTF-8 become U+FFFD.
void append_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (auto n = privacy::utf8_sequence(s.substr(i)); n > 0) {
      out.append(s.substr(i, n));
      i += n - 1;
    } else {
      out += "\\ufffd";
    }
  }
  out += '"';
}

template <class T>
void append_number(std::string& out, T x) {
  std::array<char, 32> buf{};
  auto res = std::to_chars(buf.data(), buf.data() + buf.size(), x);
  out.append(buf.data(), res.ptr);
}

/// Appends a field value; a non-finite double becomes null.
void append_value(std::string& out, const value& v) {
  std::visit(
      [&out](const auto& x) {
        using type = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<type, std::string>) {
          append_string(out, x);
        } else if constexpr (std::is_same_v<type, bool>) {
          out += x ? "true" : "false";
        } else if constexpr (std::is_same_v<type, double>) {
          if (std::isfinite(x)) {
            append_number(out, x);
          } else {
            out += "null";
          }
        } else {
          append_number(out, x);
        }
      },
      v.get());
}

/// Now in UTC with milliseconds: 2026-11-27T16:07:49.123Z.
void append_timestamp(std::string& out) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 ms % 1000);
}

// -- the logger ---------------------------------------------------------------

/// Level names as written and accepted by init(); spdlog's own say "warning".
constexpr std::array<std::pair<std::string_view, spdlog::level::level_enum>, 6> level_names{{
    {"trace", spdlog::level::trace},
    {"debug", spdlog::level::debug},
    {"info", spdlog::level::info},
    {"warn", spdlog::level::warn},
    {"error", spdlog::level::err},
    {"off", spdlog::level::off},
}};

std::string_view level_name(spdlog::level::level_enum level) {
  for (const auto& [text, value] : level_names) {
    if (value == level) {
      return text;
    }
  }
  return "off";
}

std::optional<spdlog::level::level_enum> parse_level(std::string_view name) {
  for (const auto& [text, level] : level_names) {
    if (text == name) {
      return level;
    }
  }
  return std::nullopt;
}

/// The process-wide logger and the `node` field, ready as JSON text.
struct log_state {
  std::shared_ptr<spdlog::logger> logger;
  std::mutex node_mutex;
  std::shared_ptr<const std::string> node_json = std::make_shared<const std::string>("\"\"");

  log_state() {
    logger = std::make_shared<spdlog::logger>("aia",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("%v");
    logger->set_level(spdlog::level::info);
  }

  std::shared_ptr<const std::string> node() {
    std::lock_guard guard{node_mutex};
    return node_json;
  }
};

log_state& state() {
  static log_state instance;
  return instance;
}

void write(spdlog::level::level_enum lvl, std::string_view event, fields f) {
  auto& s = state();
  if (!s.logger->should_log(lvl)) {
    return;
  }
  std::string line = "{\"ts\":\"";
  append_timestamp(line);
  line += "\",\"level\":\"";
  line += level_name(lvl);
  line += "\",\"node\":";
  line += *s.node();
  line += ",\"event\":";
  append_string(line, event);
  for (const auto& [key, val] : f) {
    line += ',';
    append_string(line, key);
    line += ':';
    append_value(line, val);
  }
  line += '}';
  s.logger->log(lvl, spdlog::string_view_t{line.data(), line.size()});
}

} // namespace

bool init(std::string_view level, std::string_view node) {
  auto lvl = parse_level(level);
  if (!lvl) {
    return false;
  }
  auto& s = state();
  std::string json;
  append_string(json, node);
  {
    std::lock_guard guard{s.node_mutex};
    s.node_json = std::make_shared<const std::string>(std::move(json));
  }
  s.logger->set_level(*lvl);
  return true;
}

bool debug_enabled() noexcept {
  return state().logger->should_log(spdlog::level::debug);
}

void debug(std::string_view event, fields f) {
  write(spdlog::level::debug, event, f);
}

void info(std::string_view event, fields f) {
  write(spdlog::level::info, event, f);
}

void warn(std::string_view event, fields f) {
  write(spdlog::level::warn, event, f);
}

void error(std::string_view event, fields f) {
  write(spdlog::level::err, event, f);
}

} // namespace aia::log
