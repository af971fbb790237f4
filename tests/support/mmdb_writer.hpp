// Test harness: writes small MaxMind DB (.mmdb, format 2.0) country databases, so tests of the
// country rules need no downloaded database.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace aia::test {

/// Builds an IPv6 database with 24-bit records whose data are country records,
/// `{"country":{"iso_code":C},"registered_country":{"iso_code":R}}`. IPv4 networks go under ::/96
/// (a.b.c.d is ::a.b.c.d), where libmaxminddb looks IPv4 addresses up. There are no aliases
/// (::ffff:0:0/96, 6to4, Teredo): look IPv4-mapped addresses up as IPv4.
///
/// ```cpp
/// mmdb_writer w;
/// w.add("81.2.69.0/24", "GB");
/// w.add("2001:db8::/32", "FR");
/// w.write(dir / "country.mmdb");
/// ```
class mmdb_writer {
public:
  /// Maps `network` (a CIDR or a bare address) to a record with `country` and, if not empty,
  /// `registered_country`; an empty `country` is left out too. Later adds win for the addresses
  /// they cover. @throws std::invalid_argument for a bad network or a /0.
  void add(std::string_view network, std::string_view country,
           std::string_view registered_country = {});

  /// Writes the database to `path`. @throws std::runtime_error if it cannot.
  void write(const std::filesystem::path& path) const;

private:
  enum class kind : std::uint8_t { empty, node, data };
  struct record {
    kind what = kind::empty;
    std::uint32_t index = 0; // of a node in nodes_, or of an entry in entries_
  };
  struct node {
    record branch[2]; // the next bit 0, 1
  };
  struct entry {
    std::string country;
    std::string registered_country;
  };

  std::vector<node> nodes_{1}; // nodes_[0] is the root
  std::vector<entry> entries_;
};

} // namespace aia::test
