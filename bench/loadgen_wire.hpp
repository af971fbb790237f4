// ws_loadgen's side of the wire: the interaction batches it sends and the few fields it reads
// from the frames it gets back (no JSON parser: the load generator must stay cheap).
#pragma once

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace aia::bench {

/// Where the value of the first member `"key":` in `text` starts (npos if none). Enough for the
/// node's frames, which are flat where it matters and start with their `type`.
inline std::size_t value_pos(std::string_view text, std::string_view key) {
  std::string quoted = "\"" + std::string{key} + "\"";
  for (auto pos = text.find(quoted); pos != std::string_view::npos;
       pos = text.find(quoted, pos + 1)) {
    auto colon = text.find_first_not_of(" \t\r\n", pos + quoted.size());
    if (colon != std::string_view::npos && text[colon] == ':') {
      return text.find_first_not_of(" \t\r\n", colon + 1);
    }
  }
  return std::string_view::npos;
}

/// The string value of member `key` (empty if none or not a string).
inline std::string_view string_field(std::string_view text, std::string_view key) {
  auto pos = value_pos(text, key);
  if (pos == std::string_view::npos || text[pos] != '"') {
    return {};
  }
  auto end = text.find('"', pos + 1);
  return end == std::string_view::npos ? std::string_view{} : text.substr(pos + 1, end - pos - 1);
}

/// The unsigned integer value of member `key` (0 if none).
inline std::uint64_t number_field(std::string_view text, std::string_view key) {
  auto pos = value_pos(text, key);
  std::uint64_t out = 0;
  if (pos != std::string_view::npos) {
    std::from_chars(text.data() + pos, text.data() + text.size(), out);
  }
  return out;
}

/// Keeps server text printable inside the report's JSON (no quotes, backslashes or controls).
inline std::string sanitize(std::string_view text, std::size_t max) {
  std::string out;
  for (char ch : text.substr(0, max)) {
    bool ok = std::isprint(static_cast<unsigned char>(ch)) && ch != '"' && ch != '\\';
    out.push_back(ok ? ch : '?');
  }
  return out.empty() ? "unknown" : out;
}

/// Builds one `interaction_batch` message of `n` interactions of `user`.
inline std::string make_batch(const std::string& user, const std::string& client_id,
                              std::uint64_t seq, int n) {
  static constexpr const char* kinds[] = {"click", "scroll", "keypress", "hover", "focus"};
  auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  std::string out;
  out.reserve(96 + 300 * static_cast<std::size_t>(n));
  out += R"({"type":"interaction_batch","clientId":")" + client_id
         + R"(","seq":)" + std::to_string(seq) + R"(,"interactions":[)";
  for (int i = 0; i < n; ++i) {
    auto k = (seq + static_cast<std::uint64_t>(i)) % 5;
    out += (i ? ",{" : "{");
    out += R"("timestamp":)" + std::to_string(now_ms) + R"(,"userId":")" + user
           + R"(","interactionType":")" + kinds[k] + R"(","elementId":"b)" + std::to_string(k)
           + R"(","timingData":{"responseTime":)" + std::to_string(0.8 + 0.1 * k)
           + R"(,"dwellTime":3.5},"viewportData":{"scrollDistance":)" + std::to_string(20 * k)
           + R"(,"deviceType":"desktop"},"contextData":{"tabActive":true,"sessionDuration":)"
           + std::to_string(300000 + seq * 200) + "}}";
  }
  out += "]}";
  return out;
}

} // namespace aia::bench
