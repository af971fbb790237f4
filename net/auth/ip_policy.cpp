// IP policy: CIDR lists parsed once into 128-bit prefixes, country rules looked up in a .mmdb.
#include "net/auth/ip_policy.hpp"

#include <maxminddb.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <initializer_list>
#include <netinet/in.h>
#include <optional>
#include <stdexcept>
#include <sys/socket.h>

namespace aia::net::auth {

// -- the country database -----------------------------------------------------

/// An open .mmdb file (memory-mapped); lookups on an open MMDB_s are thread-safe.
class ip_policy::country_db {
public:
  explicit country_db(const std::string& path) {
    errno = 0;
    if (auto status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &mmdb_); status != MMDB_SUCCESS) {
      std::string why = MMDB_strerror(status);
      if (status == MMDB_FILE_OPEN_ERROR && errno != 0) {
        why += std::string{" ("} + std::strerror(errno) + ")";
      }
      // MMDB_open released what it had allocated: there is nothing to close.
      throw std::invalid_argument("country_db: cannot open " + path + ": " + why);
    }
  }
  ~country_db() { MMDB_close(&mmdb_); }
  country_db(const country_db&) = delete;
  country_db& operator=(const country_db&) = delete;

  /// The upper-case ISO code of the country of `a`; empty if the database does not know it.
  [[nodiscard]] std::string lookup(const address& a) const {
    sockaddr_storage storage{};
    if (a.v4) {
      auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
      sin->sin_family = AF_INET;
      sin->sin_addr.s_addr = htonl(static_cast<std::uint32_t>(a.lo));
    } else {
      auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
      sin6->sin6_family = AF_INET6;
      for (int i = 0; i < 8; ++i) {
        sin6->sin6_addr.s6_addr[i] = static_cast<std::uint8_t>(a.hi >> (56 - 8 * i));
        sin6->sin6_addr.s6_addr[8 + i] = static_cast<std::uint8_t>(a.lo >> (56 - 8 * i));
      }
    }
    int error = MMDB_SUCCESS;
    auto result = MMDB_lookup_sockaddr(&mmdb_, reinterpret_cast<const sockaddr*>(&storage), &error);
    if (error != MMDB_SUCCESS || !result.found_entry) {
      return {}; // e.g. no record, or an IPv6 address in an IPv4-only database
    }
    // The country where the address is used; else the one where its block is registered.
    for (const char* key : {"country", "registered_country"}) {
      MMDB_entry_data_s data{};
      if (MMDB_get_value(&result.entry, &data, key, "iso_code", nullptr) == MMDB_SUCCESS
          && data.has_data && data.type == MMDB_DATA_TYPE_UTF8_STRING && data.data_size > 0) {
        std::string code{data.utf8_string, data.data_size};
        std::transform(code.begin(), code.end(), code.begin(), [](char c) {
          return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
        });
        return code;
      }
    }
    return {};
  }

private:
  MMDB_s mmdb_{};
};

// -- parsing ------------------------------------------------------------------

namespace {

using address = ip_policy::address;
using range = ip_policy::range;

constexpr std::uint64_t mapped_prefix = 0xffff'0000'0000ULL; // bits 64..127 of ::ffff:0:0/96

/// The parts joined (also keeps GCC 12 from a false -Wrestrict on "literal" + std::string).
std::string concat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (auto part : parts) {
    s += part;
  }
  return s;
}

std::string_view trim(std::string_view s) {
  auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) {
    return {};
  }
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

/// The comma-separated items of `list`; throws on an empty item (as in "a,,b" or "a,").
std::vector<std::string_view> split(std::string_view key, std::string_view list) {
  std::vector<std::string_view> items;
  if (trim(list).empty()) {
    return items;
  }
  for (std::size_t pos = 0;;) {
    auto comma = list.find(',', pos);
    auto item = trim(list.substr(pos, comma == std::string_view::npos ? comma : comma - pos));
    if (item.empty()) {
      throw std::invalid_argument(concat({key, ": empty entry in \"", list, "\""}));
    }
    items.push_back(item);
    if (comma == std::string_view::npos) {
      return items;
    }
    pos = comma + 1;
  }
}

/// Parses a bare IPv4 or IPv6 address; IPv4-mapped IPv6 addresses count as IPv4.
std::optional<address> parse_address(std::string_view text) {
  char buf[INET6_ADDRSTRLEN];
  if (text.empty() || text.size() >= sizeof(buf)) {
    return std::nullopt;
  }
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  address a;
  if (text.find(':') == std::string_view::npos) {
    in_addr v4{};
    if (inet_pton(AF_INET, buf, &v4) != 1) {
      return std::nullopt;
    }
    a.lo = mapped_prefix | ntohl(v4.s_addr);
    a.v4 = true;
    return a;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, buf, &v6) != 1) {
    return std::nullopt;
  }
  for (int i = 0; i < 8; ++i) {
    a.hi = (a.hi << 8) | v6.s6_addr[i];
    a.lo = (a.lo << 8) | v6.s6_addr[8 + i];
  }
  a.v4 = a.hi == 0 && (a.lo >> 32) == 0xffff;
  return a;
}

/// The address in the usual notation (IPv4 dotted, IPv6 compressed), for messages.
std::string to_string(const address& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.v4) {
    in_addr v4{htonl(static_cast<std::uint32_t>(a.lo))};
    inet_ntop(AF_INET, &v4, buf, sizeof(buf));
  } else {
    in6_addr v6{};
    for (int i = 0; i < 8; ++i) {
      v6.s6_addr[i] = static_cast<std::uint8_t>(a.hi >> (56 - 8 * i));
      v6.s6_addr[8 + i] = static_cast<std::uint8_t>(a.lo >> (56 - 8 * i));
    }
    inet_ntop(AF_INET6, &v6, buf, sizeof(buf));
  }
  return buf;
}

/// Parses "a.b.c.d[/n]" or an IPv6 "x::y[/n]"; a bare address is a /32 or /128.
range parse_range(std::string_view key, std::string_view text) {
  auto fail = [&](std::string_view what) {
    return std::invalid_argument(concat({key, ": \"", text, "\" ", what}));
  };
  auto slash = text.find('/');
  auto a = parse_address(text.substr(0, slash));
  if (!a) {
    throw fail("is not an IP range");
  }
  // IPv4 prefixes count from bit 96 of the mapped form; IPv4-mapped IPv6 ones are taken as is.
  bool written_v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  int max_bits = written_v4 ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (digits.empty() || digits.size() > 3 || ec != std::errc{}
        || end != digits.data() + digits.size() || bits < 0 || bits > max_bits) {
      throw fail("is not an IP range");
    }
  }
  int prefix = written_v4 ? 96 + bits : bits;
  range r;
  r.mask_hi = prefix >= 64 ? ~0ULL : prefix == 0 ? 0 : ~0ULL << (64 - prefix);
  r.mask_lo = prefix <= 64 ? 0 : prefix == 128 ? ~0ULL : ~0ULL << (128 - prefix);
  r.net = address{a->hi & r.mask_hi, a->lo & r.mask_lo, a->v4};
  if (r.net.hi != a->hi || r.net.lo != a->lo) {
    throw fail(concat(
      {"has host bits set (the network is ", to_string(r.net), "/", std::to_string(bits), ")"}));
  }
  // An IPv4-mapped network has a prefix of 96 or more here (a shorter one has host bits set), so
  // a range marked v4 lies inside ::ffff:0:0/96.
  return r;
}

std::vector<range> parse_ranges(std::string_view key, std::string_view list) {
  std::vector<range> ranges;
  for (auto item : split(key, list)) {
    ranges.push_back(parse_range(key, item));
  }
  return ranges;
}

std::vector<std::string> parse_countries(std::string_view key, std::string_view list) {
  std::vector<std::string> codes;
  for (auto item : split(key, list)) {
    auto letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
    if (item.size() != 2 || !letter(item[0]) || !letter(item[1])) {
      throw std::invalid_argument(
        concat({key, ": \"", item, "\" is not a two-letter country code"}));
    }
    std::string code{item};
    for (auto& c : code) {
      c = c >= 'a' ? static_cast<char>(c - 'a' + 'A') : c;
    }
    codes.push_back(std::move(code));
  }
  return codes;
}

bool any_contains(const std::vector<range>& ranges, const address& a) {
  return std::any_of(ranges.begin(), ranges.end(), [&a](const range& r) { return r.contains(a); });
}

bool listed(const std::vector<std::string>& codes, const std::string& code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

} // namespace

// -- the policy ---------------------------------------------------------------

ip_policy::ip_policy(const ip_policy_options& opt)
  : allow_(parse_ranges("allow", opt.allow))
  , deny_(parse_ranges("deny", opt.deny))
  , allow_countries_(parse_countries("allow_countries", opt.allow_countries))
  , deny_countries_(parse_countries("deny_countries", opt.deny_countries)) {
  bool country_rules = !allow_countries_.empty() || !deny_countries_.empty();
  if (trim(opt.country_db).empty()) {
    if (country_rules) {
      auto key = allow_countries_.empty() ? "deny_countries" : "allow_countries";
      throw std::invalid_argument(concat({key, ": country rules need a country_db"}));
    }
    return;
  }
  // Opened even without country rules, so that a wrong path is reported now, not later.
  auto db = std::make_shared<const country_db>(std::string{trim(opt.country_db)});
  if (country_rules) {
    db_ = std::move(db);
  }
}

ip_policy::verdict ip_policy::check(std::string_view text) const {
  auto shown = text.substr(0, 64);
  // Boost.Asio prints link-local IPv6 addresses with their zone ("fe80::1%eth0").
  auto unzoned = text.substr(0, text.find('%'));
  auto a = parse_address(unzoned.find(':') == std::string_view::npos ? text : unzoned);
  if (!a) {
    return {false, concat({"\"", shown, "\" is not an IP address"})};
  }
  if (any_contains(deny_, *a)) {
    return {false, concat({"address ", shown, " is in the deny list"})};
  }
  if (!allow_.empty() && !any_contains(allow_, *a)) {
    return {false, concat({"address ", shown, " is not in the allow list"})};
  }
  if (!db_) {
    return {};
  }
  auto country = db_->lookup(*a);
  if (country.empty()) {
    if (!allow_countries_.empty()) {
      return {false, concat({"the country of address ", shown, " is unknown"})};
    }
    return {};
  }
  if (listed(deny_countries_, country)) {
    return {false, concat({"country ", country, " is in the deny list"})};
  }
  if (!allow_countries_.empty() && !listed(allow_countries_, country)) {
    return {false, concat({"country ", country, " is not allowed"})};
  }
  return {};
}

} // namespace aia::net::auth
