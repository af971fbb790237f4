// The key ring file: parsing, atomic writes with mode 0600, rotation under a lock file (the file
// handling itself is privacy/detail/secret_file, shared with the audit log).
#include "privacy/key_ring.hpp"

#include "privacy/detail/secret_file.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace aia::privacy {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t key_base64_size = 44;  // 32 bytes: 10 full groups and one padded
constexpr std::int64_t seconds_per_day = 86400;

constexpr std::string_view what_ring = "key ring";

[[noreturn]] void fail(const fs::path& file, const std::string& what) {
  detail::fail_file(what_ring, file, what);
}

[[noreturn]] void fail_line(const fs::path& file, std::size_t line, const std::string& what) {
  // The line's text is never quoted: it may hold a key.
  fail(file, "line " + std::to_string(line) + ": " + what);
}

/// Wipes a string that held key material before its memory is freed.
void wipe(std::string& s) {
  OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

std::array<std::uint8_t, 32> random_key() {
  std::array<std::uint8_t, 32> k{};
  if (RAND_bytes(k.data(), static_cast<int>(k.size())) != 1) {
    throw std::runtime_error("key ring: no randomness available");
  }
  return k;
}

std::string encode_key(const std::array<std::uint8_t, 32>& k) {
  std::array<unsigned char, key_base64_size + 1> out{};
  EVP_EncodeBlock(out.data(), k.data(), static_cast<int>(k.size()));
  std::string text(reinterpret_cast<const char*>(out.data()), key_base64_size);
  OPENSSL_cleanse(out.data(), out.size());
  return text;
}

std::optional<std::array<std::uint8_t, 32>> decode_key(std::string_view text) {
  if (text.size() != key_base64_size || text[43] != '=' || text[42] == '=') {
    return std::nullopt;
  }
  std::array<unsigned char, 33> raw{};  // EVP_DecodeBlock counts the padding as a zero byte
  int n = EVP_DecodeBlock(raw.data(), reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  std::optional<std::array<std::uint8_t, 32>> k;
  if (n == 33) {
    k.emplace();
    std::copy_n(raw.begin(), 32, k->begin());
  }
  OPENSSL_cleanse(raw.data(), raw.size());
  return k;
}

template <class Int>
std::optional<Int> parse_int(std::string_view s) {
  Int x{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty() || s.front() == '-') {
    return std::nullopt;
  }
  return x;
}

/// Splits a line at single spaces; at most `n + 1` fields, so a surplus shows as a count.
std::vector<std::string_view> fields_of(std::string_view line, std::size_t n) {
  std::vector<std::string_view> out;
  while (!line.empty() && out.size() <= n) {
    auto sp = line.find(' ');
    out.push_back(line.substr(0, sp));
    line = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
  }
  return out;
}

data_key parse_line(const fs::path& file, std::size_t no, std::string_view line) {
  auto f = fields_of(line, 3);
  if (f.size() != 3) {
    fail_line(file, no, "expected `v<version> <created unix seconds> <base64 key>`");
  }
  auto version = f[0].starts_with('v') ? parse_int<std::uint32_t>(f[0].substr(1)) : std::nullopt;
  if (!version || *version == 0) {
    fail_line(file, no, "the version is not v1, v2, ...");
  }
  auto created = parse_int<std::int64_t>(f[1]);
  if (!created) {
    fail_line(file, no, "the creation time is not a number of seconds");
  }
  auto bytes = decode_key(f[2]);
  if (!bytes) {
    fail_line(file, no, "the key is not 32 bytes of base64");
  }
  return data_key{*version, *created, *bytes};
}

} // namespace

key_ring::~key_ring() {
  for (auto& k : keys_) {
    OPENSSL_cleanse(k.bytes.data(), k.bytes.size());
  }
}

key_ring key_ring::ephemeral(std::int64_t now) {
  key_ring ring;
  ring.add_key(now);
  return ring;
}

key_ring key_ring::load(const fs::path& file) {
  auto text = detail::read_secret_file(file, what_ring);
  key_ring ring;
  std::size_t no = 0;
  std::string_view rest = text;
  try {
    while (!rest.empty()) {
      auto nl = rest.find('\n');
      auto line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
      ++no;
      if (line.empty() || line.starts_with('#')) {
        continue;
      }
      ring.keys_.push_back(parse_line(file, no, line));
      if (ring.find(ring.keys_.back().version) != &ring.keys_.back()) {
        fail_line(file, no, "a second key with the same version");
      }
    }
  } catch (...) {
    wipe(text);
    throw;
  }
  wipe(text);
  if (ring.keys_.empty()) {
    fail(file, "holds no key");
  }
  std::sort(ring.keys_.begin(), ring.keys_.end(),
            [](const data_key& a, const data_key& b) { return a.version < b.version; });
  return ring;
}

key_ring::opened key_ring::open_or_create(const fs::path& file, int rotation_days,
                                          std::int64_t now) {
  std::error_code ec;
  if (fs::exists(file, ec)) {
    auto ring = load(file);
    if (!ring.rotation_due(rotation_days, now)) {
      return {std::move(ring), change::none};  // the usual start: nothing to write, no lock
    }
  }
  detail::exclusive_lock lock{file, what_ring, true};
  // Look again under the lock: another process may have created or rotated it meanwhile.
  if (!fs::exists(file, ec)) {
    auto ring = ephemeral(now);
    ring.save(file);
    return {std::move(ring), change::created};
  }
  auto ring = load(file);
  if (!ring.rotation_due(rotation_days, now)) {
    return {std::move(ring), change::none};
  }
  ring.add_key(now);
  ring.save(file);
  return {std::move(ring), change::rotated};
}

key_ring key_ring::rotate_file(const fs::path& file, std::int64_t now) {
  detail::exclusive_lock lock{file, what_ring, true};
  auto ring = load(file);
  ring.add_key(now);
  ring.save(file);
  return ring;
}

const data_key& key_ring::add_key(std::int64_t now) {
  std::uint32_t version = keys_.empty() ? 1 : newest().version;
  if (!keys_.empty()) {
    if (version == std::numeric_limits<std::uint32_t>::max()) {
      throw std::runtime_error("key ring: no key version left");
    }
    ++version;
  }
  keys_.push_back(data_key{version, now, random_key()});
  return keys_.back();
}

void key_ring::save(const fs::path& file) const {
  std::string text = "# aia key ring: v<version> <created unix seconds> <base64 AES-256 key>\n"
                     "# Keep it secret and backed up: without it the stored data is lost.\n";
  for (const auto& k : keys_) {
    auto b64 = encode_key(k.bytes);
    // Appended piece by piece: no temporary string holds the key.
    text += 'v';
    text += std::to_string(k.version);
    text += ' ';
    text += std::to_string(k.created);
    text += ' ';
    text += b64;
    text += '\n';
    wipe(b64);
  }
  try {
    detail::write_file_atomically(file, text, 0600);
  } catch (const std::exception& e) {
    wipe(text);
    fail(file, e.what());
  }
  wipe(text);
}

const data_key* key_ring::find(std::uint32_t version) const noexcept {
  auto it = std::find_if(keys_.begin(), keys_.end(),
                         [version](const data_key& k) { return k.version == version; });
  return it == keys_.end() ? nullptr : &*it;
}

std::vector<key_info> key_ring::describe() const {
  std::vector<key_info> out;
  for (const auto& k : keys_) {
    out.push_back({k.version, k.created});
  }
  return out;
}

bool key_ring::rotation_due(int rotation_days, std::int64_t now) const noexcept {
  return now - newest().created >= static_cast<std::int64_t>(rotation_days) * seconds_per_day;
}

} // namespace aia::privacy
