// Which client addresses the gateway lets in: CIDR allow/deny lists and, optionally, country rules
// from a MaxMind-format (.mmdb) database. Plain C++ (libmaxminddb stays in the .cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace aia::net::auth {

/// The rules as configured. Lists are comma-separated; a blank list is no rule.
struct ip_policy_options {
  std::string allow{};           ///< CIDRs or bare addresses; blank: all allowed.
  std::string deny{};            ///< CIDRs or bare addresses refused; deny wins over allow.
  std::string country_db{};      ///< Path of a .mmdb country database; blank: no country rules.
  std::string allow_countries{}; ///< ISO 3166 alpha-2 codes; if set, only these (unknown refused).
  std::string deny_countries{};  ///< Codes refused (an unknown country is not refused).
};

/// An immutable set of address rules, checked on every accepted connection.
///
/// An address must pass every rule given: not in `deny`, in `allow` (if set), its country not in
/// `deny_countries` and in `allow_countries` (if set). IPv4 ranges match IPv4 addresses, also
/// written IPv4-mapped (::ffff:a.b.c.d); IPv6 ranges match the other IPv6 addresses, so ::/0 is
/// every IPv6 address and 0.0.0.0/0 every IPv4 one. A range with host bits set (10.0.0.1/8) is an
/// error, not masked. Copies share the country database; check() is safe from many threads.
class ip_policy {
public:
  /// A policy without rules: allows every valid address.
  ip_policy() = default;

  /// Parses and validates `opt`, and opens the country database if one is named.
  /// @throws std::invalid_argument naming the bad part, e.g.
  ///         `deny: "10.0.0.0/33" is not an IP range`.
  explicit ip_policy(const ip_policy_options& opt);

  /// The outcome of a check; `reason` says why an address was refused (empty when allowed).
  struct verdict {
    bool allowed = true;
    std::string reason;
  };

  /// Checks a textual IPv4 or IPv6 address as Boost.Asio prints it (the %zone of an IPv6
  /// address is ignored). An address that does not parse is refused.
  [[nodiscard]] verdict check(std::string_view address) const;

  /// False if there is no rule at all (the gateway can skip the check).
  [[nodiscard]] bool active() const noexcept {
    return !allow_.empty() || !deny_.empty() || !allow_countries_.empty()
           || !deny_countries_.empty();
  }

  /// An address as a 128-bit number; IPv4 is held IPv4-mapped (::ffff:a.b.c.d).
  struct address {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;
    bool v4 = false;
  };

  /// A prefix of one address family; the bits outside the mask are zero.
  struct range {
    address net;
    std::uint64_t mask_hi = 0;
    std::uint64_t mask_lo = 0;

    [[nodiscard]] bool contains(const address& a) const noexcept {
      return a.v4 == net.v4 && (a.hi & mask_hi) == net.hi && (a.lo & mask_lo) == net.lo;
    }
  };

private:
  class country_db;

  std::vector<range> allow_;
  std::vector<range> deny_;
  std::vector<std::string> allow_countries_; // upper case
  std::vector<std::string> deny_countries_;  // upper case
  std::shared_ptr<const country_db> db_;     // null without country rules
};

} // namespace aia::net::auth
