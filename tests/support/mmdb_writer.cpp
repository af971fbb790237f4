// Test harness: a MaxMind DB writer: search tree, 16-byte separator, data section, metadata.
#include "tests/support/mmdb_writer.hpp"

#include <arpa/inet.h>
#include <array>
#include <charconv>
#include <ctime>
#include <fstream>
#include <stdexcept>

namespace aia::test {

namespace {

// -- data section encoding ----------------------------------------------------

// Type numbers of the MaxMind DB format; those above 7 are "extended".
constexpr int type_utf8 = 2;
constexpr int type_uint16 = 5;
constexpr int type_uint32 = 6;
constexpr int type_map = 7;
constexpr int type_uint64 = 9;
constexpr int type_array = 11;

/// Appends a control byte (type and size), the extended type byte and the size bytes.
void put_control(std::string& out, int t, std::size_t size) {
  std::string size_bytes;
  int size_field = 0;
  if (size < 29) {
    size_field = static_cast<int>(size);
  } else if (size < 29 + 256) {
    size_field = 29;
    size_bytes.push_back(static_cast<char>(size - 29));
  } else if (size < 285 + 65536) {
    size_field = 30;
    size_bytes.push_back(static_cast<char>((size - 285) >> 8));
    size_bytes.push_back(static_cast<char>(size - 285));
  } else {
    size_field = 31;
    for (int shift : {16, 8, 0}) {
      size_bytes.push_back(static_cast<char>((size - 65821) >> shift));
    }
  }
  out.push_back(static_cast<char>(((t <= 7 ? t : 0) << 5) | size_field));
  if (t > 7) {
    out.push_back(static_cast<char>(t - 7));
  }
  out += size_bytes;
}

void put_string(std::string& out, std::string_view s) {
  put_control(out, type_utf8, s.size());
  out += s;
}

/// An unsigned integer in as few big-endian bytes as it needs (zero takes none).
void put_uint(std::string& out, int t, std::uint64_t value) {
  std::string bytes;
  for (; value != 0; value >>= 8) {
    bytes.insert(bytes.begin(), static_cast<char>(value & 0xff));
  }
  put_control(out, t, bytes.size());
  out += bytes;
}

/// {"iso_code": code}
void put_country(std::string& out, std::string_view key, std::string_view code) {
  put_string(out, key);
  put_control(out, type_map, 1);
  put_string(out, "iso_code");
  put_string(out, code);
}

std::string metadata(std::uint32_t node_count) {
  std::string out;
  put_control(out, type_map, 9);
  put_string(out, "node_count");
  put_uint(out, type_uint32, node_count);
  put_string(out, "record_size");
  put_uint(out, type_uint16, 24);
  put_string(out, "ip_version");
  put_uint(out, type_uint16, 6);
  put_string(out, "database_type");
  put_string(out, "AIA-Test-Country");
  put_string(out, "languages");
  put_control(out, type_array, 1);
  put_string(out, "en");
  put_string(out, "binary_format_major_version");
  put_uint(out, type_uint16, 2);
  put_string(out, "binary_format_minor_version");
  put_uint(out, type_uint16, 0);
  put_string(out, "build_epoch");
  put_uint(out, type_uint64, static_cast<std::uint64_t>(std::time(nullptr)));
  put_string(out, "description");
  put_control(out, type_map, 1);
  put_string(out, "en");
  put_string(out, "aia test country database");
  return out;
}

// -- networks -----------------------------------------------------------------

struct network {
  std::array<std::uint8_t, 16> bytes{};
  int prefix = 0; // bits of the 128
};

/// "a.b.c.d[/n]" as ::a.b.c.d/(96+n), or "x::y[/n]".
network parse_network(std::string_view text) {
  auto bad = [text] {
    return std::invalid_argument("mmdb_writer: bad network \"" + std::string{text} + "\"");
  };
  auto slash = text.find('/');
  std::string addr{text.substr(0, slash)};
  network n;
  bool v4 = addr.find(':') == std::string::npos;
  int max_bits = v4 ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || bits < 0
        || bits > max_bits) {
      throw bad();
    }
  }
  int ok = v4 ? inet_pton(AF_INET, addr.c_str(), n.bytes.data() + 12)
              : inet_pton(AF_INET6, addr.c_str(), n.bytes.data());
  if (ok != 1) {
    throw bad();
  }
  n.prefix = v4 ? 96 + bits : bits;
  if (n.prefix == 0) {
    throw std::invalid_argument("mmdb_writer: ::/0 has no record to hold it");
  }
  return n;
}

int bit(const network& n, int i) {
  return (n.bytes[i / 8] >> (7 - i % 8)) & 1;
}

} // namespace

// -- mmdb_writer --------------------------------------------------------------

void mmdb_writer::add(std::string_view text, std::string_view country,
                      std::string_view registered_country) {
  auto net = parse_network(text);
  entries_.push_back({std::string{country}, std::string{registered_country}});
  record leaf{kind::data, static_cast<std::uint32_t>(entries_.size() - 1)};
  std::uint32_t at = 0;
  for (int depth = 0; depth < net.prefix - 1; ++depth) {
    auto next = nodes_[at].branch[bit(net, depth)];
    if (next.what != kind::node) {
      // Split: a new node whose halves both keep what the record held.
      nodes_.push_back(node{{next, next}});
      next = record{kind::node, static_cast<std::uint32_t>(nodes_.size() - 1)};
      nodes_[at].branch[bit(net, depth)] = next;
    }
    at = next.index;
  }
  // Whatever was below is replaced; a now unreachable node stays in the file, which is harmless.
  nodes_[at].branch[bit(net, net.prefix - 1)] = leaf;
}

void mmdb_writer::write(const std::filesystem::path& path) const {
  // Data section: one map per entry, at offsets the tree's records point to.
  std::string data;
  std::vector<std::size_t> offsets;
  for (const auto& e : entries_) {
    offsets.push_back(data.size());
    put_control(data, type_map,
                (e.country.empty() ? 0 : 1) + (e.registered_country.empty() ? 0 : 1));
    if (!e.country.empty()) {
      put_country(data, "country", e.country);
    }
    if (!e.registered_country.empty()) {
      put_country(data, "registered_country", e.registered_country);
    }
  }
  // Search tree: a record is a node number, node_count for "no data", or node_count + 16 + the
  // offset of its data in the data section.
  auto node_count = static_cast<std::uint32_t>(nodes_.size());
  std::string tree;
  for (const auto& n : nodes_) {
    for (const auto& r : n.branch) {
      std::uint64_t value = r.what == kind::node   ? r.index
                            : r.what == kind::data ? node_count + 16 + offsets[r.index]
                                                   : node_count;
      if (value >= (1U << 24)) {
        throw std::runtime_error("mmdb_writer: too large for 24-bit records");
      }
      for (int shift : {16, 8, 0}) {
        tree.push_back(static_cast<char>(value >> shift));
      }
    }
  }
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << tree << std::string(16, '\0') << data << "\xAB\xCD\xEFMaxMind.com" << metadata(node_count);
  if (!out.flush()) {
    throw std::runtime_error("mmdb_writer: cannot write " + path.string());
  }
}

} // namespace aia::test
